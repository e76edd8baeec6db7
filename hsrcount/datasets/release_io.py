"""Readers of released annotation files shared by the dataset families:
MATLAB ``.mat`` files (variables, structs, cell arrays), ROI masks given as
images, arrays or polygons, and image sizes read from file headers.

Every reader names the file (and the field) in its errors.
"""
import os.path as osp

import cv2
import numpy as np
import scipy.io
from PIL import Image

from .base import DATASET_DOC

IMAGE_MASK_EXTS = ('.png', '.bmp', '.tif', '.tiff', '.jpg', '.jpeg')


def require_file(path, what):
    """Fail with a message naming ``path`` unless it is a file.

    Args:
        path (str): The expected file.
        what (str): What the file is, e.g. ``'UCSD annotation file'``.

    Raises:
        FileNotFoundError: If ``path`` is not a file.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{what} {path!r} not found. See {DATASET_DOC} for the layout '
            f'of the release.')


def load_mat(path, what='MATLAB file'):
    """Read a MATLAB v5/v7 ``.mat`` file with :func:`scipy.io.loadmat`.

    Structs come back as loadmat returns them by default: a (1, 1) record
    array per struct, a (1, F) object array per cell array.

    Args:
        path (str): The ``.mat`` file.
        what (str): What the file is, named in errors.

    Returns:
        dict: Variable name to value, without loadmat's ``__header__`` keys.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If it cannot be parsed (truncated, not a .mat file, or a
            v7.3 HDF5 file, which scipy cannot read).
    """
    require_file(path, what)
    try:
        mat = scipy.io.loadmat(path)
    except NotImplementedError as err:
        raise ValueError(
            f'{path}: MATLAB v7.3 (HDF5) files are not supported; re-save it '
            f"in MATLAB with save(..., '-v7') ({err})") from err
    except Exception as err:  # scipy raises several types on bad bytes.
        raise ValueError(
            f'{path}: cannot read this {what}; the file may be truncated or '
            f'not a MATLAB file ({type(err).__name__}: {err})') from err
    return {k: v for k, v in mat.items() if not k.startswith('__')}


def mat_variable(mat, names, path):
    """The first of ``names`` that the loaded ``.mat`` file holds.

    Args:
        mat (dict): Output of :func:`load_mat`.
        names (str | Sequence[str]): Accepted variable names, in order.
        path (str): The file, named in errors.

    Returns:
        np.ndarray: The variable.

    Raises:
        ValueError: If none of ``names`` is in the file.
    """
    names = (names, ) if isinstance(names, str) else tuple(names)
    for name in names:
        if name in mat:
            return mat[name]
    raise ValueError(
        f'{path}: expected a variable named {" or ".join(names)}, the file '
        f'holds {sorted(mat) or "nothing"}')


def struct_field(struct, name, source):
    """A field of a scalar MATLAB struct as :func:`scipy.io.loadmat` gives it.

    Args:
        struct (np.ndarray): A (1, 1) record array.
        name (str): The field.
        source (str): Where the struct comes from, named in errors.

    Returns:
        np.ndarray: The field's value.

    Raises:
        ValueError: If ``struct`` is no scalar struct or lacks the field.
    """
    fields = getattr(getattr(struct, 'dtype', None), 'names', None)
    if not fields or struct.size != 1:
        raise ValueError(
            f'{source}: expected a MATLAB struct with a field {name!r}, got '
            f'{type(struct).__name__} of shape {np.shape(struct)}')
    if name not in fields:
        raise ValueError(f'{source}: the struct has no field {name!r} '
                         f'(fields: {", ".join(fields)})')
    return struct[name].flat[0]


def matlab_cells(cell, source):
    """The items of a MATLAB cell array, in MATLAB's linear order.

    Args:
        cell (np.ndarray): An object array, e.g. (1, F) for a ``1xF`` cell.
        source (str): Where the cell comes from, named in errors.

    Returns:
        list: The F items; item ``j - 1`` is MATLAB's ``cell{j}``.

    Raises:
        ValueError: If ``cell`` is not a cell array.
    """
    if not isinstance(cell, np.ndarray) or cell.dtype != object:
        raise ValueError(f'{source}: expected a MATLAB cell array, got '
                         f'{getattr(cell, "dtype", type(cell))}')
    return list(cell.ravel(order='F'))


def as_mask(array, source, shape=None):
    """A 2-D array as a (H, W) uint8 mask, 1 where ``array`` is non-zero.

    Args:
        array (np.ndarray): The mask as stored (logical, uint8, double).
        source (str): Where it comes from, named in errors.
        shape (tuple[int, int], optional): The (H, W) it must have.

    Returns:
        np.ndarray: (H, W) uint8 of 0 and 1.

    Raises:
        ValueError: If the array is not 2-D or not of ``shape``.
    """
    array = np.asarray(array)
    if array.ndim != 2 or array.dtype == object:
        raise ValueError(f'{source}: expected a 2-D ROI mask, got '
                         f'{array.dtype} of shape {array.shape}')
    if shape is not None and array.shape != tuple(shape):
        raise ValueError(f'{source}: the ROI mask is {array.shape}, the '
                         f'images are {tuple(shape)}')
    return (array != 0).astype(np.uint8)


def polygon_to_mask(xs, ys, shape, source):
    """Rasterise a 1-based MATLAB polygon into a (H, W) uint8 mask.

    Vertices are moved to 0-based pixels and rounded; :func:`cv2.fillPoly`
    fills the interior and the boundary. MATLAB's ``poly2mask`` may differ by
    one pixel along the boundary.

    Args:
        xs (array-like): Vertex x coordinates, 1-based.
        ys (array-like): Vertex y coordinates, 1-based.
        shape (tuple[int, int]): The (H, W) of the mask.
        source (str): Where the polygon comes from, named in errors.

    Returns:
        np.ndarray: (H, W) uint8 of 0 and 1.

    Raises:
        ValueError: If the vertex lists differ in length, hold fewer than
            three vertices or non-finite values.
    """
    xs = np.asarray(xs, dtype=np.float64).ravel()
    ys = np.asarray(ys, dtype=np.float64).ravel()
    if xs.size != ys.size or xs.size < 3:
        raise ValueError(f'{source}: expected a polygon of at least 3 '
                         f'vertices, got {xs.size} x and {ys.size} y values')
    if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        raise ValueError(f'{source}: the ROI polygon holds NaN or inf')
    vertices = np.stack([xs - 1, ys - 1], axis=1).round().astype(np.int32)
    mask = np.zeros(shape, dtype=np.uint8)
    cv2.fillPoly(mask, [vertices], 1)
    return mask


def roi_struct_to_mask(roi, source, shape=None):
    """The mask of a UCSD/Mall-style ``roi`` struct.

    The struct's ``mask`` field is used when present; otherwise its polygon
    ``xi``/``yi`` (1-based) is rasterised at ``shape``.

    Args:
        roi (np.ndarray): The ``roi`` variable as loadmat returns it.
        source (str): The file, named in errors.
        shape (tuple[int, int], optional): The (H, W) of the images; needed
            for a polygon, checked against a mask.

    Returns:
        np.ndarray: (H, W) uint8 of 0 and 1.
    """
    fields = getattr(getattr(roi, 'dtype', None), 'names', None) or ()
    if 'mask' in fields:
        return as_mask(struct_field(roi, 'mask', source), source, shape)
    if 'xi' in fields and 'yi' in fields:
        if shape is None:
            raise ValueError(f'{source}: a polygon ROI needs the image size')
        return polygon_to_mask(
            struct_field(roi, 'xi', source), struct_field(roi, 'yi', source),
            shape, source)
    raise ValueError(f'{source}: the roi struct has neither a mask field nor '
                     f'a polygon xi/yi (fields: {", ".join(fields) or "-"})')


def image_shape(path):
    """The (H, W) of an image file, read from its header only.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If the file is no image Pillow knows.
    """
    require_file(path, 'image')
    try:
        with Image.open(path) as img:
            width, height = img.size
    except (OSError, SyntaxError) as err:
        raise ValueError(f'{path}: cannot read this image ({err})') from err
    return height, width


def load_roi_file(path, shape=None):
    """Read a region-of-interest mask file into a (H, W) uint8 0/1 array.

    Supported files:

    - images (``.png``, ``.bmp``, ``.tif``, ``.jpg``): non-zero pixels are
      inside for lossless formats; JPEG is thresholded at 128 because its
      compression smears the border.
    - ``.npy``: a 2-D array, non-zero inside; read without unpickling, so a
      file holding Python objects is refused rather than run.
    - ``.mat``: the first of ``BW`` (TRANCOS), ``mask``, ``roi`` (a 2-D
      array, or a struct with ``mask`` or a polygon ``xi``/``yi``), or a
      WorldExpo'10 polygon ``maskVerticesXCoordinates`` /
      ``maskVerticesYCoordinates``. Polygons are 1-based and need ``shape``.

    Args:
        path (str): The mask file.
        shape (tuple[int, int], optional): The (H, W) the mask must have, or
            be rasterised at for a polygon.

    Returns:
        np.ndarray: (H, W) uint8 of 0 and 1.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If the file holds no mask this function knows.
    """
    ext = osp.splitext(path)[1].lower()
    if ext == '.npy':
        require_file(path, 'ROI mask')
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError) as err:
            raise ValueError(f'{path}: cannot read ROI mask ({err})') from err
        return as_mask(array, path, shape)
    if ext in IMAGE_MASK_EXTS:
        require_file(path, 'ROI mask')
        img = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        if img is None:
            raise ValueError(f'{path}: OpenCV cannot decode this ROI mask')
        if ext in ('.jpg', '.jpeg'):
            img = (img >= 128).astype(np.uint8)
        return as_mask(img, path, shape)
    if ext != '.mat':
        raise ValueError(f'{path}: ROI masks must be .mat, .npy or one of '
                         f'{", ".join(IMAGE_MASK_EXTS)}')
    mat = load_mat(path, 'ROI mask file')
    for name in ('BW', 'mask'):
        if name in mat:
            return as_mask(mat[name], path, shape)
    if 'roi' in mat:
        roi = mat['roi']
        if getattr(roi.dtype, 'names', None):
            return roi_struct_to_mask(roi, path, shape)
        return as_mask(roi, path, shape)
    if 'maskVerticesXCoordinates' in mat:
        if shape is None:
            raise ValueError(f'{path}: a polygon ROI needs the image shape')
        return polygon_to_mask(
            mat['maskVerticesXCoordinates'],
            mat_variable(mat, 'maskVerticesYCoordinates', path), shape, path)
    raise ValueError(
        f'{path}: no ROI found; expected a variable BW, mask, roi or '
        f'maskVerticesXCoordinates/maskVerticesYCoordinates, the file holds '
        f'{sorted(mat) or "nothing"}')

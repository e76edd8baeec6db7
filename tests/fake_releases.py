"""Write tiny fake copies of the dataset releases, in their own formats.

Each writer lays files out as the authors release them (tiny images, .mat
files whose structs and cells load back with :func:`scipy.io.loadmat` the
way the real ones do) and returns what it wrote, so tests can check the
readers against values they did not compute with the code under test.

Points are written 1-based, as MATLAB annotations are. Every fake ROI is the
rectangle :data:`ROI_ROWS` x :data:`ROI_COLS` (0-based pixels); points made
by :func:`inside_points` land inside it, those of :func:`outside_points`
off it.
"""
import json
import os
import os.path as osp

import cv2
import numpy as np
import scipy.io
from PIL import Image

IMG_SHAPE = (10, 12)
ROI_ROWS = (2, 8)  # 0-based rows 2..7 are inside.
ROI_COLS = (3, 9)  # 0-based cols 3..8 are inside.


def roi_mask(shape=IMG_SHAPE):
    """The fake ROI as a (H, W) uint8 mask."""
    mask = np.zeros(shape, dtype=np.uint8)
    mask[ROI_ROWS[0]:ROI_ROWS[1], ROI_COLS[0]:ROI_COLS[1]] = 1
    return mask


def roi_polygon():
    """The fake ROI's corners as 1-based MATLAB vertices, (4, 1) x and y."""
    x0, x1 = ROI_COLS[0] + 1, ROI_COLS[1]  # 1-based first and last column
    y0, y1 = ROI_ROWS[0] + 1, ROI_ROWS[1]
    xs = np.array([[x0], [x1], [x1], [x0]], dtype=np.float64)
    ys = np.array([[y0], [y0], [y1], [y1]], dtype=np.float64)
    return xs, ys


def inside_points(n, seed):
    """``n`` 1-based (x, y) points inside the ROI, (n, 2) float64."""
    rng = np.random.default_rng(seed)
    # 0-based pixel k covers [k, k + 1), i.e. 1-based [k + 1, k + 2); keep
    # 0.1 off the borders.
    xs = rng.uniform(ROI_COLS[0] + 1.1, ROI_COLS[1] + 0.9, n)
    ys = rng.uniform(ROI_ROWS[0] + 1.1, ROI_ROWS[1] + 0.9, n)
    return np.stack([xs, ys], axis=1)


def outside_points(n):
    """``n`` 1-based (x, y) points outside the ROI but on the image."""
    xs = np.linspace(1.0, IMG_SHAPE[1], n)
    ys = np.full(n, float(IMG_SHAPE[0]))  # the last row, below the ROI
    return np.stack([xs, ys], axis=1)


def write_image(path, shape=IMG_SHAPE, value=0):
    os.makedirs(osp.dirname(path), exist_ok=True)
    assert cv2.imwrite(path, np.full(shape, value, dtype=np.uint8))


def frame_cell(locs, field='loc'):
    """A MATLAB 1xF cell of structs with one field, as savemat writes it."""
    cell = np.empty((1, len(locs)), dtype=object)
    for j, loc in enumerate(locs):
        cell[0, j] = {field: loc}
    return cell


def savemat(path, variables):
    os.makedirs(osp.dirname(path), exist_ok=True)
    scipy.io.savemat(path, variables)


def truncate(path, keep=0.5):
    """Cut a file to a fraction of its bytes, like an interrupted copy."""
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:
        f.write(data[:int(len(data) * keep)])


def frame_counts(index):
    """Deterministic (inside, outside) head counts of frame ``index``."""
    return index % 5 + 1, index % 3


def write_ucsd(root, num_seqs=10, frames_per_seq=200, roi='mask'):
    """A fake UCSD release (``vidf/`` and ``vidf-cvpr/``).

    Args:
        root (str): Where to write.
        num_seqs (int): Sequences ``vidf1_33_000`` on.
        frames_per_seq (int): Frames per sequence.
        roi (str): ``'mask'`` (struct with ``xi``, ``yi`` and ``mask``, as
            released) or ``'polygon'`` (``xi`` and ``yi`` only).

    Returns:
        dict: Global 1-based frame index -> (img_path, 1-based inside
        points (N, 2)).
    """
    expected = {}
    for seq in range(num_seqs):
        name = f'vidf1_33_{seq:03d}'
        locs = []
        for j in range(1, frames_per_seq + 1):
            index = seq * frames_per_seq + j
            n_in, n_out = frame_counts(index)
            inside = inside_points(n_in, seed=index)
            pts = np.concatenate([inside, outside_points(n_out)])
            # UCSD's loc has a third column (z); the readers drop it.
            locs.append(np.concatenate([pts, np.ones((len(pts), 1))], 1))
            img_path = osp.join(root, 'vidf', f'{name}.y',
                                f'{name}_f{j:03d}.png')
            write_image(img_path)
            expected[index] = (img_path, inside)
        savemat(
            osp.join(root, 'vidf-cvpr', f'{name}_frame_full.mat'),
            dict(frame=frame_cell(locs)))
    xs, ys = roi_polygon()
    struct = dict(xi=xs, yi=ys)
    if roi == 'mask':
        struct['mask'] = roi_mask().astype(bool)
    savemat(
        osp.join(root, 'vidf-cvpr', 'vidf1_33_roi_mainwalkway.mat'),
        dict(roi=struct))
    return expected


def write_mall(root, num_frames=2000):
    """A fake Mall release: frames/, mall_gt.mat and perspective_roi.mat.

    Returns:
        dict: 1-based frame index -> (img_path, 1-based inside points).
    """
    expected, locs, counts = {}, [], []
    for j in range(1, num_frames + 1):
        n_in, n_out = frame_counts(j)
        inside = inside_points(n_in, seed=j)
        locs.append(np.concatenate([inside, outside_points(n_out)]))
        counts.append(n_in + n_out)
        img_path = osp.join(root, 'frames', f'seq_{j:06d}.jpg')
        write_image(img_path)
        expected[j] = (img_path, inside)
    savemat(
        osp.join(root, 'mall_gt.mat'),
        dict(frame=frame_cell(locs), count=np.array(counts, float)[:, None]))
    savemat(
        osp.join(root, 'perspective_roi.mat'),
        dict(
            pMapN=np.ones(IMG_SHAPE),
            roi=dict(mask=roi_mask().astype(bool))))
    return expected


WORLDEXPO_TRAIN_FRAMES = {
    # scene: frame names as the release spells them (200247 uses '-').
    '100061': ['100061_A08DJDJ00-00000001', '100061_A08DJDJ00-00000002'],
    '200247': ['200247-20100705-120000_1'],
}
WORLDEXPO_TEST_SCENES = ('104207', '200608', '200702', '202201', '500717')


def write_worldexpo(root, frames_per_test_scene=2, point_key='point_position'):
    """A fake WorldExpo'10 release (``train_*`` flat, ``test_*`` per scene).

    Args:
        root (str): Where to write.
        frames_per_test_scene (int): Test frames per test scene.
        point_key (str): The label variable of the test labels; train
            labels always use ``point_position``.

    Returns:
        dict: split -> list of (scene, img_path, 1-based inside points),
        in the order the reader lists them (scene, then frame name).
    """
    xs, ys = roi_polygon()
    expected = dict(train=[], test=[])
    seed = 0
    frames = dict(
        train=WORLDEXPO_TRAIN_FRAMES,
        test={
            scene: [f'{scene}_clip_{k:03d}'
                    for k in range(1, frames_per_test_scene + 1)]
            for scene in WORLDEXPO_TEST_SCENES
        })
    for split, scenes in frames.items():
        for scene, names in sorted(scenes.items()):
            savemat(
                osp.join(root, f'{split}_label', scene, 'roi.mat'),
                dict(maskVerticesXCoordinates=xs,
                     maskVerticesYCoordinates=ys))
            for name in sorted(names):
                seed += 1
                n_in, n_out = frame_counts(seed)
                inside = inside_points(n_in, seed=seed)
                pts = np.concatenate([inside, outside_points(n_out)])
                key = 'point_position' if split == 'train' else point_key
                savemat(
                    osp.join(root, f'{split}_label', scene, f'{name}.mat'),
                    {key: pts, 'point_num': np.array([[len(pts)]])})
                sub = '' if split == 'train' else scene
                img_path = osp.join(root, f'{split}_frame', sub, f'{name}.jpg')
                write_image(img_path)
                expected[split].append((scene, img_path, inside))
    return expected


TRANCOS_SETS = dict(
    training=['image-1-000001', 'image-1-000002'],
    validation=['image-2-000010'],
    test=['image-3-000100', 'image-3-000101'])


def write_trancos(root):
    """A fake TRANCOS v3 release (``images/``, ``image_sets/``).

    Returns:
        dict: image stem -> (img_path, mask path, 1-based inside points).
    """
    expected, seed = {}, 0
    os.makedirs(osp.join(root, 'image_sets'))
    for set_name, stems in TRANCOS_SETS.items():
        with open(osp.join(root, 'image_sets', f'{set_name}.txt'), 'w') as f:
            f.write(''.join(f'{stem}.jpg\n' for stem in stems))
        for stem in stems:
            seed += 1
            n_in, n_out = frame_counts(seed)
            inside = inside_points(n_in, seed=seed)
            pts = np.concatenate([inside, outside_points(n_out)])
            img_path = osp.join(root, 'images', f'{stem}.jpg')
            write_image(img_path)
            with open(osp.join(root, 'images', f'{stem}.txt'), 'w') as f:
                f.write(''.join(f'{x:.6f}\t{y:.6f}\n' for x, y in pts))
            mask_path = osp.join(root, 'images', f'{stem}mask.mat')
            savemat(mask_path, dict(BW=roi_mask().astype(bool)))
            expected[stem] = (img_path, mask_path, inside)
    return expected


def write_ucf_cc_50(root, num_images=50):
    """A fake UCF_CC_50 release (``N.jpg`` and ``N_ann.mat``).

    Returns:
        dict: 1-based image number -> (img_path, 1-based points).
    """
    expected = {}
    for i in range(1, num_images + 1):
        pts = np.concatenate(
            [inside_points(i % 4 + 1, seed=i), outside_points(i % 2)])
        img_path = osp.join(root, f'{i}.jpg')
        write_image(img_path)
        savemat(osp.join(root, f'{i}_ann.mat'), dict(annPoints=pts))
        expected[i] = (img_path, pts)
    return expected


def write_shanghaitech_mat(path, location, number=None):
    """Write a .mat in the release's layout: image_info{1}.location/number."""
    location = np.asarray(location, dtype=np.float64).reshape(-1, 2)
    info = np.zeros((1, 1), dtype=[('location', 'O'), ('number', 'O')])
    info[0, 0]['location'] = location
    info[0, 0]['number'] = np.array(
        [[len(location) if number is None else number]], dtype=np.uint16)
    cell = np.empty((1, 1), dtype=object)
    cell[0, 0] = info
    scipy.io.savemat(path, {'image_info': cell})


def make_shanghaitech_part(root, ids=(1, 2, 3), split='train'):
    """A fake ``part_X`` folder: 10x12 black images, image i has i heads."""
    img_dir = root / f'{split}_data' / 'images'
    gt_dir = root / f'{split}_data' / 'ground-truth'
    img_dir.mkdir(parents=True)
    gt_dir.mkdir(parents=True)
    for i in ids:
        Image.fromarray(np.zeros((10, 12, 3), np.uint8)).save(
            img_dir / f'IMG_{i}.jpg')
        write_shanghaitech_mat(gt_dir / f'GT_IMG_{i}.mat', [[i, 1.5]] * i)
    return img_dir, gt_dir


def write_ucf_qnrf(root, num_train=3, num_test=2, outside=True):
    """A fake UCF-QNRF release (``Train/`` and ``Test/`` with
    ``img_NNNN.jpg`` and ``img_NNNN_ann.mat``).

    Image ``i`` has ``i % 4 + 1`` heads inside (1-based) and, with
    ``outside``, one head past its right edge (x = W + 5, 1-based), as real
    releases have.

    Returns:
        dict: split -> list of (img_path, ann_path, 1-based points).
    """
    expected = dict(train=[], test=[])
    for split, folder, num in (('train', 'Train', num_train),
                               ('test', 'Test', num_test)):
        for i in range(1, num + 1):
            pts = inside_points(i % 4 + 1, seed=100 * len(split) + i)
            if outside:
                pts = np.concatenate([pts, [[IMG_SHAPE[1] + 5.0, 3.0]]])
            img_path = osp.join(root, folder, f'img_{i:04d}.jpg')
            write_image(img_path)
            ann_path = osp.join(root, folder, f'img_{i:04d}_ann.mat')
            savemat(ann_path, dict(annPoints=pts))
            expected[split].append((img_path, ann_path, pts))
    return expected


JHU_SPLITS = dict(train=3, val=2, test=2)


def write_jhu_crowd(root, sizes=JHU_SPLITS, outside=True):
    """A fake JHU-Crowd++ release (``{split}/images``, ``{split}/gt``,
    ``{split}/image_labels.txt``).

    Image ``k`` of a split (numbered ``0001`` on across the splits) has
    ``k % 3`` heads inside the image (every third has none: the release has
    images without heads) with boxes ``w = 2 + j``, ``h = 3 + j``; with
    ``outside``, the second image has one more head left of the image (x =
    -4). Weather is ``k % 4``.

    Returns:
        dict: split -> list of dict(name, img_path, gt_path, points (N, 2),
        sizes (N, 2), weather, scene_type).
    """
    expected = {}
    number = 0
    for split, num in sizes.items():
        expected[split] = []
        lines = []
        for k in range(1, num + 1):
            number += 1
            name = f'{number:04d}'
            pts = inside_points(k % 3, seed=number) - 1  # 0-based
            if outside and k == 2:
                pts = np.concatenate([pts, [[-4.0, 5.0]]])
            sizes_ = np.stack([2.0 + np.arange(len(pts)),
                               3.0 + np.arange(len(pts))], axis=1)
            img_path = osp.join(root, split, 'images', f'{name}.jpg')
            write_image(img_path)
            gt_path = osp.join(root, split, 'gt', f'{name}.txt')
            os.makedirs(osp.dirname(gt_path), exist_ok=True)
            with open(gt_path, 'w') as f:
                for (x, y), (w, h) in zip(pts, sizes_):
                    f.write(f'{x:.3f} {y:.3f} {w:g} {h:g} 1 0\n')
            scene = 'stadium' if k % 2 else 'street'
            lines.append(f'{name},{len(pts)},{scene},{k % 4},0\n')
            expected[split].append(
                dict(name=name, img_path=img_path, gt_path=gt_path,
                     points=pts, sizes=sizes_, weather=k % 4,
                     scene_type=scene))
        with open(osp.join(root, split, 'image_labels.txt'), 'w') as f:
            f.writelines(lines)
    return expected


NWPU_SPLITS = dict(train=('0001', '0002', '0003'), val=('0004', '0005'),
                   test=('0006', '0007'))


def write_nwpu_crowd(root, splits=NWPU_SPLITS, outside=True):
    """A fake NWPU-Crowd release (``images/``, ``jsons/``, list files).

    Image ``NNNN`` (number ``n``) has ``n % 3 + 1`` heads inside, each with
    a box of width ``4`` and height ``6``; luminance ``n % 4`` and scene
    level ``n % 5`` in the list files. With ``outside``, image 0002 has one
    more head below the image (y = H + 2). The test images have no json.

    Returns:
        dict: split -> list of dict(id, img_path, points, luminance,
        scene_level) (points None for test).
    """
    expected = {}
    for split, ids in splits.items():
        expected[split] = []
        lines = []
        for image_id in ids:
            n = int(image_id)
            img_path = osp.join(root, 'images', f'{image_id}.jpg')
            write_image(img_path)
            lines.append(f'{image_id} {n % 4} {n % 5}\n')
            points = None
            if split != 'test':
                points = inside_points(n % 3 + 1, seed=n) - 1  # 0-based
                if outside and image_id == '0002':
                    points = np.concatenate(
                        [points, [[3.0, IMG_SHAPE[0] + 2.0]]])
                boxes = np.concatenate([points - [2, 3], points + [2, 3]], 1)
                os.makedirs(osp.join(root, 'jsons'), exist_ok=True)
                with open(osp.join(root, 'jsons', f'{image_id}.json'),
                          'w') as f:
                    json.dump(dict(img_id=f'{image_id}.jpg',
                                   human_num=len(points),
                                   points=points.tolist(),
                                   boxes=boxes.tolist()), f)
            expected[split].append(
                dict(id=image_id, img_path=img_path, points=points,
                     luminance=n % 4, scene_level=n % 5))
        with open(osp.join(root, f'{split}.txt'), 'w') as f:
            f.writelines(lines)
    return expected

"""Dataset wrappers: patches per image, decoded images kept in memory."""
import copy
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from mmengine.dataset import BaseDataset

from hsrcount.registry import DATASETS


@DATASETS.register_module()
class PatchRepeatDataset:
    """Show each image ``patches_per_image`` times per epoch.

    Sample ``i`` is image ``i // patches_per_image`` with ``patch_index =
    i % patches_per_image`` in its results, which :class:`PaperCrop` reads:
    indices 0 to 3 are the four quarters, the rest random crops. With the
    paper's 14 (4 quarters + 10 random patches) an epoch covers every
    image whole.

    Args:
        dataset (BaseDataset | dict): The dataset, or its config.
        patches_per_image (int): Samples per image. Defaults to 14.
    """

    def __init__(self, dataset, patches_per_image=14):
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        if not isinstance(dataset, BaseDataset):
            raise TypeError(f'dataset must be a BaseDataset or its config, '
                            f'got {type(dataset).__name__}')
        if patches_per_image < 1:
            raise ValueError(f'patches_per_image must be >= 1, got '
                             f'{patches_per_image}')
        self.dataset = dataset
        self.patches_per_image = int(patches_per_image)

    @property
    def metainfo(self):
        return copy.deepcopy(self.dataset.metainfo)

    def full_init(self) -> None:
        self.dataset.full_init()

    def get_data_info(self, idx: int) -> dict:
        """The data info of sample ``idx``, with its ``patch_index``."""
        image, patch = divmod(idx, self.patches_per_image)
        info = self.dataset.get_data_info(image)
        info['patch_index'] = patch
        return info

    def __len__(self) -> int:
        return len(self.dataset) * self.patches_per_image

    def __getitem__(self, idx: int) -> dict:
        if not 0 <= idx < len(self):
            raise IndexError(f'index {idx} out of range for {len(self)} '
                             f'samples')
        return self.dataset.pipeline(self.get_data_info(idx))


#: Transform types that only read files: their output depends on the image
#: alone, so it is computed once and cached.
LOADING_TRANSFORMS = ('LoadCrowdImageFromFile', 'LoadCrowdAnnotations')


def _inner_dataset(dataset):
    """The dataset that owns the pipeline (unwraps PatchRepeatDataset)."""
    inner = getattr(dataset, 'dataset', None)
    return inner if isinstance(inner, BaseDataset) else dataset


def split_loading(pipeline):
    """Split a ``Compose`` into its leading loading steps and the rest.

    Args:
        pipeline (mmengine.dataset.Compose): A dataset's pipeline.

    Returns:
        tuple[list, list]: The leading transforms whose type is in
        :data:`LOADING_TRANSFORMS`, and all transforms after them.

    Raises:
        ValueError: If the pipeline does not start with
            ``LoadCrowdImageFromFile``, or a loading transform comes after a
            random one (its output could then not be cached).
    """
    transforms = list(pipeline.transforms)
    names = [type(t).__name__ for t in transforms]
    n = 0
    while n < len(names) and names[n] in LOADING_TRANSFORMS:
        n += 1
    if n == 0 or names[0] != 'LoadCrowdImageFromFile':
        raise ValueError('InMemoryDataset: the training pipeline must start '
                         f'with LoadCrowdImageFromFile, it is {names}')
    late = [name for name in names[n:] if name in LOADING_TRANSFORMS]
    if late:
        raise ValueError(f'InMemoryDataset: {late} come after other '
                         f'transforms in {names}; only leading loading steps '
                         'can be cached')
    return transforms[:n], transforms[n:]


@DATASETS.register_module()
class InMemoryDataset:
    """A dataset whose loaded images are decoded once and kept in memory.

    Training on a CPU, or for a short budget on a fast GPU, spends much of
    its time decoding the same JPEGs again (ShanghaiTech images are shown 14
    times per epoch). This wrapper runs the deterministic loading steps of
    the pipeline once per image and keeps the result (the decoded image,
    the checked points and, with ``head_sigmas``, the whole-image kernel
    widths); every sample then runs only the rest of the pipeline (random
    rescale, crop, flip, density rendering, packing) on the cached arrays.
    Use it in a config around the training set::

        train_dataloader = dict(dataset=dict(
            type='InMemoryDataset', num_threads=2,
            dataset=dict(type='PatchRepeatDataset', dataset=...)))

    The config holds only this dict; the decoded images live in the built
    object, so they are never written into a saved config. Memory: about
    ``H * W * 3`` bytes per image (ShanghaiTech Part A train: about 200 MB).

    Wraps a built dataset (a :class:`BaseCrowdDataset` or a
    :class:`PatchRepeatDataset` around one). :meth:`__getitem__` takes the
    wrapped dataset's data info (with ``patch_index`` where it sets one),
    swaps in the cached output of the loading steps of its image, and runs
    the remaining transforms. The cached arrays are read-only, so a
    transform that writes into its input fails loudly instead of
    corrupting later samples; transforms here always make new arrays.

    Every image is decoded when the wrapper is built, before a data loader
    forks its workers: they then share the cache (copy-on-write) instead of
    each decoding every image.

    Args:
        dataset (BaseDataset | PatchRepeatDataset | dict): The dataset, or
            its config.
        num_threads (int): Images decoded at once when it is built.
            Defaults to 1.
        lazy (bool): Decode each image at its first use instead of all at
            construction. Defaults to False.
    """

    def __init__(self, dataset, num_threads=1, lazy=False):
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        self.dataset = dataset
        self._loading, self._rest = split_loading(
            _inner_dataset(dataset).pipeline)
        self._cache = {}
        if not lazy:
            self.load_all(num_threads)

    @property
    def metainfo(self):
        return copy.deepcopy(self.dataset.metainfo)

    def full_init(self) -> None:
        self.dataset.full_init()

    def __len__(self) -> int:
        return len(self.dataset)

    @property
    def num_cached(self):
        """int: How many images have been decoded so far."""
        return len(self._cache)

    def _run_loading(self, info):
        """The loading steps' output for one image, arrays made read-only."""
        # Only image-level keys: patch_index differs between samples.
        results = {k: copy.deepcopy(v) for k, v in info.items()
                   if k != 'patch_index'}
        for transform in self._loading:
            results = transform(results)
            if results is None:
                raise ValueError(f'{info["img_path"]}: '
                                 f'{type(transform).__name__} dropped the '
                                 'sample')
        for value in results.values():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False
        return results

    def _load(self, info):
        key = info['img_path']
        if key not in self._cache:
            self._cache[key] = self._run_loading(info)
        return self._cache[key]

    def load_all(self, num_threads=1):
        """Decode every image of the wrapped dataset into the cache.

        Args:
            num_threads (int): Images decoded at once (image decoding
                releases the GIL). Defaults to 1.

        Returns:
            int: The number of images cached.
        """
        inner = _inner_dataset(self.dataset)
        todo = {}
        for i in range(len(inner)):
            info = inner.get_data_info(i)
            if info['img_path'] not in self._cache:
                todo.setdefault(info['img_path'], info)
        if num_threads > 1 and len(todo) > 1:
            with ThreadPoolExecutor(num_threads) as pool:
                loaded = list(pool.map(self._run_loading, todo.values()))
        else:
            loaded = [self._run_loading(info) for info in todo.values()]
        self._cache.update(zip(todo, loaded))
        return self.num_cached

    def __getitem__(self, idx: int) -> dict:
        if not 0 <= idx < len(self):
            raise IndexError(f'index {idx} out of range for {len(self)} '
                             f'samples')
        info = self.dataset.get_data_info(idx)
        results = dict(self._load(info))
        if 'patch_index' in info:
            results['patch_index'] = info['patch_index']
        for transform in self._rest:
            results = transform(results)
            if results is None:
                raise ValueError(f'{info["img_path"]}: '
                                 f'{type(transform).__name__} dropped the '
                                 'sample')
        return results

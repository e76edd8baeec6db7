"""Keep a training set's decoded images in memory.

A short budget run on a fast GPU spends much of its time decoding JPEGs
again and again (ShanghaiTech images are shown 14 times per epoch).
:class:`InMemoryDataset` runs the deterministic loading steps of the
pipeline once per image and keeps the result; every sample then runs only
the rest of the pipeline (random rescale/crop/flip, density rendering,
packing) on the cached arrays.
"""
import copy
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from mmengine.dataset import BaseDataset

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


class InMemoryDataset:
    """A training dataset whose loaded images are decoded once and kept.

    Wraps a built dataset (a :class:`BaseCrowdDataset` or a
    :class:`PatchRepeatDataset` around one). :meth:`__getitem__` takes the
    wrapped dataset's data info (with ``patch_index`` where it sets one),
    swaps in the cached output of the loading steps of its image, and runs
    the remaining transforms. The cached arrays are read-only, so a
    transform that writes into its input fails loudly instead of
    corrupting later samples; transforms here always make new arrays.

    Call :meth:`load_all` before a data loader forks its workers: they then
    share the cache (copy-on-write) instead of each decoding every image.

    Args:
        dataset (BaseDataset | PatchRepeatDataset): The built dataset.
    """

    def __init__(self, dataset):
        self.dataset = dataset
        self._loading, self._rest = split_loading(
            _inner_dataset(dataset).pipeline)
        self._cache = {}

    @property
    def metainfo(self):
        return copy.deepcopy(self.dataset.metainfo)

    def full_init(self):
        self.dataset.full_init()

    def __len__(self):
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

    def __getitem__(self, idx):
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

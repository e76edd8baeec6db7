"""Evaluate on part of a dataset: ``--val-subset`` of the tools.

A validation of the ShanghaiTech Part B config runs the model on all 316
test images, which takes minutes on a CPU. A short trial run can validate on
a few of them instead, through MMEngine's ``indices`` argument of
``BaseDataset``: the first N images, or N drawn at random with a seed.
"""
import copy
from typing import Optional, Sequence, Union

import numpy as np


def innermost_dataset(dataset_cfg: dict, where: str) -> dict:
    """The dataset config that lists the images, under any wrappers.

    Wrappers (``PatchRepeatDataset``, ``InMemoryDataset``, MMEngine's
    ``RepeatDataset``) name the dataset they wrap as ``dataset``.

    Args:
        dataset_cfg (dict): A dataloader's ``dataset`` config.
        where (str): The config key, named in errors.

    Returns:
        dict: The innermost config (the same object, not a copy).

    Raises:
        ValueError: For a ``ConcatDataset`` (``datasets``), whose images
            come from several configs.
    """
    while isinstance(dataset_cfg.get('dataset'), dict):
        dataset_cfg = dataset_cfg['dataset']
        where += '.dataset'
    if 'datasets' in dataset_cfg:
        raise ValueError(f'{where} concatenates several datasets; take a '
                         'subset in each of them instead')
    return dataset_cfg


def dataset_length(dataset_cfg: dict) -> int:
    """The number of images a dataset config lists (its annotations are
    read; no image is)."""
    from hsrcount.registry import DATASETS
    cfg = copy.deepcopy(dict(dataset_cfg))
    # No transform runs here: an empty pipeline needs no registry scope.
    cfg.update(lazy_init=True, pipeline=[])
    dataset = DATASETS.build(cfg)
    dataset.full_init()
    return len(dataset)


def take_subset(cfg,
                key: str,
                num: Optional[int],
                seed: Optional[int] = None) -> Union[int, Sequence[int]]:
    """Make ``cfg[key]``'s dataset load ``num`` of its images.

    Without ``seed``, the first ``num`` images in the dataset's order; with
    it, ``num`` images drawn without replacement by
    ``numpy.random.default_rng(seed)`` (the same ones on every run), kept
    in the dataset's order. Drawing needs the dataset's length, so its
    annotations are read once here.

    ``cfg[key]`` is replaced by a copy first: configs often make
    ``test_dataloader`` the same dict as ``val_dataloader``.

    Args:
        cfg (Config): The config; changed in place.
        key (str): The dataloader, e.g. ``'val_dataloader'``.
        num (int): How many images, at least 1 (None is an error that
            names the seed, for a seed given without a number).
        seed (int, optional): Draw the images with this seed. Defaults to
            None (the first ``num``).

    Returns:
        int | list[int]: What the dataset's ``indices`` was set to.

    Raises:
        ValueError: If ``num`` < 1, the config has no ``key.dataset``, or
            the dataset already sets ``indices``.
    """
    if num is None:
        raise ValueError(f'{key}: a seed ({seed}) but no number of images')
    if num < 1:
        raise ValueError(f'{key}: a subset needs at least 1 image, got {num}')
    loader = cfg.get(key)
    if not loader or not isinstance(loader.get('dataset'), dict):
        raise ValueError(f'the config has no {key}.dataset to take a '
                         'subset of')
    cfg[key] = loader = copy.deepcopy(loader)
    dataset = innermost_dataset(loader['dataset'], f'{key}.dataset')
    if dataset.get('indices') is not None:
        raise ValueError(f'{key}: the dataset already sets indices='
                         f'{dataset["indices"]!r}; remove it to take a '
                         'subset')
    if seed is None:
        indices = num
    else:
        total = dataset_length(dataset)
        rng = np.random.default_rng(seed)
        drawn = rng.choice(total, size=min(num, total), replace=False)
        indices = sorted(int(i) for i in drawn)
    dataset['indices'] = indices
    return indices

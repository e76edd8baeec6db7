"""Putting a checkpoint's weights into a model: all of them, and sane ones.

MMEngine's ``load_state_dict`` checks keys and shapes only, and only warns
when they differ; ``param.copy_`` then casts int8 weights to float and copies
NaN as it is. :func:`load_weights` checks, before anything is copied:

- the checkpoint is a dict holding a state dict of tensors;
- keys and shapes match the model (strict), or lists what does not load
  (not strict, for fine-tuning);
- every tensor that loads has the model tensor's kind of dtype (floating
  weights stay floating) and, if floating, only finite values.

:func:`check_resumable` checks what ``Runner.resume`` reads besides the
weights.
"""
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Iterable, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.logging import print_log

from .errors import CheckpointMismatchError, InvalidCheckpointError

#: MMEngine's default: weights saved from a DDP-wrapped model lose their
#: ``module.`` prefix.
DEFAULT_REVISE_KEYS = ((r'^module\.', ''), )
_LISTED = 10  # keys an error message lists before "and N more"


def _listed(items: Sequence[str], limit: Optional[int] = _LISTED) -> str:
    items = list(items)
    if limit is None or len(items) <= limit:
        return ', '.join(items)
    return (', '.join(items[:limit]) +
            f' (and {len(items) - limit} more)')


def _shape(tensor: torch.Tensor) -> str:
    return '(' + ', '.join(map(str, tensor.shape)) + ')'


@dataclass
class LoadReport:
    """What of a checkpoint did not load into a model.

    Attributes:
        missing (list[str]): Model keys the checkpoint lacks (left at their
            initial values).
        unexpected (list[str]): Checkpoint keys the model lacks (ignored).
        mismatched (list[str]): Keys in both whose shapes differ, each as
            ``'key: checkpoint (a, b), model (c, d)'`` (left at their
            initial values).
    """

    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    mismatched: List[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.missing or self.unexpected or self.mismatched)

    def describe(self, limit: Optional[int] = _LISTED) -> str:
        """One line per kind of problem, ``limit`` keys each (None: all)."""
        parts = []
        if self.mismatched:
            parts.append('size mismatch for ' +
                         _listed(self.mismatched, limit))
        if self.missing:
            parts.append('missing keys (not in the checkpoint): ' +
                         _listed(self.missing, limit))
        if self.unexpected:
            parts.append('unexpected keys (not in the model): ' +
                         _listed(self.unexpected, limit))
        return '; '.join(parts)


def state_dict_of(checkpoint, source: str) -> dict:
    """The weights of a loaded checkpoint.

    Args:
        checkpoint: What the file held: ``{'state_dict': {...}, ...}`` or a
            plain ``{name: tensor}`` dict.
        source (str): The checkpoint, named in errors.

    Returns:
        dict[str, Tensor]: The state dict as stored (``_metadata`` kept).

    Raises:
        InvalidCheckpointError: Not a dict, or an entry is not a tensor.
    """
    if not isinstance(checkpoint, dict):
        raise InvalidCheckpointError(
            source, f'it holds a {type(checkpoint).__name__}, not a '
            'checkpoint (a dict with a \'state_dict\', or a dict of '
            'tensors)')
    state = checkpoint['state_dict'] if 'state_dict' in checkpoint \
        else checkpoint
    if not isinstance(state, dict):
        raise InvalidCheckpointError(
            source, f'its \'state_dict\' is a {type(state).__name__}, not a '
            'dict of tensors')
    for key, value in state.items():
        if not isinstance(key, str):
            raise InvalidCheckpointError(
                source, f'its state dict has a non-string key {key!r}')
        if not isinstance(value, torch.Tensor) and \
                not key.endswith('_extra_state'):
            raise InvalidCheckpointError(
                source, f'{key!r} in its state dict is a '
                f'{type(value).__name__}, not a tensor')
    return state


def _revised(state: dict, revise_keys: Iterable[Tuple[str, str]]) -> dict:
    metadata = getattr(state, '_metadata', OrderedDict())
    for pattern, replacement in revise_keys:
        state = OrderedDict(
            (re.sub(pattern, replacement, key), value)
            for key, value in state.items())
    state = OrderedDict(state)
    state._metadata = metadata
    return state


def first_non_finite(named_tensors) -> Optional[tuple]:
    """The first floating tensor holding NaN or inf, found quickly.

    Each tensor is reduced to its sum, which is NaN or infinite whenever one
    of its values is (NaN propagates; inf plus anything finite is inf; inf
    plus -inf is NaN); the per-tensor verdicts are stacked so a GPU
    synchronises once. A non-finite sum of finite values (an overflow) is
    then checked value by value before it counts. Unlike
    ``torch.isfinite(t).all()`` it writes no boolean per value.

    Args:
        named_tensors (Iterable[tuple[str, Tensor]]): ``(name, tensor)``;
            non-tensors and integer tensors are skipped.

    Returns:
        tuple | None: ``(name, tensor, non-finite values, non-finite
        tensors)`` for the first bad tensor in order, or None.
    """
    named = [(name, tensor) for name, tensor in named_tensors
             if isinstance(tensor, torch.Tensor) and (
                 tensor.is_floating_point() or tensor.is_complex())]
    if not named:
        return None
    device = named[0][1].device
    with torch.no_grad():
        verdicts = torch.stack([
            torch.isfinite(tensor.sum()).to(device) for _, tensor in named
        ]).tolist()
        bad = []
        for (name, tensor), finite_sum in zip(named, verdicts):
            if finite_sum:
                continue
            finite = torch.isfinite(tensor)
            count = int(finite.numel() - int(finite.sum()))
            if count:
                bad.append((name, tensor, count))
    if not bad:
        return None
    name, tensor, count = bad[0]
    return name, tensor, count, len(bad)


def check_tensor_values(tensors: Iterable[Tuple[str, torch.Tensor]],
                        source: str, what: str = 'tensor') -> None:
    """Every floating tensor holds finite values only.

    Args:
        tensors (Iterable[tuple[str, Tensor]]): ``(name, tensor)`` pairs;
            non-tensors and non-floating tensors are skipped.
        source (str): The checkpoint, named in errors.
        what (str): How to call a tensor in the message.

    Raises:
        InvalidCheckpointError: Naming the first non-finite tensor and how
            many of its values are NaN or infinite.
    """
    found = first_non_finite(tensors)
    if found is None:
        return
    name, tensor, count, others = found
    also = f' (and {others - 1} more such tensor(s))' if others > 1 else ''
    raise InvalidCheckpointError(
        source, f'{what} {name!r} {_shape(tensor)} has {count} non-finite '
        f'value(s) (NaN or inf) of {tensor.numel()}{also}; it comes from a '
        'diverged run, do not load it')


def _check_dtypes(state: dict, model_state: dict, source: str) -> None:
    for key, value in state.items():
        expected = model_state[key]
        if not isinstance(value, torch.Tensor):
            continue
        if (value.is_floating_point() != expected.is_floating_point()
                or value.is_complex() != expected.is_complex()):
            raise InvalidCheckpointError(
                source, f'tensor {key!r} is {value.dtype}, but the model\'s '
                f'is {expected.dtype}: loading would convert its values '
                'silently (floating-point weights must be saved as floating '
                'point)')


def load_weights(model: nn.Module,
                 checkpoint,
                 source: str,
                 strict: bool = True,
                 revise_keys: Iterable[Tuple[str, str]] = DEFAULT_REVISE_KEYS,
                 logger=None) -> LoadReport:
    """Load a checkpoint's weights into ``model`` after checking them.

    Args:
        model (nn.Module): The (unwrapped) model.
        checkpoint: The loaded checkpoint (see :func:`state_dict_of`).
        source (str): The checkpoint file or URL, named in errors and logs.
        strict (bool): Refuse missing and unexpected keys and other shapes.
            Otherwise load what fits and log, with ``logger``, every key
            that did not load. Defaults to True.
        revise_keys (Iterable[tuple[str, str]]): ``(pattern, replacement)``
            regular expressions applied to the checkpoint's keys first.
            Defaults to stripping DDP's ``module.`` prefix.
        logger (str | Logger, optional): Where a non-strict load reports
            what did not load; ``print_log``'s ``logger``. Defaults to
            None (print).

    Returns:
        LoadReport: What did not load (empty after a strict load).

    Raises:
        InvalidCheckpointError: Not a checkpoint dict, a non-tensor entry,
            a tensor whose dtype kind differs from the model's, or a
            non-finite floating tensor; nothing was loaded.
        CheckpointMismatchError: ``strict`` and keys or shapes differ;
            nothing was loaded.
    """
    state = _revised(state_dict_of(checkpoint, source), revise_keys)
    model_state = model.state_dict()
    report = LoadReport(
        missing=[
            key for key in model_state if key not in state
            # as MMEngine: BN counters of old checkpoints are not weights
            and not key.endswith('num_batches_tracked')
        ],
        unexpected=[key for key in state if key not in model_state],
        mismatched=[
            f'{key}: checkpoint {_shape(value)}, model '
            f'{_shape(model_state[key])}' for key, value in state.items()
            if key in model_state and isinstance(value, torch.Tensor)
            and value.shape != model_state[key].shape
        ])
    if strict and report:
        raise CheckpointMismatchError(source, type(model).__name__,
                                      report.describe())
    mismatched = {item.split(':', 1)[0] for item in report.mismatched}
    loadable = OrderedDict(
        (key, value) for key, value in state.items()
        if key in model_state and key not in mismatched)
    loadable._metadata = state._metadata
    _check_dtypes(loadable, model_state, source)
    check_tensor_values(loadable.items(), source)
    model.load_state_dict(loadable, strict=False)
    if report:
        print_log(
            f'Loaded {source} non-strictly; these weights did not load '
            f'(the model keeps its initial values where it has them): '
            f'{report.describe(limit=None)}',
            logger=logger,
            level=logging.WARNING)
    return report


def walk_tensors(obj, prefix: str = ''):
    """``(place, tensor)`` for every tensor in nested dicts and lists.

    Args:
        obj: A tensor, or dicts, lists and tuples holding tensors.
        prefix (str): The place of ``obj``, e.g. ``'optimizer'``.

    Yields:
        tuple[str, Tensor]: e.g. ``("optimizer['state'][0]['exp_avg']",
        tensor)``.
    """
    if isinstance(obj, torch.Tensor):
        yield prefix, obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from walk_tensors(value, f'{prefix}[{key!r}]')
    elif isinstance(obj, (list, tuple)):
        for index, value in enumerate(obj):
            yield from walk_tensors(value, f'{prefix}[{index}]')


def check_resumable(checkpoint, source: str) -> None:
    """A checkpoint holds the training state that a resume restores.

    Args:
        checkpoint: The loaded checkpoint.
        source (str): The checkpoint, named in errors.

    Raises:
        InvalidCheckpointError: Not a dict; no ``meta`` with integer
            ``epoch`` and ``iter`` or no ``message_hub`` (a weights-only
            file: the message says to use ``load_from``); non-finite
            optimizer state.
    """
    state_dict_of(checkpoint, source)
    meta = checkpoint.get('meta')
    if not isinstance(meta, dict) or 'message_hub' not in checkpoint:
        raise InvalidCheckpointError(
            source, 'it holds weights only (no \'meta\' with the iteration '
            'and no \'message_hub\'), so training cannot resume from it. '
            f'To start a new run from its weights, use load_from={source} '
            '(tools/train.py --cfg-options load_from=...) instead of '
            '--resume')
    for key in ('epoch', 'iter'):
        if not isinstance(meta.get(key), int) or isinstance(
                meta.get(key), bool) or meta[key] < 0:
            raise InvalidCheckpointError(
                source, f'its meta[{key!r}] is {meta.get(key)!r}, not a '
                'non-negative int')
    if not isinstance(checkpoint['message_hub'], dict):
        raise InvalidCheckpointError(
            source, 'its \'message_hub\' is a '
            f'{type(checkpoint["message_hub"]).__name__}, not a dict')
    check_tensor_values(
        walk_tensors(checkpoint.get('optimizer', {}), 'optimizer'), source,
        what='optimizer state')

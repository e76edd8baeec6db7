"""MMEngine's Runner with strict, checked checkpoint loading.

MMEngine 0.10.7 loads ``resume`` and ``load_from`` checkpoints with
``strict=False``: a checkpoint with a wrongly shaped layer, or without the
head, trains on with those layers at random init, and the log only warns.
"""
from typing import Optional

from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint

from .checkpoint import load_checkpoint_safely
from .model_loading import DEFAULT_REVISE_KEYS, check_resumable, load_weights


class CrowdRunner(Runner):
    """:class:`mmengine.runner.Runner` that loads checkpoints strictly.

    - ``resume``: always strict. The checkpoint must also hold the training
      state (``meta``, ``message_hub``); a weights-only file is refused with
      a message that points to ``load_from``.
    - ``load_from``: strict, unless the config sets
      ``load_from_strict = False`` (fine-tuning from another model's
      weights); then whatever fits loads and the log lists every weight that
      did not (missing, unexpected, other shape).
    - Both, and :meth:`load_checkpoint` called directly: every weight that
      loads must have the model's kind of dtype (floating stays floating)
      and finite values; the error names the checkpoint and the tensor.

    ``tools/train.py`` and ``tools/test.py`` build this Runner. Build it the
    same way in your own scripts: ``CrowdRunner.from_cfg(cfg)``.

    Args:
        *args: :class:`mmengine.runner.Runner`'s arguments.
        load_from_strict (bool, optional): Overrides the config's
            ``load_from_strict`` (default True).
        **kwargs: :class:`mmengine.runner.Runner`'s keyword arguments.
    """

    def __init__(self, *args, load_from_strict: Optional[bool] = None,
                 **kwargs):
        self._resuming = False
        super().__init__(*args, **kwargs)
        if load_from_strict is None:
            load_from_strict = self.cfg.get('load_from_strict', True)
        if not isinstance(load_from_strict, bool):
            raise TypeError(f'load_from_strict must be True or False, got '
                            f'{load_from_strict!r}')
        self.load_from_strict = load_from_strict

    def resume(self, filename: str, *args, **kwargs) -> None:
        """Resume training from ``filename``, strictly.

        Args:
            filename (str): The checkpoint.
            *args: :meth:`mmengine.runner.Runner.resume`'s arguments.
            **kwargs: :meth:`mmengine.runner.Runner.resume`'s keyword
                arguments.
        """
        self._resuming = True
        try:
            super().resume(filename, *args, **kwargs)
        finally:
            self._resuming = False

    def load_checkpoint(self,
                        filename: str,
                        map_location='cpu',
                        strict: Optional[bool] = None,
                        revise_keys=DEFAULT_REVISE_KEYS,
                        sha256: Optional[str] = None):
        """Load the weights of ``filename`` into the model after checks.

        Args:
            filename (str): Local path or URL (any MMEngine scheme; loaded
                with hsrcount's safe loader).
            map_location (str | Callable): As :func:`torch.load`.
                Defaults to 'cpu'.
            strict (bool, optional): Refuse missing, unexpected or
                mis-shaped weights. Defaults to True while resuming, else
                :attr:`load_from_strict`.
            revise_keys (list[tuple[str, str]]): ``(pattern, replacement)``
                applied to the checkpoint's keys. Defaults to stripping
                ``module.``.
            sha256 (str, optional): The SHA-256 a local ``filename`` must
                have, checked on the bytes that are loaded. Defaults to None
                (only a ``<file>.sha256`` beside it is checked).

        Returns:
            dict: The checkpoint.
        """
        if sha256 is not None:
            checkpoint = load_checkpoint_safely(
                filename, map_location=map_location, sha256=sha256)
        else:
            checkpoint = _load_checkpoint(filename, map_location=map_location)
        if self._resuming:
            check_resumable(checkpoint, filename)
            strict = True
        elif strict is None:
            strict = self.load_from_strict
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) \
            else self.model
        load_weights(model, checkpoint, filename, strict=strict,
                     revise_keys=revise_keys, logger=self.logger)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

"""A short start-up summary on the terminal; the full text in the log file.

Before its first iteration, MMEngine's Runner logs the system environment,
the whole config and a table of hooks per stage: about 300 lines that push
everything else off the terminal. They belong in the run's log file, where
they stay. On the terminal, :class:`StartupSummaryFormatter` writes one line
for each instead, and :class:`MMEngineNoticeFilter` drops two deprecation
notices that MMEngine's own ``CheckpointHook`` raises about itself (it still
builds a ``FileClient`` it does not use), which a user cannot act on.

When the Runner initialises the model's weights, MMEngine's
``BaseModule._dump_init_info`` writes three lines per parameter (``name -
torch.Size([...]): Initialized by ...``), several hundred for HSRNet,
straight into the log file's stream (past every logging filter and level;
or, with no log file, one INFO record per parameter onto the terminal).
:func:`init_info_summarized` replaces it for that call with one INFO line
(:func:`summarize_init_info`), and the per-parameter lines at DEBUG, so
``log_level = 'DEBUG'`` in a config brings them back.

Use :func:`with_startup_summary` on a Runner class (or mix
:class:`StartupSummaryMixin` into one)::

    runner = with_startup_summary(Runner).from_cfg(cfg)
"""
import contextlib
import logging
import os.path as osp
import re
from collections import Counter
from typing import Optional

#: Kinds of initialisation named in the init summary before "and N more".
INIT_KINDS_LISTED = 3

#: The MMEngine records that are summarised, by how their text starts.
ENV_MARK = re.compile(r'\s*-{60}\s*System environment:')
CONFIG_MARK = 'Config:\n'
HOOKS_MARK = 'Hooks will be executed in the following order:'

#: MMEngine 0.10.7's CheckpointHook.before_train calls
#: ``FileClient.infer_client`` whatever its arguments; these are the notices
#: that call logs.
MMENGINE_NOTICES = (
    '"FileClient" will be deprecated in future.',
    '"HardDiskBackend" is the alias of "LocalBackend"',
)

ENV_KEYS = ('Python', 'PyTorch', 'CUDA available', 'MMEngine', 'seed',
            'Distributed training')


def summarize_environment(text: str) -> str:
    """One line from MMEngine's environment block.

    Args:
        text (str): The block, with ``    key: value`` lines.

    Returns:
        str: ``'Environment: Python 3.11.7, PyTorch 2.4.0, ...'`` with the
        keys of :data:`ENV_KEYS` found, versions cut at their first space.
    """
    found = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition(': ')
        if sep and key in ENV_KEYS and key not in found:
            value = value.strip()
            found[key] = value.split(' ')[0] if key in (
                'Python', 'PyTorch', 'MMEngine') else value
    parts = [
        f'{k} {found[k]}' if k in ('Python', 'PyTorch', 'MMEngine') else
        f'{k}: {found[k]}' for k in ENV_KEYS if k in found
    ]
    return 'Environment: ' + ', '.join(parts)


def summarize_config(cfg) -> str:
    """One line naming a config's file, model and schedule.

    Args:
        cfg (Config | dict | None): The Runner's config.

    Returns:
        str: e.g. ``'Config hsrnet_demo.py: CrowdCounter, IterBasedTrainLoop
        max_iters=300 val_interval=100, work dir work_dirs/demo'``.
    """
    if not cfg:
        return 'Config'
    name = getattr(cfg, 'filename', None)
    parts = []
    model = cfg.get('model')
    if isinstance(model, dict) and 'type' in model:
        parts.append(str(model['type']))
    train_cfg = cfg.get('train_cfg')
    if isinstance(train_cfg, dict) and train_cfg:
        settings = ' '.join(f'{k}={v}' for k, v in train_cfg.items()
                            if k != 'type')
        parts.append(' '.join(
            filter(None, [str(train_cfg.get('type', 'train')), settings])))
    if cfg.get('work_dir'):
        parts.append(f'work dir {cfg["work_dir"]}')
    head = f'Config {osp.basename(name)}' if name else 'Config'
    return head + (': ' + ', '.join(parts) if parts else '')


def summarize_hooks(text: str) -> str:
    """One line listing the hooks of MMEngine's hook table, in order of
    first appearance.

    Args:
        text (str): The table, with ``(PRIORITY) HookName`` lines.

    Returns:
        str: ``'Hooks: RuntimeInfoHook, IterTimerHook, ...'``.
    """
    names = []
    for match in re.finditer(r'^\([A-Z_ ]+\)\s+(\S+)', text, re.M):
        if match.group(1) not in names:
            names.append(match.group(1))
    return 'Hooks: ' + ', '.join(names)


class StartupSummaryFormatter(logging.Formatter):
    """Formats MMEngine's start-up records as one line each.

    Every other record is formatted by the wrapped formatter unchanged; the
    summary lines are too, so they carry the same time stamp and colours.

    Args:
        formatter (logging.Formatter): The terminal handler's formatter.
        log_file (str, optional): Where the full text is; named in the
            summaries. Defaults to None.
        cfg (Config, optional): The Runner's config, for the config's
            summary line. Defaults to None.
    """

    def __init__(self,
                 formatter: logging.Formatter,
                 log_file: Optional[str] = None,
                 cfg=None) -> None:
        super().__init__()
        self.inner = formatter
        self.log_file = log_file
        self.cfg = cfg
        self._named = False

    def summary(self, message: str) -> Optional[str]:
        """The summary line of a start-up message, or None for any other
        message. The first summary names the log file, the others refer
        to it."""
        if ENV_MARK.match(message):
            line = summarize_environment(message)
        elif message.startswith(CONFIG_MARK):
            line = summarize_config(self.cfg)
        elif message.startswith(HOOKS_MARK):
            line = summarize_hooks(message)
        else:
            return None
        if not self.log_file:
            return line
        if self._named:
            return line + ' (in full in the log file)'
        self._named = True
        return line + f' (in full in {self.log_file})'

    def format(self, record: logging.LogRecord) -> str:
        summary = self.summary(record.getMessage())
        if summary is None:
            return self.inner.format(record)
        # A copy: the file handler formats the same record after this one.
        short = logging.makeLogRecord(record.__dict__)
        short.msg, short.args = summary, None
        short.exc_info = short.exc_text = None
        return self.inner.format(short)


class MMEngineNoticeFilter(logging.Filter):
    """Drops the deprecation notices of :data:`MMENGINE_NOTICES`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(notice in message for notice in MMENGINE_NOTICES)


def terminal_handlers(logger: logging.Logger) -> list:
    """The handlers of ``logger`` that write to a stream, not a file."""
    return [
        h for h in logger.handlers if isinstance(h, logging.StreamHandler)
        and not isinstance(h, logging.FileHandler)
    ]


def summarize_startup(logger: logging.Logger, cfg=None) -> None:
    """Put the start-up summary on the terminal handlers of ``logger``.

    The log file's handler is left as it is, so the file keeps the full
    text. Calling it again on the same logger changes nothing.

    Args:
        logger (MMLogger): The Runner's logger.
        cfg (Config, optional): The Runner's config. Defaults to None.
    """
    log_file = getattr(logger, 'log_file', None)
    for handler in terminal_handlers(logger):
        if not isinstance(handler.formatter, StartupSummaryFormatter):
            handler.setFormatter(
                StartupSummaryFormatter(handler.formatter or
                                        logging.Formatter(), log_file, cfg))
        if not any(isinstance(f, MMEngineNoticeFilter)
                   for f in handler.filters):
            handler.addFilter(MMEngineNoticeFilter())


def summarize_init_info(model, params_init_info: dict) -> str:
    """One line for what ``init_weights`` did to a model's parameters.

    Args:
        model (nn.Module): The top-level module ``init_weights`` ran on.
        params_init_info (dict): MMEngine's ``_params_init_info``:
            parameter -> ``{'init_info': str, ...}``.

    Returns:
        str: e.g. ``'Initialized 52 parameter tensors (1,234,567 values):
        26 Initialized by user-defined `init_weights` in VGG16, 26 The
        value is the same ...'``, the most common kinds first.
    """
    params = list(model.parameters())
    kinds = Counter(
        str(params_init_info.get(p, {}).get('init_info', 'unrecorded'))
        .strip() for p in params)
    listed = [f'{n} {kind}' for kind, n in kinds.most_common(
        INIT_KINDS_LISTED)]
    more = len(kinds) - len(listed)
    if more > 0:
        listed.append(f'and {more} other kind(s)')
    values = sum(p.numel() for p in params)
    return (f'Initialized {len(params)} parameter tensors ({values:,} '
            f'values): {"; ".join(listed)} (one line per parameter at '
            "log_level='DEBUG')")


def _log_init_info(model, logger: logging.Logger) -> None:
    """Stand-in for ``BaseModule._dump_init_info``: one INFO line, each
    parameter at DEBUG; on the main process only, as MMEngine's."""
    from mmengine.dist import is_main_process
    if not is_main_process():
        return
    info = model._params_init_info
    logger.info(summarize_init_info(model, info))
    # MMLogger filters by its handlers' levels (log_level), not its own.
    if any(h.level <= logging.DEBUG for h in logger.handlers):
        for name, param in model.named_parameters():
            logger.debug(f'{name} - {tuple(param.shape)}: '
                         f'{str(info[param]["init_info"]).strip()}')


@contextlib.contextmanager
def init_info_summarized(model, logger: logging.Logger):
    """While open, ``model.init_weights()`` logs one summary line instead
    of MMEngine's per-parameter dump.

    Args:
        model (BaseModule): The top-level module (unwrapped).
        logger (logging.Logger): Where the summary goes.
    """
    if not hasattr(model, '_dump_init_info'):
        yield
        return
    # An instance attribute shadows the method for this model only.
    model.__dict__['_dump_init_info'] = lambda: _log_init_info(model, logger)
    try:
        yield
    finally:
        model.__dict__.pop('_dump_init_info', None)


class StartupSummaryMixin:
    """Mix into a :class:`mmengine.runner.Runner` subclass, before it, to
    get :func:`summarize_startup` on the Runner's logger and a one-line
    summary of the weight initialisation (:func:`init_info_summarized`)."""

    def build_logger(self, *args, **kwargs):
        logger = super().build_logger(*args, **kwargs)
        summarize_startup(logger, getattr(self, 'cfg', None))
        return logger

    def _init_model_weights(self) -> None:
        from mmengine.model import is_model_wrapper
        model = self.model.module if is_model_wrapper(self.model) \
            else self.model
        with init_info_summarized(model, self.logger):
            super()._init_model_weights()


_SUMMARIZED = {}


def with_startup_summary(runner_cls: type) -> type:
    """``runner_cls`` with :class:`StartupSummaryMixin` mixed in.

    Args:
        runner_cls (type): :class:`mmengine.runner.Runner` or a subclass.

    Returns:
        type: A subclass of ``runner_cls`` (the same one on every call).
    """
    if issubclass(runner_cls, StartupSummaryMixin):
        return runner_cls
    if runner_cls not in _SUMMARIZED:
        _SUMMARIZED[runner_cls] = type(runner_cls.__name__,
                                       (StartupSummaryMixin, runner_cls), {})
    return _SUMMARIZED[runner_cls]

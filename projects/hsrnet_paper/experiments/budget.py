"""Configs of a budget comparison: same iterations, batch, crop, schedule.

A budget comparison trains several configs for the same small number of
iterations and evaluates each once at the end. For the numbers to compare,
everything but the model must be the same: :func:`prepare_runs` loads every
config, points them at the same data (a preset), overrides iterations,
batch size, crop size and logging uniformly, and refuses configs whose
optimizer or learning-rate schedule differ.
"""
import copy
import os.path as osp
from dataclasses import asdict, dataclass
from typing import Optional, Sequence, Tuple

from hsrcount.utils.config import enable_amp, load_config
from .run import PICTURES_DIR

#: Data presets. ``shtech_b``: Part B train -> Part B test.
#: ``shtech_a_val``: Part A train minus ``num_val`` held-out images -> those
#: images (Part A's test split is not available).
PRESETS = ('shtech_b', 'shtech_a_val')

#: Crop transforms that :func:`replace_train_crop` swaps for a fixed crop.
CROP_TRANSFORMS = ('PaperCrop', 'RandomCrop')


class BudgetConfigError(ValueError):
    """A config that cannot take part in a budget comparison."""


@dataclass
class BudgetSettings:
    """What every run of a comparison shares.

    Args:
        iters (int): Training iterations.
        batch (int): Training batch size.
        crop (tuple[int, int]): Training crop ``(h, w)``.
        device (str): ``'cuda'`` or ``'cpu'``.
        num_workers (int): Training data-loader workers per run.
        val_workers (int): Validation data-loader workers per run.
        seed (int): Random seed of every run.
        lr (float, optional): Learning rate set in every config; None keeps
            the configs' own (which must then agree).
        amp (bool): Train with bf16 autocast (``AmpOptimWrapper``).
        scratch (bool): Give VGG-16 backbones batch norm and no ImageNet
            weights, as the ``*_scratch_*`` configs do.
        in_memory (bool): Decode the training images once and keep them.
        log_interval (int): Iterations between log lines.
        checkpoint (bool): Save the final weights.
        num_pictures (int): Validation images drawn per run.
    """

    iters: int
    batch: int
    crop: Tuple[int, int]
    device: str = 'cpu'
    num_workers: int = 0
    val_workers: int = 0
    seed: int = 0
    lr: Optional[float] = None
    amp: bool = False
    scratch: bool = False
    in_memory: bool = True
    log_interval: int = 50
    checkpoint: bool = True
    num_pictures: int = 3

    def __post_init__(self):
        self.crop = tuple(int(c) for c in self.crop)
        if self.iters < 1 or self.batch < 1:
            raise ValueError(f'iters and batch must be >= 1, got '
                             f'{self.iters} and {self.batch}')
        if len(self.crop) != 2 or min(self.crop) < 1:
            raise ValueError(f'crop must be two positive sizes (h, w), got '
                             f'{self.crop}')
        if self.device not in ('cpu', 'cuda'):
            raise ValueError(f'device must be cpu or cuda, got '
                             f'{self.device!r}')

    def to_dict(self):
        d = asdict(self)
        d['crop'] = list(self.crop)
        return d


def train_dataset_cfg(cfg, source='the config'):
    """The train dataset config that owns the pipeline.

    Args:
        cfg (Config): A training config.
        source (str): Named in errors.

    Returns:
        ConfigDict: ``train_dataloader.dataset``, or its ``dataset`` when it
        is a wrapper (``PatchRepeatDataset``).
    """
    dataset = cfg.get('train_dataloader', {}).get('dataset')
    if dataset is None:
        raise BudgetConfigError(f'{source}: no train_dataloader.dataset')
    while 'pipeline' not in dataset and isinstance(dataset.get('dataset'),
                                                   dict):
        dataset = dataset['dataset']
    if 'pipeline' not in dataset:
        raise BudgetConfigError(f'{source}: train_dataloader.dataset has no '
                                'pipeline')
    return dataset


def replace_train_crop(pipeline, crop, source='the config'):
    """Swap the pipeline's crop for ``RandomCrop(size=crop)``.

    A fixed crop makes every training sample the same size, so batches
    stack without padding and every run sees the same pixels per step.

    Args:
        pipeline (list[dict]): Transform configs.
        crop (tuple[int, int]): ``(h, w)``.
        source (str): Named in errors.

    Returns:
        list[dict]: A new pipeline.

    Raises:
        BudgetConfigError: Unless exactly one transform is a crop of
            :data:`CROP_TRANSFORMS`.
    """
    types = [t.get('type') for t in pipeline]
    where = [i for i, t in enumerate(types) if t in CROP_TRANSFORMS]
    if len(where) != 1:
        raise BudgetConfigError(
            f'{source}: the training pipeline must have exactly one crop '
            f'({" or ".join(CROP_TRANSFORMS)}) to replace, it has {types}')
    new = [copy.deepcopy(dict(t)) for t in pipeline]
    new[where[0]] = dict(type='RandomCrop', size=tuple(int(c) for c in crop))
    return new


def apply_preset(cfg, preset, data_root, num_val=60, split_seed=0):
    """Point the train and val datasets at a ShanghaiTech preset.

    The datasets keep their pipelines; type, root and split are replaced.

    Args:
        cfg (Config): A training config (modified in place).
        preset (str): One of :data:`PRESETS`.
        data_root (str): The folder holding ``part_A`` and ``part_B``.
        num_val (int): Held-out Part A training images (``shtech_a_val``).
        split_seed (int): Seed of the held-out carve.
    """
    if preset == 'shtech_b':
        root = osp.join(data_root, 'part_B')
        train = dict(data_root=root, split='train')
        val = dict(data_root=root, split='test')
    elif preset == 'shtech_a_val':
        root = osp.join(data_root, 'part_A')
        carve = dict(data_root=root, split='train', num_val=num_val,
                     seed=split_seed)
        train = dict(carve, val_split='train')
        val = dict(carve, val_split='val')
    else:
        raise ValueError(f'preset must be one of {PRESETS}, got {preset!r}')
    inner = train_dataset_cfg(cfg)
    kept = dict(pipeline=inner['pipeline'])
    inner.clear()
    inner.update(type='ShanghaiTechDataset', **train, **kept)
    val_dataset = cfg.val_dataloader.dataset
    pipeline = val_dataset['pipeline']
    val_dataset.clear()
    val_dataset.update(type='ShanghaiTechDataset', test_mode=True,
                       pipeline=pipeline, **val)


def apply_scratch(cfg):
    """Give a VGG-16 backbone batch norm and no ImageNet weights.

    The ``*_scratch_*`` configs' recipe: ``with_bn=True``,
    ``num_pretrained_convs=0``, ``init_cfg=None``. Other backbones are left
    alone (MCNN already trains from scratch).
    """
    backbone = cfg.model.get('backbone')
    if backbone is not None and backbone.get('type') == 'VGG16':
        backbone.update(with_bn=True, num_pretrained_convs=0, init_cfg=None)


def needs_download(cfg):
    """The checkpoint a model's init would download, or None.

    Looks at every ``init_cfg`` of type ``Pretrained`` in ``cfg.model``
    whose checkpoint is a ``torchvision://``, ``open-mmlab://`` or URL path.
    """
    remote = ('torchvision://', 'open-mmlab://', 'http://', 'https://')

    def visit(node):
        if isinstance(node, dict):
            init = node.get('init_cfg')
            inits = init if isinstance(init, (list, tuple)) else [init]
            for i in inits:
                if (isinstance(i, dict) and i.get('type') == 'Pretrained'
                        and str(i.get('checkpoint', '')).startswith(remote)):
                    return i['checkpoint']
            for value in node.values():
                found = visit(value)
                if found:
                    return found
        elif isinstance(node, (list, tuple)):
            for value in node:
                found = visit(value)
                if found:
                    return found
        return None

    return visit(cfg.model.to_dict() if hasattr(cfg.model, 'to_dict')
                 else cfg.model)


def schedule_of(cfg):
    """The optimizer and learning-rate schedule of a config, as plain data.

    Returns:
        dict: ``optim_wrapper`` and ``param_scheduler``.
    """
    def plain(value):
        return value.to_dict() if hasattr(value, 'to_dict') else copy.deepcopy(
            value)

    scheduler = cfg.get('param_scheduler') or []
    if isinstance(scheduler, dict):
        scheduler = [scheduler]
    return dict(optim_wrapper=plain(cfg.get('optim_wrapper')),
                param_scheduler=[plain(s) for s in scheduler])


def check_same_schedule(cfgs):
    """Refuse configs whose optimizer or schedule differ.

    Args:
        cfgs (dict[str, Config]): Configs by run name.

    Raises:
        BudgetConfigError: Naming the first run that differs from the first
            one, and both schedules.
    """
    names = list(cfgs)
    first = schedule_of(cfgs[names[0]])
    for name in names[1:]:
        other = schedule_of(cfgs[name])
        if other != first:
            raise BudgetConfigError(
                f'{name} trains with {other}, but {names[0]} with {first}. '
                'A budget comparison needs one optimizer and schedule: set '
                'the learning rate of all with --lr, or pass '
                '--allow-different-schedules')


def apply_budget(cfg, settings, run_dir, source='the config'):
    """Override what every run shares, in place.

    Sets iterations (validation once, at the end), batch size, the training
    crop, the loaders' workers, logging, the checkpoint (the final weights
    only), the seed, the learning rate and AMP; adds a per-image count dump
    (``<run_dir>/counts.json``) to the validation metrics, draws the first
    ``num_pictures`` validation images to ``<run_dir>/vis/`` and, with
    ``in_memory``, wraps the training set in ``InMemoryDataset``.

    Args:
        cfg (Config): A training config.
        settings (BudgetSettings): The shared settings.
        run_dir (str): The run's output folder (its ``work_dir``).
        source (str): Named in errors.
    """
    s = settings
    cfg.work_dir = run_dir
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=s.iters,
                         val_interval=s.iters)
    cfg.val_cfg = dict(type='ValLoop')
    inner = train_dataset_cfg(cfg, source)
    inner['pipeline'] = replace_train_crop(inner['pipeline'], s.crop, source)

    loader = cfg.train_dataloader
    if s.in_memory:
        loader.dataset = dict(type='InMemoryDataset', dataset=loader.dataset,
                              num_threads=max(1, s.num_workers))
    loader.batch_size = s.batch
    loader.num_workers = s.num_workers
    loader.persistent_workers = s.num_workers > 0
    loader.pin_memory = s.device == 'cuda'
    val_loader = cfg.val_dataloader
    val_loader.num_workers = s.val_workers
    val_loader.persistent_workers = s.val_workers > 0

    metric = cfg.val_evaluator
    metrics = list(metric) if isinstance(metric, (list, tuple)) else [metric]
    metrics.append(dict(type='CountDumpMetric',
                        out_file=osp.join(run_dir, 'counts.json')))
    cfg.val_evaluator = metrics

    hooks = cfg.default_hooks
    hooks.logger = dict(type='LoggerHook', interval=s.log_interval,
                        log_metric_by_epoch=False)
    hooks.visualization = dict(
        type='CrowdVisualizationHook', draw=s.num_pictures > 0, interval=1,
        val_out_dir=PICTURES_DIR, max_val_images=s.num_pictures)
    if s.checkpoint:
        kind = (hooks.get('checkpoint') or {}).get('type', 'CheckpointHook')
        hooks.checkpoint = dict(type=kind, by_epoch=False, interval=s.iters,
                                max_keep_ckpts=1)
    else:
        hooks.checkpoint = None
    cfg.randomness = dict(seed=s.seed)
    cfg.load_from, cfg.resume = None, False
    if s.lr is not None:
        cfg.optim_wrapper.optimizer.lr = s.lr
    if s.amp:
        try:
            enable_amp(cfg, s.device)
        except (ValueError, RuntimeError) as err:
            raise BudgetConfigError(f'{source}: {err}') from err
    if s.device == 'cpu':
        cfg.env_cfg.cudnn_benchmark = False


def run_names(config_paths, names=None):
    """One unique run name per config: its file stem, or the given names.

    Args:
        config_paths (Sequence[str]): Config files.
        names (Sequence[str], optional): Names, one per config.

    Returns:
        list[str]: Names; repeated stems get ``_2``, ``_3``, ...
    """
    if names is not None:
        if len(names) != len(config_paths):
            raise ValueError(f'{len(names)} names for {len(config_paths)} '
                             'configs')
        if len(set(names)) != len(names):
            raise ValueError(f'run names repeat: {list(names)}')
        bad = [n for n in names
               if not n or not all(c.isalnum() or c in '._-' for c in n)]
        if bad:
            raise ValueError(f'run names may hold letters, digits, ".", "_" '
                             f'and "-" only: {bad}')
        return list(names)
    out, seen = [], {}
    for path in config_paths:
        stem = osp.splitext(osp.basename(path))[0]
        seen[stem] = seen.get(stem, 0) + 1
        out.append(stem if seen[stem] == 1 else f'{stem}_{seen[stem]}')
    return out


def prepare_runs(config_paths: Sequence[str],
                 settings: BudgetSettings,
                 out_dir: str,
                 cfg_options: Optional[dict] = None,
                 preset: Optional[str] = None,
                 data_root: str = 'data/ShanghaiTech',
                 num_val: int = 60,
                 split_seed: int = 0,
                 allow_different_schedules: bool = False,
                 names: Optional[Sequence[str]] = None):
    """Load, override and check the configs of one comparison.

    Args:
        config_paths (Sequence[str]): Config files.
        settings (BudgetSettings): The shared settings.
        out_dir (str): Each run goes to ``<out_dir>/<run name>``.
        cfg_options (dict, optional): ``--cfg-options`` for every config,
            applied first and strictly (see :func:`load_config`).
        preset (str, optional): A data preset of :data:`PRESETS`.
        data_root (str): The ShanghaiTech folder of the presets.
        num_val (int): Held-out images of ``shtech_a_val``.
        split_seed (int): Seed of that carve.
        allow_different_schedules (bool): Skip :func:`check_same_schedule`.
        names (Sequence[str], optional): Run names.

    Returns:
        list[tuple[str, Config]]: ``(run name, config)`` in the given order.
    """
    if not config_paths:
        raise ValueError('no config given')
    names = run_names(config_paths, names)
    cfgs = {}
    for name, path in zip(names, config_paths):
        cfg = load_config(path, cfg_options)
        if preset is not None:
            apply_preset(cfg, preset, data_root, num_val, split_seed)
        if settings.scratch:
            apply_scratch(cfg)
        remote = needs_download(cfg)
        if remote:
            raise BudgetConfigError(
                f'{path}: the model loads {remote}, which needs the network. '
                'Pass --scratch to train VGG-16 from N(0, 0.01) with batch '
                'norm, as the *_scratch_* configs do')
        apply_budget(cfg, settings, osp.join(out_dir, name), source=path)
        cfgs[name] = cfg
    if not allow_different_schedules:
        check_same_schedule(cfgs)
    return list(cfgs.items())


def fit_iterations(calibration, seconds, batch):
    """Iterations that every run can train within ``seconds``.

    From a short calibration of the same runs side by side: the slowest
    training rate sets the pace, and the longest non-training time of a
    run (building, decoding, validation) is taken off the budget first.

    Args:
        calibration (list[dict]): Run results with ``train_images_per_s``,
            ``train_seconds`` and ``wall_seconds``.
        seconds (float): Wall-clock seconds for the whole real run.
        batch (int): Training batch size.

    Returns:
        int: The iterations.

    Raises:
        ValueError: If a calibration run failed or no iteration fits.
    """
    failed = [r['name'] for r in calibration if r.get('status') != 'ok']
    if failed:
        raise ValueError(f'calibration run(s) failed: {failed}')
    overhead = max(r['wall_seconds'] - r['train_seconds']
                   for r in calibration)
    rate = min(r['train_images_per_s'] for r in calibration)
    iters = int((seconds - overhead) * rate // batch)
    if iters < 1:
        raise ValueError(
            f'no iteration fits in {seconds:.0f} s: the runs need '
            f'{overhead:.0f} s besides training and train at {rate:.1f} '
            'images/s at the slowest')
    return iters

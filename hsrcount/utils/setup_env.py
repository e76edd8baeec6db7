"""Set-up every tool (and any script that builds a Runner) calls first."""
import datetime

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register all hsrcount modules and make checkpoint loading safe.

    Two things happen here, deliberately and only here (importing hsrcount
    changes nothing outside it):

    1. Every hsrcount module is imported, so everything a config can name
       is registered before a Runner starts. (Registry ``locations`` would
       import them lazily at the first build.)
    2. MMEngine's checkpoint loaders are rewired through hsrcount's safe
       loader (:func:`hsrcount.engine.register_safe_checkpoint_loader`):
       ``weights_only=True`` with an allowlist of exactly what a checkpoint
       holds, so that resuming works on torch >= 2.6 and no checkpoint can
       run code. See ``docs/reliability.md``.

    ``tools/*.py`` and :func:`hsrcount.apis.init_model` call it; call it
    yourself before ``Runner.from_cfg`` in your own scripts.

    Args:
        init_default_scope (bool): Whether to set the default scope to
            'hsrcount'. Defaults to True.
    """
    import hsrcount.datasets  # noqa: F401
    import hsrcount.datasets.transforms  # noqa: F401
    import hsrcount.engine  # noqa: F401
    import hsrcount.evaluation  # noqa: F401
    import hsrcount.models  # noqa: F401
    import hsrcount.visualization  # noqa: F401
    from hsrcount.engine import register_safe_checkpoint_loader

    register_safe_checkpoint_loader()
    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance('hsrcount', scope_name='hsrcount')
    elif current.scope_name != 'hsrcount':
        # A different scope is active (another OpenMMLab library); make a
        # uniquely named instance so both can coexist.
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S-%f')
        DefaultScope.get_instance(f'hsrcount-{stamp}', scope_name='hsrcount')

"""Import every hsrcount module so that its registries are complete."""
import datetime

from mmengine import DefaultScope


def register_all_modules(init_default_scope=True):
    """Register all hsrcount modules and make 'hsrcount' the default scope.

    Registry ``locations`` import modules lazily at the first build; tools
    call this up front so that everything a config can name exists before
    the Runner starts, and so that the safe checkpoint loader (registered by
    :mod:`hsrcount.engine`) is in place before any checkpoint is read.

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

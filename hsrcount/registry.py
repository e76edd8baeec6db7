"""Registries of hsrcount, children of MMEngine's root registries.

Each registry names the package that fills it (``locations``), so building a
config with ``default_scope='hsrcount'`` imports the modules it needs. There
is one way to register a module: decorate it with ``@MODELS.register_module()``
(or the registry of its kind) in a module under those locations, or in your
own code imported before the build (``custom_imports`` in a config).

A ``type`` that names nothing fails with a :class:`KeyError` that lists what
is registered, instead of MMEngine's bare "not in the registry".
"""
from difflib import get_close_matches

from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import \
    WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry


class UnknownTypeError(KeyError):
    """Raised when a config's ``type`` names nothing registered."""

    def __str__(self):  # KeyError would print the message quoted.
        return self.args[0]


class CrowdRegistry(Registry):
    """A registry whose failed look-ups list what it holds."""

    def registered_names(self):
        """All names this registry resolves, its own and its ancestors'."""
        names, registry = set(), self
        while registry is not None:
            names.update(registry.module_dict)
            registry = registry.parent
        return sorted(names)

    def get(self, key):
        obj = super().get(key)
        if obj is None and isinstance(key, str) and '.' not in key:
            names = self.registered_names()
            close = get_close_matches(key, names, n=3)
            hint = f' Did you mean {", ".join(close)}?' if close else ''
            raise UnknownTypeError(
                f'type={key!r} is not registered in hsrcount\'s {self.name!r} '
                f'registry.{hint} Registered names: {", ".join(names)}')
        return obj

    def __contains__(self, key):
        try:
            return self.get(key) is not None
        except UnknownTypeError:
            return False


def _child(name, parent, *locations):
    return CrowdRegistry(
        name, parent=parent, scope='hsrcount', locations=list(locations))


MODELS = _child('model', MMENGINE_MODELS, 'hsrcount.models')
WEIGHT_INITIALIZERS = _child('weight initializer',
                             MMENGINE_WEIGHT_INITIALIZERS, 'hsrcount.models')
MODEL_WRAPPERS = _child('model_wrapper', MMENGINE_MODEL_WRAPPERS,
                        'hsrcount.models')
DATASETS = _child('dataset', MMENGINE_DATASETS, 'hsrcount.datasets')
DATA_SAMPLERS = _child('data sampler', MMENGINE_DATA_SAMPLERS,
                       'hsrcount.datasets')
TRANSFORMS = _child('transform', MMENGINE_TRANSFORMS,
                    'hsrcount.datasets.transforms')
METRICS = _child('metric', MMENGINE_METRICS, 'hsrcount.evaluation')
EVALUATOR = _child('evaluator', MMENGINE_EVALUATOR, 'hsrcount.evaluation')
HOOKS = _child('hook', MMENGINE_HOOKS, 'hsrcount.engine')
LOOPS = _child('loop', MMENGINE_LOOPS, 'hsrcount.engine')
OPTIM_WRAPPERS = _child('optim_wrapper', MMENGINE_OPTIM_WRAPPERS,
                        'hsrcount.engine')
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
                                    'hsrcount.engine')
OPTIMIZERS = _child('optimizer', MMENGINE_OPTIMIZERS, 'hsrcount.engine')
PARAM_SCHEDULERS = _child('parameter scheduler', MMENGINE_PARAM_SCHEDULERS,
                          'hsrcount.engine')
VISUALIZERS = _child('visualizer', MMENGINE_VISUALIZERS,
                     'hsrcount.visualization')
VISBACKENDS = _child('vis_backend', MMENGINE_VISBACKENDS,
                     'hsrcount.visualization')

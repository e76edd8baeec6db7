from .checkpoint_hook import AtomicCheckpointHook
from .finite_loss_hook import FiniteLossHook
from .visualization_hook import CrowdVisualizationHook

__all__ = ['AtomicCheckpointHook', 'CrowdVisualizationHook', 'FiniteLossHook']

"""What can be wrong with a checkpoint, one error class per kind of fault.

Every error names the checkpoint (``source``: a file or URL) and the fault,
so a tool can print it as it is:

- :class:`UnsafeCheckpointError`: loading would run code or change state
  outside the checkpoint (nothing of it was executed);
- :class:`CorruptCheckpointError`: the bytes are damaged, or are not a
  checkpoint at all (an image, JSON, random bytes, a foreign zip);
- :class:`InvalidCheckpointError`: a readable, safe checkpoint whose content
  cannot be used (a list instead of a dict, weights only where a resume
  needs the training state, non-finite or non-float weights, ...);
- :class:`CheckpointMismatchError`: the weights do not fit the model
  (missing or unexpected keys, other shapes).
"""


class CheckpointError(RuntimeError):
    """Base class of the checkpoint errors; ``source`` names the file.

    Args:
        source (str): The checkpoint file or URL.
        message (str): The full message.
    """

    def __init__(self, source: str, message: str):
        self.source = source
        super().__init__(message)


class UnsafeCheckpointError(CheckpointError):
    """Loading the checkpoint would run code or change outside state.

    Args:
        source (str): The file or URL that was refused.
        offending (str): The global (or call) the unpickler refused, or what
            the file tried to change.
        detail (str, optional): The whole explanation, replacing the
            default one about the allowlist.
    """

    def __init__(self, source: str, offending: str, detail: str = None):
        self.offending = offending
        if detail is None:
            detail = (
                f'it needs {offending}, which is not in hsrcount\'s '
                'checkpoint allowlist (hsrcount.engine.checkpoint.'
                'SAFE_CHECKPOINT_GLOBALS). Unpickling it could run code '
                'chosen by whoever wrote the file. If you wrote this file '
                'yourself and know that type is plain data, allowlist '
                'exactly that type with torch.serialization.'
                'add_safe_globals([...]); never load a checkpoint with '
                'weights_only=False.')
        super().__init__(source,
                         f'Refused to load checkpoint {source}: {detail}')


class CorruptCheckpointError(CheckpointError):
    """The file is truncated, damaged, or not a checkpoint at all.

    Args:
        source (str): The file that could not be read.
        reason (str): What is wrong with its bytes.
    """

    def __init__(self, source: str, reason: str):
        self.reason = reason
        super().__init__(
            source,
            f'Checkpoint {source} is truncated, corrupt or not a checkpoint '
            f'({reason}). If it comes from an interrupted save, resume from '
            'the checkpoint named in the work dir\'s last_checkpoint file '
            'instead.')


class InvalidCheckpointError(CheckpointError):
    """A readable, safe checkpoint whose content cannot be used.

    Args:
        source (str): The checkpoint.
        problem (str): What is wrong, naming the entry (e.g. the tensor).
    """

    def __init__(self, source: str, problem: str):
        self.problem = problem
        super().__init__(source, f'Checkpoint {source}: {problem}')


class CheckpointMismatchError(CheckpointError):
    """The checkpoint's weights do not fit the model.

    Args:
        source (str): The checkpoint.
        model_name (str): The model's class name.
        problems (str): Missing keys, unexpected keys and shape mismatches.
    """

    def __init__(self, source: str, model_name: str, problems: str):
        self.problems = problems
        super().__init__(
            source, f'{source}: does not fit the model ({model_name}): '
            f'{problems}')

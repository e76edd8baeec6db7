"""Turn a training checkpoint into weights-only safetensors.

Keeps the model's state dict and nothing else (no optimizer, message hub or
scheduler state), optionally in bfloat16 (half the size), writes it
atomically and puts ``OUT.safetensors.sha256`` (``sha256sum`` format) beside
it. The input is loaded with hsrcount's safe loader (weights-only
unpickling), so converting an untrusted ``.pth`` runs no code either.

The result loads wherever a checkpoint does: ``init_model``,
``tools/test.py``, ``tools/infer.py`` and ``load_from`` in training (not
``--resume``: it holds no training state).

Example:
    python tools/convert_checkpoint.py work_dirs/demo/iter_300.pth \
        hsrnet_demo.safetensors
    python tools/convert_checkpoint.py iter_300.pth demo_bf16.safetensors \
        --dtype bf16
"""
import argparse
import os.path as osp
import sys

from hsrcount.engine import CheckpointError, load_checkpoint_safely
from hsrcount.engine.safetensors_io import (DTYPES, convert_to_safetensors,
                                            is_safetensors_path)
from hsrcount.version import __version__


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert a .pth checkpoint to weights-only safetensors')
    parser.add_argument('checkpoint', help='input checkpoint (.pth)')
    parser.add_argument('out', help='output file (.safetensors)')
    parser.add_argument('--dtype', choices=sorted(DTYPES), default='fp32',
                        help='dtype of the floating-point weights (integer '
                        'buffers are kept); default fp32')
    args = parser.parse_args(argv)
    if not is_safetensors_path(args.out):
        parser.error(f'the output must end in .safetensors, got {args.out}')
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        checkpoint = load_checkpoint_safely(args.checkpoint)
        digest = convert_to_safetensors(
            checkpoint, args.out, dtype=args.dtype, source=args.checkpoint,
            metadata=dict(hsrcount_version=__version__))
    except (CheckpointError, FileNotFoundError) as err:
        sys.exit(f'{type(err).__name__}: {err}')
    size = osp.getsize(args.out)
    print(f'wrote {args.out} ({args.dtype}, {size} bytes, '
          f'{size / 2**20:.2f} MiB)')
    print(f'sha256 {digest}  (also in {args.out}.sha256)')


if __name__ == '__main__':
    main()

"""Export a trained crowd counter for deployment.

``--format onnx`` writes one graph that takes a BGR image and returns its
density map (people per pixel), with dynamic batch, height and width, and
the config stored in its metadata, so ``tools/infer.py --backend
onnxruntime MODEL.onnx`` (or ``hsrcount.deployment.OnnxCounter``) needs only
the file. ``--check`` runs the file in onnxruntime on a random image and
compares it with PyTorch.

Example:
    python tools/export.py configs/hsrnet/hsrnet_shtech_a.py CKPT \
        --format onnx --out hsrnet.onnx --check
"""
import argparse
import os
import os.path as osp
import sys

import numpy as np

from hsrcount.apis import init_model


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Export a crowd counter')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint (.pth or '
                        '.safetensors)')
    parser.add_argument('--format', choices=['onnx'], default='onnx')
    parser.add_argument('--out', help='output file (default: the '
                        'checkpoint\'s name with .onnx)')
    parser.add_argument('--opset', type=int, default=None,
                        help='ONNX opset (default 17; 18 with --dynamo)')
    parser.add_argument('--dynamo', action='store_true',
                        help='torch.export-based exporter instead of the '
                        'TorchScript one')
    parser.add_argument('--check', action='store_true',
                        help='compare onnxruntime with PyTorch on a random '
                        'image after exporting')
    return parser.parse_args(argv)


def check(model, path, shape=(240, 320)):
    """Max abs difference of the maps and the two counts on one image."""
    from hsrcount.apis import inference_model
    from hsrcount.deployment import OnnxCounter
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    torch_result = inference_model(model, img)
    onnx_result = inference_model(OnnxCounter(path), img)
    diff = float((torch_result.pred_density.data -
                  onnx_result.pred_density.data).abs().max())
    return diff, torch_result.pred_count, onnx_result.pred_count


def main(argv=None):
    args = parse_args(argv)
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        sys.exit('export needs onnx and onnxruntime: pip install '
                 '"hsrcount[deploy]"')
    from hsrcount.deployment import export_onnx
    out = args.out or osp.splitext(args.checkpoint)[0] + '.onnx'
    opset = args.opset or (18 if args.dynamo else 17)
    # Exported in plain float32: the graph must not carry CPU autocast.
    model = init_model(args.config, args.checkpoint, fast_paths=None)
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    export_onnx(model, out, opset=opset, dynamo=args.dynamo,
                config_text=model.cfg.pretty_text)
    print(f'wrote {out} (opset {opset}, '
          f'{osp.getsize(out) / 2**20:.1f} MiB)')
    if args.check:
        diff, ours, theirs = check(model, out)
        print(f'check: max |density difference| {diff:.3g}, count '
              f'PyTorch {ours:.4f} vs onnxruntime {theirs:.4f}')


if __name__ == '__main__':
    main()

# HSRNet on NWPU-Crowd with the paper's recipe (sec. 4.1): ImageNet
# VGG-16, Adam 1e-5, 100k iterations at batch 1 on one GPU; images resized
# to a long side of at most 2048 px and a short side of at least 512 px.
# Selects on the release's val split (with the scene-level and luminance
# breakdowns); the test split is predicted with tools/test.py --format-only
# for the benchmark's server. The paper reports no NWPU-Crowd result, so no
# table row.
_base_ = [
    '../_base_/models/hsrnet.py', '../_base_/datasets/nwpu_crowd.py',
    '../_base_/schedules/adam_1e-5_100k.py', '../_base_/default_runtime.py'
]

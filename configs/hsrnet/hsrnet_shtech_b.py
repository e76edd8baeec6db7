# HSRNet on ShanghaiTech Part B with the paper's recipe (sec. 4.1): ImageNet
# VGG-16, Scale Focus Module (channel then spatial focus, ratio 64), Scale
# Recalibration head and Scale Consistency loss; Adam 1e-5, 100k iterations
# at batch 1 on one GPU. The HSRNet row of Table 1 (Part B); also the
# Channel+Spatial row of Table 6 (Part B) and r = 64 in Figure 4 (Part B).
# Selects the best checkpoint on 30 held-out training images; the classic
# protocol (select on test) is hsrnet_classic_shtech_b.py.
_base_ = [
    '../_base_/models/hsrnet.py', '../_base_/datasets/shanghaitech_b.py',
    '../_base_/schedules/adam_1e-5_100k.py', '../_base_/default_runtime.py'
]

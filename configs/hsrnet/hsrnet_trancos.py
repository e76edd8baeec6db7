# HSRNet on TRANCOS (vehicles) with the paper's recipe (sec. 4.1): ImageNet
# VGG-16, Adam 1e-5, 100k iterations at batch 1 on one GPU, 800 random
# 115x115 crops per image (sec. 4.2); GAME(0-3). The HSRNet row of Table 4.
# Selects on the release's validation list; the classic protocol is
# hsrnet_classic_trancos.py.
_base_ = [
    '../_base_/models/hsrnet.py', '../_base_/datasets/trancos.py',
    '../_base_/schedules/adam_1e-5_100k.py', '../_base_/default_runtime.py'
]

# HSRNet on WorldExpo'10 with the paper's recipe (sec. 4.1): ImageNet
# VGG-16, Adam 1e-5, 100k iterations at batch 1 on one GPU; MAE per test
# scene S1-S5 and their average. The HSRNet row of Table 3. Selects on 300
# held-out training frames; the classic protocol is
# hsrnet_classic_worldexpo.py.
_base_ = [
    '../_base_/models/hsrnet.py', '../_base_/datasets/worldexpo.py',
    '../_base_/schedules/adam_1e-5_100k.py', '../_base_/default_runtime.py'
]

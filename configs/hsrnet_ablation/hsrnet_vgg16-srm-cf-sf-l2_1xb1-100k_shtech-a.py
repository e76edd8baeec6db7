# HSRNet without the Scale Consistency loss: VGG-16, Channel then Spatial
# Focus, Scale Recalibration head, Euclidean loss on D0 only, on ShanghaiTech
# Part A. Table 5, row 5 (row 6, + Scale Consistency, is
# configs/hsrnet/hsrnet_shtech_a.py).
_base_ = ['../hsrnet/hsrnet_shtech_a.py']
model = dict(
    head=dict(loss_decode=dict(_delete_=True, type='EuclideanLoss')))

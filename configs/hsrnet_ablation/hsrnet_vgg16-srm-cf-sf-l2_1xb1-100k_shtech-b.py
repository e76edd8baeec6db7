# HSRNet without the Scale Consistency loss: VGG-16, Channel then Spatial
# Focus, Scale Recalibration head, Euclidean loss on D0 only, on ShanghaiTech
# Part B. Table 5, row 5 (row 6, + Scale Consistency, is
# configs/hsrnet/hsrnet_shtech_b.py).
# The paper runs Table 5 on Part A only; this Part B run has no paper
# row.
_base_ = ['../hsrnet/hsrnet_shtech_b.py']
model = dict(
    head=dict(loss_decode=dict(_delete_=True, type='EuclideanLoss')))

# CSRNet (Li et al., CVPR 2018): VGG-16 front end up to conv4_3 (stride 8)
# and a dilated back end; the map is upsampled to the input keeping the count.
_base_ = ['./hsrnet.py']
model = dict(
    backbone=dict(num_stages=4, out_indices=(3, )),
    neck=None,
    head=dict(
        _delete_=True,
        type='CSRNetHead',
        in_channels=512,
        backend_channels=(512, 512, 512, 256, 128, 64),
        dilation=2,
        in_stride=8,
        loss_decode=dict(type='EuclideanLoss')))

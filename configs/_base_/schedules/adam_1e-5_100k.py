# The paper (sec. 4.1): Adam, initial learning rate 1e-5. It gives no
# schedule length; 100k iterations at batch 1 is about 24 epochs of
# ShanghaiTech Part A's 300 images x 14 patches.
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-5))
param_scheduler = []
train_cfg = dict(type='IterBasedTrainLoop', max_iters=100000,
                 val_interval=2000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# CSRNet baseline on ShanghaiTech Part A, HSRNet's data pipeline and schedule,
# classic protocol: the best checkpoint is chosen by its MAE on the test split,
# as most papers do (the HSRNet paper does not say how it selects), and
# training uses every training image. For comparison with published numbers
# only: it selects on test. Otherwise csrnet_shtech_a.py. The CSRNet bars of
# Figure 6 as papers report them.
_base_ = ['./csrnet_shtech_a.py']

train_dataloader = dict(dataset=dict(dataset=dict(val_split=None)))
val_dataloader = dict(dataset=dict(split='test', val_split=None))

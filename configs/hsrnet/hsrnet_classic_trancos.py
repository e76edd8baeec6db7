# HSRNet on TRANCOS (vehicles), paper recipe, classic protocol: the best
# checkpoint is chosen by its MAE on the test list, as most papers do (the
# HSRNet paper does not say how it selects). For comparison with published
# numbers only: it selects on test. Otherwise hsrnet_trancos.py, which selects
# on the release's validation list. Table 4 as papers report it.
_base_ = ['./hsrnet_trancos.py']

val_dataloader = dict(dataset=dict(split='test'))

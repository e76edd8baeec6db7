"""VGG-16 convolutional trunk, the backbone of HSRNet and CSRNet."""
import os
import re
from urllib.error import URLError

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmengine.runner import CheckpointLoader

from hsrcount.registry import MODELS

# Convs per stage and their widths (VGG-16, configuration "D").
STAGE_BLOCKS = (2, 2, 3, 3, 3)
STAGE_CHANNELS = (64, 128, 256, 512, 512)
_TV_KEY = re.compile(r'^features\.(\d+)\.weight$')

#: Environment variable naming a local copy of torchvision's VGG-16 weights,
#: used instead of downloading ``torchvision://vgg16``.
VGG16_FILE_ENV = 'HSRCOUNT_VGG16_CHECKPOINT'


def resolve_pretrained(checkpoint):
    """The checkpoint to read: a local file for ``torchvision://vgg16`` when
    :data:`VGG16_FILE_ENV` names one."""
    local = os.environ.get(VGG16_FILE_ENV)
    if local and checkpoint == 'torchvision://vgg16':
        if not os.path.isfile(local):
            raise FileNotFoundError(f'{VGG16_FILE_ENV}={local!r} is not a '
                                    f'file')
        return local
    return checkpoint


def offline_error(checkpoint, err):
    """A clear error for ImageNet weights that cannot be downloaded."""
    return OSError(
        f'VGG16: cannot load the ImageNet weights {checkpoint} ({err}). '
        f'Offline, point at a local copy of torchvision\'s vgg16 file '
        f'(vgg16-397923af.pth): set {VGG16_FILE_ENV}=/path/to/vgg16.pth, or '
        f'add --cfg-options model.backbone.init_cfg.checkpoint=/path/to/'
        f'vgg16.pth; or train without them with a scratch config '
        f'(configs/hsrnet/hsrnet_scratch_shtech_a.py).')


@MODELS.register_module()
class VGG16(BaseModule):
    """The 13 (or fewer) 3x3 conv layers of VGG-16, without pools at the end.

    Stage ``i`` (0-based) is ``STAGE_BLOCKS[i]`` 3x3 convs with ReLU (and BN
    when ``with_bn``); stages after the first start with a 2x2 stride-2 max
    pool (``ceil_mode=False``). So there is no pool after the last stage and
    no classifier: stage ``i`` has stride ``2**i``.

    With the defaults the outputs are the last features of stages 2-5:
    128, 256, 512, 512 channels at strides 2, 4, 8, 16. CSRNet's front end
    (conv1_1 to conv4_3, stride 8) is ``num_stages=4, out_indices=(3, )``.

    Initialisation (paper, sec. 4.1): every conv is drawn from N(0, 0.01)
    with zero bias, then, when ``init_cfg=dict(type='Pretrained',
    checkpoint=...)`` is given, the first ``num_pretrained_convs`` convs are
    copied from a torchvision VGG-16 checkpoint (``'torchvision://vgg16'``,
    ``'torchvision://vgg16_bn'`` or a local file in the same key layout).
    With ``with_bn=True`` the checkpoint must be a ``vgg16_bn`` one and the
    BN layers after the copied convs are copied too; with ``with_bn=False``
    it must be a plain ``vgg16`` one (convs trained with BN are meaningless
    without it). Offline, the environment variable
    ``HSRCOUNT_VGG16_CHECKPOINT`` names a local copy to use for
    ``torchvision://vgg16``; a failed download says how to point at one.

    Args:
        num_stages (int): How many stages to build, 1 to 5. Default: 5.
        out_indices (Sequence[int]): Stages (0-based) whose last feature is
            returned. Default: (1, 2, 3, 4).
        with_bn (bool): Add BatchNorm after each conv. Default: False.
        frozen_stages (int): Stages ``0..frozen_stages`` are frozen (no grad,
            BN in eval mode); -1 freezes nothing. Default: -1.
        num_pretrained_convs (int): How many leading convs are copied from
            the pretrained checkpoint. Default: 10 (the paper's choice).
        width_ratio (float): Multiplies every stage's channels (64, 128,
            256, 512, 512). Not in the paper: values below 1 make a small
            network for CPU demos and tests; pretrained weights need 1.0.
            Default: 1.0.
        init_cfg (dict, optional): ``dict(type='Pretrained', checkpoint=...)``
            or None for random init only.
    """

    def __init__(self,
                 num_stages=5,
                 out_indices=(1, 2, 3, 4),
                 with_bn=False,
                 frozen_stages=-1,
                 num_pretrained_convs=10,
                 width_ratio=1.0,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if not 1 <= num_stages <= 5:
            raise ValueError(f'VGG16: num_stages must be 1..5, got '
                             f'{num_stages}')
        out_indices = tuple(out_indices)
        if not out_indices or any(not 0 <= i < num_stages
                                  for i in out_indices):
            raise ValueError(f'VGG16: out_indices {out_indices} must be a '
                             f'non-empty subset of range({num_stages})')
        num_convs = sum(STAGE_BLOCKS[:num_stages])
        if not 0 <= num_pretrained_convs <= num_convs:
            raise ValueError(f'VGG16: num_pretrained_convs must be 0..'
                             f'{num_convs}, got {num_pretrained_convs}')
        if init_cfg is not None and (init_cfg.get('type') != 'Pretrained'
                                     or set(init_cfg) != {'type',
                                                          'checkpoint'}):
            raise ValueError(f'VGG16: init_cfg must be None or '
                             f"dict(type='Pretrained', checkpoint=...), got "
                             f'{init_cfg}')
        if width_ratio <= 0:
            raise ValueError(f'VGG16: width_ratio must be > 0, got '
                             f'{width_ratio}')
        if init_cfg is not None and width_ratio != 1.0:
            raise ValueError(f'VGG16: pretrained weights need width_ratio=1, '
                             f'got {width_ratio}')
        self.channels = tuple(
            max(1, round(c * width_ratio)) for c in STAGE_CHANNELS)
        self.num_stages = num_stages
        self.out_indices = out_indices
        self.with_bn = with_bn
        self.frozen_stages = frozen_stages
        self.num_pretrained_convs = num_pretrained_convs

        self.stages = nn.ModuleList()
        in_ch = 3
        for i in range(num_stages):
            layers = [nn.MaxPool2d(2, 2)] if i > 0 else []
            for _ in range(STAGE_BLOCKS[i]):
                layers.append(
                    nn.Conv2d(in_ch, self.channels[i], 3, padding=1))
                if with_bn:
                    layers.append(nn.BatchNorm2d(self.channels[i]))
                layers.append(nn.ReLU(inplace=True))
                in_ch = self.channels[i]
            self.stages.append(nn.Sequential(*layers))
        self._freeze_stages()

    @property
    def convs(self):
        """list[nn.Conv2d]: The conv layers in forward order."""
        return [m for m in self.stages.modules() if isinstance(m, nn.Conv2d)]

    def forward(self, x):
        """Run the stages.

        Args:
            x (Tensor): Images of shape (N, 3, H, W).

        Returns:
            tuple[Tensor]: For each index in ``out_indices`` the feature of
            shape (N, C_i, H // 2**i, W // 2**i).
        """
        outs = []
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def init_weights(self):
        """N(0, 0.01) init, then copy pretrained convs if configured."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if self.init_cfg is not None:
            checkpoint = self.init_cfg.get('checkpoint')
            if not checkpoint:
                raise ValueError(
                    'VGG16: init_cfg of type Pretrained needs a `checkpoint` '
                    '(a path or torchvision://vgg16)')
            checkpoint = resolve_pretrained(checkpoint)
            try:
                state = CheckpointLoader.load_checkpoint(
                    checkpoint, map_location='cpu')
            except URLError as err:  # no network, DNS failure, ...
                raise offline_error(checkpoint, err) from err
            if 'state_dict' in state:
                state = state['state_dict']
            self.load_torchvision_state(state, source=checkpoint)
        self._is_init = True

    def load_torchvision_state(self, state, source='checkpoint'):
        """Copy the first ``num_pretrained_convs`` convs from a state dict.

        Conv layers of torchvision's ``vgg16`` / ``vgg16_bn`` are
        ``features.{idx}.weight`` (4-D) and ``.bias``; they are matched to
        this model's convs in order, so both index layouts work. With BN the
        running statistics and affine parameters at ``features.{idx+1}`` are
        copied as well.

        Args:
            state (dict[str, Tensor]): torchvision-format state dict.
            source (str): Name of the checkpoint, used in error messages.

        Raises:
            KeyError: If the checkpoint has too few convs or lacks a BN key.
            ValueError: If a shape differs or the BN layout does not match
                ``with_bn``.
        """
        conv_ids = sorted(
            int(m.group(1)) for m in map(_TV_KEY.match, state)
            if m is not None and state[m.group(0)].dim() == 4)
        n = self.num_pretrained_convs
        if len(conv_ids) < n:
            raise KeyError(f'VGG16: {source} has {len(conv_ids)} conv layers '
                           f'under features.*, {n} needed '
                           f'(num_pretrained_convs)')
        has_bn = bool(conv_ids) and \
            f'features.{conv_ids[0] + 1}.running_mean' in state
        if has_bn != self.with_bn:
            raise ValueError(
                f'VGG16: {source} is a {"vgg16_bn" if has_bn else "vgg16"} '
                f'checkpoint but the backbone has with_bn={self.with_bn}')
        bns = [m for m in self.stages.modules()
               if isinstance(m, nn.BatchNorm2d)]
        with torch.no_grad():
            for k, (idx, conv) in enumerate(zip(conv_ids[:n], self.convs)):
                self._copy(conv.weight, state, f'features.{idx}.weight',
                           source)
                self._copy(conv.bias, state, f'features.{idx}.bias', source)
                if self.with_bn:
                    bn = bns[k]
                    for name in ('weight', 'bias', 'running_mean',
                                 'running_var'):
                        self._copy(
                            getattr(bn, name), state,
                            f'features.{idx + 1}.{name}', source)

    @staticmethod
    def _copy(param, state, key, source):
        if key not in state:
            raise KeyError(f'VGG16: {source} lacks key {key!r}')
        value = state[key]
        if value.shape != param.shape:
            raise ValueError(f'VGG16: {source} key {key!r} has shape '
                             f'{tuple(value.shape)}, expected '
                             f'{tuple(param.shape)}')
        param.copy_(value)

    def _freeze_stages(self):
        for stage in self.stages[:self.frozen_stages + 1]:
            stage.eval()
            for p in stage.parameters():
                p.requires_grad = False

    def train(self, mode=True):
        """Set train mode, keeping frozen stages (and their BN) in eval."""
        super().train(mode)
        self._freeze_stages()
        return self

"""The code in docs/customize.md runs against the library as written."""
import os.path as osp
import re
import sys

import cv2
import numpy as np
import torch
from mmengine.config import Config

from hsrcount.registry import DATASETS, MODELS
from hsrcount.structures import CrowdDataSample
from hsrcount.utils import register_all_modules

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def python_blocks(path):
    with open(path) as f:
        return re.findall(r'```python\n(.*?)```', f.read(), flags=re.S)


def test_customize_guide_runs(tmp_path, monkeypatch):
    *module_blocks, config_block = python_blocks(
        osp.join(REPO, 'docs', 'customize.md'))
    (tmp_path / 'my_modules.py').write_text('\n'.join(module_blocks))
    config = config_block.replace("'configs/",
                                  repr(osp.join(REPO, 'configs'))[:-1] + '/')
    (tmp_path / 'my_config.py').write_text(config)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, 'my_modules', raising=False)
    register_all_modules()

    # A dataset in the new format: two images, 3 and 0 heads.
    root = tmp_path / 'my_crowds'
    (root / 'images').mkdir(parents=True)
    (root / 'points').mkdir()
    for name, points in (('a', [[1, 2], [3, 4], [10.5, 7]]), ('b', [])):
        cv2.imwrite(str(root / 'images' / f'{name}.jpg'),
                    np.full((32, 48, 3), 128, np.uint8))
        np.savetxt(root / 'points' / f'{name}.txt', np.array(points))

    cfg = Config.fromfile(str(tmp_path / 'my_config.py'))
    inner = cfg.train_dataloader.dataset.dataset
    inner.data_root = str(root)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    infos = [dataset.dataset.get_data_info(i) for i in range(2)]
    assert [info['gt_count'] for info in infos] == [3, 0]
    np.testing.assert_allclose(infos[0]['gt_points'],
                               [[1, 2], [3, 4], [10.5, 7]])
    assert dataset[0]['data_samples'].gt_count <= 3  # a crop of image a

    model = MODELS.build(cfg.model)
    assert type(model.neck).__name__ == 'ResidualScaleFocus'
    feats = tuple(torch.rand(1, c, 4, 4) for c in (128, 256, 512, 512))
    focused = model.neck(feats)
    base = super(type(model.neck), model.neck).forward(feats)
    for f, g, b in zip(feats, focused, base):
        torch.testing.assert_close(g, f + b)

    assert [type(m).__name__ for m in model.head.loss_decode] == [
        'ScaleConsistencyLoss', 'PointCountLoss']
    count_loss = model.head.loss_decode[1]
    pred = torch.zeros(2, 1, 4, 4)
    pred[0, 0, 0, 0] = 500.0  # 5 people at density_scale 100
    pred[1, 0, 3, 3] = 300.0  # 3 people, but on a padded pixel
    mask = torch.ones_like(pred)
    mask[1, 0, 3, 3] = 0
    samples = [CrowdDataSample(), CrowdDataSample()]
    samples[0].gt_points = torch.zeros(2, 2)  # error |5 - 2| = 3
    samples[1].gt_points = torch.zeros(1, 2)  # error |0 - 1| = 1
    losses = count_loss(pred, torch.zeros_like(pred), mask,
                        data_samples=samples)
    torch.testing.assert_close(losses['loss_count'],
                               torch.tensor(1e-3 * (3 + 1) / 2))

    # The whole head, on a real sample of the new dataset: every term.
    item = dataset[0]
    batch = model.data_preprocessor(
        dict(inputs=[item['inputs']], data_samples=[item['data_samples']]),
        True)
    terms = model(**batch, mode='loss')
    assert {'loss_density', 'loss_scale5', 'loss_count'} <= set(terms)

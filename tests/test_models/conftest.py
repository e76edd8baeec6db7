"""Small fake batches for the model tests."""
import pytest
import torch

from hsrcount.structures import CrowdDataSample


@pytest.fixture
def make_batch():
    """Build ``dict(inputs, data_samples)`` as PackCrowdInputs would.

    Call with a list of (H, W); each image is random uint8 BGR, each sample
    gets a random ``gt_density`` (1, H, W) and ``img_shape``.
    """

    def _make(shapes, with_gt=True, seed=0):
        gen = torch.Generator().manual_seed(seed)
        inputs, samples = [], []
        for h, w in shapes:
            inputs.append(torch.randint(0, 256, (3, h, w), generator=gen,
                                        dtype=torch.uint8))
            sample = CrowdDataSample(metainfo=dict(img_shape=(h, w)))
            if with_gt:
                sample.gt_density = torch.rand(1, h, w, generator=gen) * 1e-2
            samples.append(sample)
        return dict(inputs=inputs, data_samples=samples)

    return _make

"""The value checks behind FiniteLossHook and load_weights."""
import torch

from hsrcount.engine.model_loading import first_non_finite


def test_first_non_finite_finds_nan_and_inf_and_counts_them():
    tensors = [
        ('counter', torch.tensor([3, 4])),  # integers are skipped
        ('fine', torch.ones(5)),
        ('inf_pair', torch.tensor([float('inf'), -float('inf'), 1.0])),
        ('nan', torch.tensor([0.0, float('nan')])),
    ]
    name, tensor, count, tensors_bad = first_non_finite(tensors)
    assert (name, count, tensors_bad) == ('inf_pair', 2, 2)
    assert tensor is tensors[2][1]


def test_first_non_finite_is_not_fooled_by_an_overflowing_sum():
    # Finite values whose float32 sum is inf: checked value by value.
    big = torch.full((1000, ), 3e38)
    assert not torch.isfinite(big.sum())
    assert first_non_finite([('big', big), ('half', torch.ones(
        3, dtype=torch.float16))]) is None
    big[7] = float('nan')
    assert first_non_finite([('big', big)])[2] == 1

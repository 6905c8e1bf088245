"""Plain head, Voters Module and the soft (MSE, Eq. 1) and hard (CE, Eq. 2) losses on small tensors."""

import math

import pytest
import torch
import torch.nn.functional as F

from xlt.models.heads import (SOFT_LOSSES, PlainHead, VotersModule, build_head, hard_label_ce_loss,
                              soft_label_kl_loss, soft_label_mse_loss, voter_widths)


def test_voter_widths_are_hidden_plus_the_configured_offsets():
    assert voter_widths(768, [0, -16, 16, -32, 32], 5) == [768, 752, 784, 736, 800]
    assert voter_widths(384, [0, -16, 16, -32, 32], 3) == [384, 368, 400]  # the first M offsets
    assert voter_widths(16, [0, -16, 16], 3) == [16, 8, 32]  # never below 8
    with pytest.raises(ValueError, match="at least 3 integers"):
        voter_widths(384, [0, -16], 3)
    with pytest.raises(ValueError, match="voter_sizes must be 3 positive integers"):
        build_head(16, 3, n_voters=3)  # a Voters Module is built with its widths


def test_heads_share_input_and_output_sizes():
    torch.manual_seed(0)
    x = torch.randn(7, 16)
    plain = build_head(16, 3, n_voters=1)
    voters = build_head(16, 3, n_voters=4, voter_sizes=[16, 12, 20, 8])
    assert isinstance(plain, PlainHead) and isinstance(voters, VotersModule)
    assert plain(x).shape == (1, 7, 3)
    assert voters.eval()(x).shape == (4, 7, 3)
    hidden = [v.net[1].out_features for v in voters.voters]
    assert hidden == [16, 12, 20, 8]
    out = voters(x)
    assert not torch.allclose(out[0], out[1])  # independent voters say different things
    with pytest.raises(ValueError):
        build_head(16, 3, n_voters=3, voter_sizes=[16, 16])


def test_soft_loss_is_the_mean_squared_error_of_probabilities_averaged_over_voters():
    logits = torch.tensor([[[0.0, 0.0], [math.log(3.0), 0.0]],     # voter 1: [.5,.5], [.75,.25]
                           [[0.0, math.log(3.0)], [0.0, 0.0]]])    # voter 2: [.25,.75], [.5,.5]
    teacher = torch.tensor([[1.0, 0.0], [0.5, 0.5]])
    # voter 1: ((.5)^2 + (.5)^2 + (.25)^2 + (.25)^2) / 4 = 0.15625
    # voter 2: ((.75)^2 + (.75)^2 + 0 + 0) / 4 = 0.28125
    assert soft_label_mse_loss(logits, teacher).item() == pytest.approx((0.15625 + 0.28125) / 2)
    assert soft_label_mse_loss(torch.zeros(3, 0, 2), torch.zeros(0, 2)).item() == 0.0


def test_soft_loss_gradient_pulls_student_toward_teacher():
    logits = torch.zeros(1, 1, 2, requires_grad=True)
    soft_label_mse_loss(logits, torch.tensor([[0.9, 0.1]])).backward()
    assert logits.grad[0, 0, 0] < 0 < logits.grad[0, 0, 1]


def test_kl_soft_loss_is_the_mean_kl_divergence_from_the_teacher_averaged_over_voters():
    logits = torch.tensor([[[0.0, 0.0], [math.log(3.0), 0.0]],     # voter 1: [.5,.5], [.75,.25]
                           [[0.0, math.log(3.0)], [0.0, 0.0]]])    # voter 2: [.25,.75], [.5,.5]
    teacher = torch.tensor([[1.0, 0.0], [0.5, 0.5]])
    kl = lambda t, p: sum(a * math.log(a / b) for a, b in zip(t, p) if a > 0)
    expected = (kl([1, 0], [.5, .5]) + kl([.5, .5], [.75, .25]) + kl([1, 0], [.25, .75]) + kl([.5, .5], [.5, .5])) / 4
    assert soft_label_kl_loss(logits, teacher).item() == pytest.approx(expected)
    assert soft_label_kl_loss(torch.zeros(3, 0, 2), torch.zeros(0, 2)).item() == 0.0
    assert soft_label_kl_loss(torch.log(teacher.clamp(min=1e-9)).unsqueeze(0), teacher).item() == pytest.approx(0, abs=1e-6)


def test_kl_keeps_pulling_a_class_the_student_gives_little_probability_where_mse_barely_does():
    # the student gives a rare class 1% where the teacher gives it 60%: the logit gradient of the MSE is damped
    # by the soft-max, that of the KL divergence is the difference of the probabilities
    logits = torch.tensor([[[math.log(99.0), 0.0]]])
    teacher = torch.tensor([[0.4, 0.6]])
    grads = {}
    for name, fn in SOFT_LOSSES.items():
        x = logits.clone().requires_grad_(True)
        fn(x, teacher).backward()
        grads[name] = x.grad[0, 0, 1].item()
    assert grads["kl"] == pytest.approx(0.01 - 0.6, rel=1e-4)
    assert grads["kl"] < 0 and grads["mse"] < 0
    assert abs(grads["mse"]) < abs(grads["kl"]) / 20


def test_hard_loss_averages_each_voters_cross_entropy_and_ignores_minus_100():
    torch.manual_seed(1)
    logits = torch.randn(3, 5, 4)
    labels = torch.tensor([0, -100, 3, 2, -100])
    expected = sum(F.cross_entropy(logits[i], labels, ignore_index=-100) for i in range(3)) / 3
    assert hard_label_ce_loss(logits, labels).item() == pytest.approx(expected.item(), rel=1e-6)


def test_hard_loss_without_labels_is_zero_not_nan():
    logits = torch.randn(2, 3, 4, requires_grad=True)
    loss = hard_label_ce_loss(logits, torch.full((3,), -100))
    assert loss.item() == 0.0
    loss.backward()
    assert torch.count_nonzero(logits.grad) == 0

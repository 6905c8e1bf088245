"""Chains name self-training models so that variants share identical steps (xlt/selftrain/chains.py)."""

import pytest

from xlt.errors import UserError
from xlt.selftrain.chains import (
    Chain,
    chain_prefixes,
    format_threshold,
    parse_chain,
    previous_threshold_chain,
    variant_chain,
)

FULL = {"btf": "task", "schedule": "default", "threshold": "auto", "voters": True}


def test_variant_chain_of_paper_conll_schedule():
    chain = variant_chain(FULL, "SHS")
    assert chain.name == "task-vm.S1.H1-auto.S2"
    assert [c.last.stage for c in chain_prefixes(chain)] == ["round1-soft", "round1-hard", "round2-soft"]


def test_fixed_threshold_and_plain_head_appear_in_the_name():
    chain = variant_chain({"btf": "none", "schedule": "SH", "threshold": 0.99, "voters": False}, "SHS")
    assert chain.name == "none-plain.S1.H1-t0.99"
    assert format_threshold(0) == "0.0"


def test_no_self_training_gives_the_bare_root():
    chain = variant_chain({**FULL, "schedule": ""}, "SHSH")
    assert chain.steps == () and chain.name == "task-vm"


@pytest.mark.parametrize("name", ["task-vm.S1", "task-vm.S1.H1-t0.999.S2", "random-plain.S1.S2.S3", "none-vm.S1.H1-auto"])
def test_parse_round_trips(name):
    assert parse_chain(name).name == name


@pytest.mark.parametrize("name", ["tsk-vm.S1", "task-vm.X1", "task-vm.H1-best", "task"])
def test_malformed_chain_is_a_user_error(name):
    with pytest.raises(UserError, match="chain"):
        parse_chain(name)


def test_shared_prefix_between_variants():
    full = variant_chain(FULL, "SHS")
    one_round = variant_chain({**FULL, "schedule": "SH"}, "SHS")
    assert one_round in chain_prefixes(full)


def test_keep_mask_comes_from_the_last_thresholded_round():
    assert previous_threshold_chain(parse_chain("task-vm.S1")) is None
    assert previous_threshold_chain(parse_chain("task-vm.S1.H1-auto.S2")).name == "task-vm.S1"
    assert previous_threshold_chain(parse_chain("task-vm.S1.S2")) is None
    chain = parse_chain("task-vm.S1.H1-auto.S2.H2-auto.S3")
    assert previous_threshold_chain(chain).name == "task-vm.S1.H1-auto.S2"


def test_parent_of_first_step_is_the_root():
    assert parse_chain("task-vm.S1").parent() == Chain("task", "vm", ())


def test_teachers_and_students_follow_the_paper():
    """Section 3.2: round 1's teacher is the fine-tuned model (the bare root), later rounds' teacher is the
    previous round's last student (its hard student, or its soft student in soft-only rounds); a hard step
    continues from its round's soft student."""
    shss = variant_chain({**FULL, "schedule": "SHSS"}, "SHS")
    soft1, hard1, soft2, soft3 = chain_prefixes(shss)
    assert soft1.parent().steps == ()
    assert soft2.parent() == hard1
    assert soft3.parent() == soft2
    assert hard1.parent() == soft1
    assert shss.last.stage == "round3-soft"

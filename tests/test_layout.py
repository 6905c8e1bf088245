"""The results layout and the chain patterns the rules match: one definition (xlt.layout) that agrees with the
chain grammar (xlt.selftrain.chains)."""

import re

import pytest

from xlt import layout
from xlt.errors import UserError
from xlt.selftrain.chains import parse_chain, variant_chain

SOFT = ["task-vm.S1", "task-vm.S1.H1-auto.S2", "none-plain.S1.H1-t0.99.S2", "random-vm.S1.S2",
        "task-vm.S1.H1-t0.999.S2.H2-auto.S3"]
HARD = ["task-vm.S1.H1-auto", "random-vm.S1.H1-t0.999", "task-plain.S1.H1-auto.S2.H2-t0.5"]
NEITHER = ["task-vm", "task-vm.H1-auto.S1x", "tasks-vm.S1", "task-vm.S1.H1", "task-vm.S1.H1-t.9", "task-vm.S1/..",
           "task-vm.S1.H1-auto.S2.", "task-xx.S1"]


@pytest.mark.parametrize("name", SOFT + HARD)
def test_the_patterns_match_what_the_grammar_parses(name):
    chain = parse_chain(name)
    assert chain.name == name
    assert bool(re.fullmatch(layout.SOFT_CHAIN, name)) == (chain.last.kind == "soft")
    assert bool(re.fullmatch(layout.HARD_CHAIN, name)) == (chain.last.kind == "hard")


@pytest.mark.parametrize("name", NEITHER)
def test_malformed_chains_match_no_rule(name):
    assert not re.fullmatch(layout.SOFT_CHAIN, name) and not re.fullmatch(layout.HARD_CHAIN, name)


def test_a_fixed_threshold_survives_the_folder_name():
    variant = {"btf": "task", "voters": True, "threshold": 0.99, "schedule": "SHS"}
    chain = variant_chain(variant, "SHSH")
    assert chain.name == "task-vm.S1.H1-t0.99.S2"
    assert parse_chain(chain.name).steps[1].threshold == "0.99"


def test_paths_and_patterns():
    assert layout.run_dir("cls", "de-books", 1) == "results/cls/de-books/seed1"
    assert layout.step_file("conll", "de", 2, "task-vm.S1", "alpha") == \
        "results/conll/de/seed2/st/task-vm.S1/threshold/alpha.json"
    assert layout.step_pattern("model") == "results/{task}/{target}/seed{seed}/st/{chain}/model"
    assert layout.btf_file(*layout.RUN, "{corpus}", "heldout.jsonl") == \
        "results/{task}/{target}/seed{seed}/btf-{corpus}/heldout.jsonl"
    assert layout.finetune_file("cls", "en-books", 1, "none", "model") == "results/cls/en-books/seed1/ft-none/model"
    assert layout.variant_scores("cls", "ja-music", 3, "full") == "results/cls/ja-music/seed3/variants/full.json"
    with pytest.raises(ValueError, match="step file 'weights'"):
        layout.step_file("cls", "de-books", 1, "task-vm.S1", "weights")


def test_parse_chain_rejects_what_the_patterns_reject():
    for name in NEITHER:
        try:
            chain = parse_chain(name)
        except UserError:
            continue
        assert not chain.steps  # the bare root parses (a fine-tuned model), but no step rule makes it

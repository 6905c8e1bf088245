"""xlt.workflow.Plan: what each rule reads, derived from the config (who teaches whom, shared fine-tuning, the
evaluation's models, the default target)."""

from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

import xlt.config as xlt_config
from xlt.workflow import Plan

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def plan():
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    xlt_config.validate(config)
    return Plan(config)


def w(**kw):
    return SimpleNamespace(**kw)


def test_round_one_is_taught_by_the_fine_tuned_model_and_every_student_starts_from_btf(plan):
    soft1 = w(task="conll", target="de", seed="1", chain="task-vm.S1")
    assert plan.teacher_model(soft1) == "results/conll/de/seed1/ft-task/model"
    assert plan.student_init_model(soft1) == "results/conll/de/seed1/btf-task/model"
    soft2 = w(task="conll", target="de", seed="1", chain="task-vm.S1.H1-auto.S2")
    assert plan.teacher_model(soft2) == "results/conll/de/seed1/st/task-vm.S1.H1-auto/model"
    assert plan.student_init_model(soft2) == "results/conll/de/seed1/btf-task/model"
    # the keep-mask of round 2 continues the one of round 1 ("we permanently remove these samples")
    assert plan.previous_source_keep(soft2) == "results/conll/de/seed1/st/task-vm.S1/threshold/source_keep.json"
    assert plan.previous_source_keep(soft1) == []


def test_the_hard_step_reads_its_soft_student_and_a_fixed_threshold_from_its_chain(plan):
    hard = w(task="cls", target="fr-dvd", seed="2", chain="task-vm.S1.H1-t0.99")
    inputs = plan.hard_step_inputs(hard)
    assert inputs["student"] == "results/cls/fr-dvd/seed2/st/task-vm.S1/model"
    assert inputs["alpha"].endswith("st/task-vm.S1/threshold/alpha.json")
    assert plan.fixed_threshold(hard) == 0.99
    assert plan.fixed_threshold(w(task="cls", target="fr-dvd", seed="2", chain="task-vm.S1.H1-auto")) is None
    assert plan.chain_voters(hard) == 5 and plan.chain_voters(w(chain="task-plain.S1")) == 1


def test_fine_tuning_the_plain_base_model_is_shared_by_the_targets_of_a_source(plan):
    de, fr = w(task="cls", target="de-books", seed="1"), w(task="cls", target="fr-books", seed="1")
    assert plan.finetune_model(de, "none") == plan.finetune_model(fr, "none") == "results/cls/en-books/seed1/ft-none/model"
    assert plan.finetune_model(de, "task") == "results/cls/de-books/seed1/ft-task/model"


def test_a_variant_reports_every_stage_of_its_chain(plan):
    stages = plan.variant_stage_models("cls", "de-books", 1, "full")
    assert [s for s, _ in stages] == ["finetune", "round1-soft", "round1-hard", "round2-soft", "round2-hard"]
    assert stages[-1][1] == "results/cls/de-books/seed1/st/task-vm.S1.H1-auto.S2.H2-auto/model"
    assert plan.variant_stage_models("cls", "de-books", 1, "mbert") == [
        ("finetune", "results/cls/en-books/seed1/ft-none/model")]


def test_the_default_target_holds_every_table_of_the_enabled_tasks(plan):
    files = plan.all_targets()
    for name in ("data_stats.tsv", "cls_avg.tsv", "conll_paired.tsv", "cls_selftrain.tsv", "stage_times.tsv",
                 "tables/table9.tsv", "figures/figure2.png"):
        assert f"results/{name}" in files


def test_the_kl_overlay_sets_the_kl_soft_loss_for_conll_and_leaves_cls_on_mse():
    from snakemake.utils import update_config

    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    for overlay in ("config/cpu-medium.yaml", "config/cpu-medium-kl.yaml"):
        update_config(config, yaml.safe_load((ROOT / overlay).read_text()))
    xlt_config.validate(config)
    kl = Plan(config)
    soft = {task: w(task=task, target=target, seed="1", chain="task-vm.S1") for task, target in
            (("cls", "de-books"), ("conll", "nl"))}
    assert kl.soft_hp(soft["conll"])["loss"] == "kl" and kl.soft_hp(soft["cls"])["loss"] == "mse"
    config["tasks"]["conll"]["self_training"]["soft"]["loss"] = "l2"
    with pytest.raises(xlt_config.UserError, match="tasks.conll.self_training.soft.loss"):
        xlt_config.validate(config)


def test_health_table_has_one_btf_row_per_corpus_with_the_variants_built_on_it(plan):
    entries = plan.selftrain_entries(w(task="cls"))
    btf = [e for e in entries if e["stage"] == "btf" and e["target"] == "de-books" and e["seed"] == 1]
    assert {e["chain"] for e in btf} == {"btf-task", "btf-random"}
    task = next(e for e in btf if e["chain"] == "btf-task")
    assert task["files"] == {"btf": "results/cls/de-books/seed1/btf-task/health.json"}
    assert {"full", "no_st", "no_vm", "no_at"} <= set(task["variants"])
    assert not {"mbert", "no_btf", "mbert_wiki"} & set(task["variants"])  # plain encoder, or the Wikipedia corpus
    assert next(e for e in btf if e["chain"] == "btf-random")["variants"] == ["mbert_wiki"]
    assert "results/cls/de-books/seed1/btf-task/health.json" in plan.selftrain_inputs(w(task="cls"))

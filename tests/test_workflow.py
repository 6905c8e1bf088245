"""The workflow as users run it: lint, formatting, dry runs of the paper grid, bad config at start-up."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def snakemake(*args, cwd=ROOT, timeout=240):
    return subprocess.run([*SNAKEMAKE, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def job_counts(output: str) -> dict[str, int]:
    """The 'Job stats' table of a dry run: rule -> number of jobs."""
    counts = {}
    table = output[output.index("Job stats:"):]
    for line in table.splitlines()[3:]:
        m = re.match(r"^(\S+)\s+(\d+)$", line.strip())
        if not m:
            if counts:
                break
            continue
        counts[m.group(1)] = int(m.group(2))
    return counts


@pytest.mark.slow
def test_paper_config_expands_to_the_whole_grid():
    res = snakemake("-n", "--quiet", "rules")
    assert res.returncode == 0, res.stderr[-3000:]
    counts = job_counts(res.stdout + res.stderr)
    cfg = yaml.safe_load((ROOT / "config.yaml").read_text())
    seeds = len(cfg["seeds"])
    cls_targets = len(cfg["tasks"]["cls"]["languages"]) * len(cfg["tasks"]["cls"]["domains"])
    conll_targets = len(cfg["tasks"]["conll"]["languages"])
    # one evaluation job per target and seed scores every model of every variant
    assert counts["evaluate_cls"] == seeds * cls_targets and counts["evaluate_conll"] == seeds * conll_targets
    # BTF on the task corpus and on random Wikipedia for every target and seed
    assert counts["bilingual_task_fitting"] == 2 * seeds * (cls_targets + conll_targets)
    # fine-tuning from the task-BTF and random-BTF model per target; from the plain base model once per
    # English source (CLS: per domain; CoNLL: one), shared by the targets
    cls_domains = len(cfg["tasks"]["cls"]["domains"])
    assert counts["finetune_source"] == 2 * seeds * (cls_targets + conll_targets) + seeds * (cls_domains + 1)
    assert counts["harvest_entity_sentences"] == conll_targets
    assert counts["paper_table"] == 7 and counts["average_table"] == 2 and counts["figure2"] == 1
    assert counts["variants_table"] == 2 and counts["paired_table"] == 2 and counts["stage_times"] == 1
    # Variants share identical steps. CLS soft students: full 2, -AT 1 more (its round 2 follows another
    # threshold), -VM 2, -BTF 2 = 7. CoNLL: full 2, -AT 1, -VM 2, -BTF 2, soft rounds 2 more, Table 8 none
    # (their round-1 soft student is full's), SHSHS 1 more = 10.
    assert counts["soft_label_step"] == seeds * (cls_targets * 7 + conll_targets * 10)
    assert counts["download_model"] == 1 and counts["download_wikipedia_dump"] == 5


@pytest.mark.slow
@pytest.mark.parametrize("configfile", [None, "config/demo.yaml"])
def test_lint_is_clean(configfile):
    args = ["--lint"] + (["--configfile", configfile] if configfile else [])
    res = snakemake(*args)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]


def test_snakefmt_is_clean():
    files = ["Snakefile", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "rules").glob("*.smk"))]
    res = subprocess.run([str(Path(sys.executable).parent / "snakefmt"), "--check", *files], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


def test_bad_config_stops_with_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("tasks:\n  cls:\n    max_length: -3\n")
    res = snakemake("-n", "--configfile", str(bad))
    assert res.returncode != 0
    errors = [l for l in (res.stdout + res.stderr).splitlines() if l.startswith("error:")]
    assert errors == ["error: config: tasks.cls.max_length = -3 is out of range (minimum 8)"]
    assert "Traceback" not in res.stdout + res.stderr


SHARED = ROOT.parent / "shared" / "data"


@pytest.mark.slow
@pytest.mark.skipif(not SHARED.is_dir(), reason=f"real data not found at {SHARED}")
def test_cpu_small_config_dry_runs_on_the_real_data():
    res = snakemake("-n", "--quiet", "rules", "--configfile", "config/cpu-small.yaml")
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    counts = job_counts(res.stdout + res.stderr)
    # 6 CLS targets (de, fr x 3 domains) + 2 CoNLL targets, 4 variants, 3 seeds
    assert counts["evaluate_cls"] == 3 * 6 and counts["evaluate_conll"] == 3 * 2
    assert counts["subsample_source_train"] == 4  # English books/dvd/music reviews and CoNLL sentences


@pytest.mark.slow
@pytest.mark.skipif(not SHARED.is_dir(), reason=f"real data not found at {SHARED}")
def test_evaluate_final_scores_only_the_last_model():
    res = snakemake("-n", "--configfile", "config/cpu-small.yaml", "--", "results/conll/de/seed1/variants/full.json")
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    out = res.stdout + res.stderr
    block = out[out.index("rule evaluate_conll:"):]
    inputs = block[block.index("input:"):].splitlines()[0]
    models = {m for m in inputs.removeprefix("input:").replace(",", " ").split() if m.endswith("/model")}
    # the last model of each variant (full SH, -ST, -BTF SH, plain), none of the soft students before them
    assert models == {"results/conll/de/seed1/st/task-vm.S1.H1-auto/model", "results/conll/de/seed1/ft-task/model",
                      "results/conll/de/seed1/st/none-vm.S1.H1-auto/model", "results/conll/en/seed1/ft-none/model"}

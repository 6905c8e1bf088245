"""docs/results-cpu.md quotes the TSVs kept in docs/results-cpu/: its score and component tables must say what
those files say (a rerun that updates the files without the page, or the page without the files, fails here)."""
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "results-cpu.md"
TSV = ROOT / "docs" / "results-cpu"
NAMES = {"mbert": "plain fine-tuning", "no_btf": "-BTF", "no_st": "-ST", "full": "full", "no_vm": "-VM", "no_at": "-AT"}


def _cell(value, std):
    value = str(value)
    mark = "†" if value.endswith("†") else ""
    return f"{float(value.rstrip('†')):.2f} ± {float(std):.2f}{mark}"


@pytest.mark.parametrize("task", ["cls", "conll"])
def test_score_table_rows_are_the_avg_tsv(task):
    doc = DOC.read_text(encoding="utf-8")
    avg = pd.read_csv(TSV / f"{task}_avg.tsv", sep="\t")
    variants = [c for c in avg.columns if c in NAMES]
    assert "| target | " + " | ".join(NAMES[v] for v in variants) + " | seeds |" in doc
    for row in avg.to_dict("records"):
        line = f"| {row['target']} | " + " | ".join(_cell(row[v], row[f"{v}_std"]) for v in variants) + f" | {row['n_seeds']} |"
        assert line in doc, line


@pytest.mark.parametrize("task", ["cls", "conll"])
def test_component_rows_are_the_paired_tsv(task):
    doc = DOC.read_text(encoding="utf-8")
    paired = pd.read_csv(TSV / f"{task}_paired.tsv", sep="\t")
    for component, rows in paired.groupby("component", sort=False):
        mean = rows[rows.target == "average"].iloc[0]
        pooled = rows[rows.target == "pooled"].iloc[0]
        line = (f"| {component} | {mean['with']} − {mean['without']} | {mean['mean']:+.2f} ± {mean['std']:.2f} "
                f"({mean['per_seed']}) | {pooled['mean']:+.2f} ± {pooled['std']:.2f} ({pooled['pairs']}) | {mean['clear']} |")
        assert line in doc, line


def test_readme_quotes_the_self_training_gain_of_the_kept_run():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for task in ("cls", "conll"):
        paired = pd.read_csv(TSV / f"{task}_paired.tsv", sep="\t")
        row = paired[(paired.component == "self-training") & (paired.target == "average")].iloc[0]
        assert f"{row['mean']:+.2f} ± {row['std']:.2f}" in readme

"""What each component of the method changes, as paired per-seed differences (``results/<task>_paired.tsv``).

An ablation is read pairwise: for every target and seed, the score with a component minus the score without
it, both runs sharing that seed's data sample, fine-tuning seed and everything upstream. Variation common to
both runs cancels, so a component's effect is told apart from seed noise when the mean of its differences is
larger than their standard deviation (the ``clear`` column).

A side of a comparison is ``variant`` (its final model) or ``variant@stage`` (``full@round1-soft``: the
round-1 soft student of the full method; needs ``report.evaluate: all``). Besides the fixed comparisons of
:data:`COMPARISONS`, every step of the full method's chain is compared with the step before it (``round1-soft``
against ``finetune``, ``round1-hard`` against ``round1-soft``, ...), which is what the soft and the hard step
each add. A comparison whose variants or stages were not run is left out.

Pure functions on the frame of :func:`xlt.report.load_results`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from xlt.report import AVERAGE, DAGGER, _std, self_training_stages, target_order

#: (component, with, without): the ablations of Tables 5 and 6, read pairwise.
COMPARISONS = (
    ("BTF", "no_st", "mbert"),
    ("BTF, with self-training", "full", "no_btf"),
    ("self-training", "full", "no_st"),
    ("Voters Module", "full", "no_vm"),
    ("automatic threshold", "full", "no_at"),
    ("task corpus for BTF (vs random Wikipedia)", "no_st", "mbert_wiki"),
)

POOLED = "pooled"
COLUMNS = ["component", "with", "without", "target", "pairs", "mean", "std", "clear", "per_seed", "guards"]


def _side(spec: str) -> tuple[str, str]:
    variant, _, stage = spec.partition("@")
    return variant, stage or "final"


def _scores(df: pd.DataFrame, task: str, spec: str) -> pd.DataFrame:
    variant, stage = _side(spec)
    sel = df[(df["task"] == task) & (df["variant"] == variant) & (df["stage"] == stage)]
    return sel[["target", "seed", "score", "guards"]]


def stage_comparisons(df: pd.DataFrame, task: str, variant: str = "full") -> list[tuple[str, str, str]]:
    """One comparison per self-training step of ``variant``: the step's model against the one before it."""
    stages = ["finetune", *self_training_stages(df, task, variant)]
    return [(f"{later} step", f"{variant}@{later}", f"{variant}@{earlier}") for earlier, later in zip(stages, stages[1:])]


def _row(component, with_, without, target, diffs: pd.Series, guards: list[str]) -> dict:
    values = diffs.tolist()
    mean = float(np.mean(values)) if values else math.nan
    std = _std(values)
    clear = "NA" if math.isnan(std) else ("yes" if abs(mean) > std else "no")
    return {"component": component, "with": with_, "without": without, "target": target, "pairs": len(values),
            "mean": mean, "std": std, "clear": clear,
            "per_seed": " ".join(f"{k}:{v:+.2f}" for k, v in diffs.items()),
            "guards": (DAGGER + " " + "; ".join(guards)) if guards else ""}


def paired_rows(df: pd.DataFrame, task: str, component: str, with_: str, without: str) -> list[dict]:
    """Rows of one comparison: each target (differences over its seeds), ``average`` (over seeds, of the
    mean difference across the targets that seed has on both sides) and ``pooled`` (every target and seed)."""
    a, b = _scores(df, task, with_), _scores(df, task, without)
    both = a.merge(b, on=["target", "seed"], suffixes=("_with", "_without"))
    if both.empty:
        return []
    both["diff"] = (both["score_with"] - both["score_without"]) * 100.0
    rows = []
    for target in target_order(both["target"]):
        part = both[both["target"] == target].sort_values("seed")
        guards = [f"{side} seed{r.seed}: {g}" for r in part.itertuples()
                  for side, g in ((with_, r.guards_with), (without, r.guards_without)) if g]
        rows.append(_row(component, with_, without, target, part.set_index("seed")["diff"].rename(None), guards))
    flagged = [g for r in rows for g in ([r["guards"]] if r["guards"] else [])]
    per_seed = both.groupby("seed")["diff"].mean()
    guards = [f"see the {len(flagged)} marked target row(s)"] if flagged else []
    rows.append(_row(component, with_, without, AVERAGE, per_seed, guards))
    pooled = both.sort_values(["target", "seed"])
    pooled_row = _row(component, with_, without, POOLED, pooled["diff"].reset_index(drop=True), guards)
    pooled_row["per_seed"] = ""
    rows.append(pooled_row)
    return rows


def paired_table(df: pd.DataFrame, task: str, variant: str = "full") -> pd.DataFrame:
    """Every comparison of :data:`COMPARISONS` and every step of ``variant``'s chain that the results hold."""
    rows = []
    for component, with_, without in [*COMPARISONS[:3], *stage_comparisons(df, task, variant), *COMPARISONS[3:]]:
        rows += paired_rows(df, task, component, with_, without)
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.round({"mean": 2, "std": 2})

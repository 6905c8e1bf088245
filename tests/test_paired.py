"""Paired per-seed differences per component (xlt.report.paired, results/<task>_paired.tsv)."""

import math

import pandas as pd
import pytest

from xlt.report.gains import components_without_gain
from xlt.report.paired import paired_rows, paired_table
from xlt.report import build_table, write_table


def frame(rows):
    """Evaluation rows (variant, stage, target, seed, score in %, guards) as load_results gives them."""
    return pd.DataFrame(
        [{"task": "cls", "target": t, "variant": v, "seed": s, "stage": st, "score": sc / 100, "guards": g}
         for v, st, t, s, sc, g in rows])


SCORES = {  # target -> variant@stage -> per-seed scores (%)
    "de-books": {"mbert": [70, 72, 71], "no_st": [71, 72, 73], "full@finetune": [71, 72, 73],
                 "full@round1-soft": [72, 73, 73], "full@round1-hard": [74, 72, 75]},
    "fr-books": {"mbert": [73, 73, 74], "no_st": [73, 72, 74], "full@finetune": [73, 72, 74],
                 "full@round1-soft": [73, 73, 75], "full@round1-hard": [74, 75, 77]},
}


def results(guard_on=None):
    rows = []
    for target, by_side in SCORES.items():
        for side, scores in by_side.items():
            variant, _, stage = side.partition("@")
            for seed, score in enumerate(scores, start=1):
                g = "keep_classes" if guard_on == (target, side, seed) else ""
                rows.append((variant, stage or "final", target, seed, score, g))
                if side == "full@round1-hard":  # the variant's last model is also its final stage
                    rows.append((variant, "final", target, seed, score, g))
    return frame(rows)


def by_target(rows):
    return {r["target"]: r for r in rows}


def test_differences_are_paired_by_seed_per_target_averaged_per_seed_and_pooled():
    rows = by_target(paired_rows(results(), "cls", "self-training", "full", "no_st"))
    # de-books: 74-71, 72-72, 75-73 = +3, 0, +2
    assert rows["de-books"]["per_seed"] == "1:+3.00 2:+0.00 3:+2.00"
    assert rows["de-books"]["mean"] == pytest.approx(5 / 3)
    assert rows["de-books"]["std"] == pytest.approx(pd.Series([3, 0, 2]).std())
    assert rows["de-books"]["clear"] == "yes"  # 1.67 > 1.53
    # fr-books: +1, +3, +3; average per seed: (3+1)/2, (0+3)/2, (2+3)/2 = 2, 1.5, 2.5
    assert rows["average"]["per_seed"] == "1:+2.00 2:+1.50 3:+2.50"
    assert rows["average"]["mean"] == pytest.approx(2.0) and rows["average"]["std"] == pytest.approx(0.5)
    assert rows["pooled"]["pairs"] == 6 and rows["pooled"]["mean"] == pytest.approx(2.0)
    assert rows["pooled"]["std"] == pytest.approx(pd.Series([3, 0, 2, 1, 3, 3]).std())


def test_a_difference_within_its_spread_is_not_clear():
    rows = by_target(paired_rows(results(), "cls", "BTF", "no_st", "mbert"))
    # de-books +1, 0, +2 (clear: 1 > 1 is false); fr-books 0, -1, 0
    assert rows["de-books"]["clear"] == "no" and rows["fr-books"]["mean"] == pytest.approx(-1 / 3)
    assert rows["fr-books"]["clear"] == "no"


def test_each_self_training_step_is_compared_with_the_one_before_it():
    table = paired_table(results(), "cls")
    steps = table[table["target"] == "average"].set_index("component")
    assert list(steps.index) == ["BTF", "self-training", "round1-soft step", "round1-hard step"]
    assert steps.loc["round1-soft step", "without"] == "full@finetune"
    assert steps.loc["round1-hard step", "with"] == "full@round1-hard"
    # soft: de +1 +1 0, fr 0 +1 +1 -> per seed 0.5, 1, 0.5
    assert steps.loc["round1-soft step", "mean"] == pytest.approx(0.67, abs=0.005)
    assert "BTF, with self-training" not in steps.index  # no -BTF run: left out, not a row of NaN


def test_a_guard_on_either_side_marks_the_row_and_the_summary_rows():
    rows = by_target(paired_rows(results(guard_on=("fr-books", "full@round1-hard", 2)), "cls", "self-training",
                                 "full", "no_st"))
    assert rows["fr-books"]["guards"] == "\u2020 full seed2: keep_classes"
    assert rows["de-books"]["guards"] == ""
    assert rows["average"]["guards"].startswith("\u2020") and rows["pooled"]["guards"].startswith("\u2020")


def test_one_seed_has_no_spread_and_the_table_is_written(tmp_path):
    one = results()
    one = one[one["seed"] == 1]
    table = build_table(one, "paired", {"kind": "paired", "task": "cls"})
    single = table[table["target"] != "pooled"]  # one seed: no spread per target, nor of the per-seed average
    assert set(single["clear"]) == {"NA"} and single["std"].isna().all()
    assert set(table.loc[table["target"] == "pooled", "pairs"]) == {2}  # the two targets of seed 1
    write_table(table, tmp_path / "cls_paired.tsv")
    back = pd.read_csv(tmp_path / "cls_paired.tsv", sep="\t")
    assert list(back.columns)[:4] == ["component", "with", "without", "target"]
    st = back[(back["component"] == "self-training") & (back["target"] == "de-books")]
    assert math.isclose(st["mean"].iloc[0], 3.0) and st["per_seed"].iloc[0] == "1:+3.00"


def test_components_without_the_papers_gain_are_named_one_line_each():
    lines = components_without_gain(paired_table(results(), "cls"))
    # BTF: per seed +0.5, -0.5, +1.0 -> +0.33 +- 0.76; self-training and both steps gain beyond their spread
    assert lines == ["BTF (no_st − mbert): +0.33 ± 0.76 over 3 seeds: no gain beyond the spread over seeds "
                     "(the paper reports a gain)"]


def test_a_component_that_clearly_lowers_the_score_is_named_so():
    rows = [(v, "final", "de-books", s, sc, "") for v, scores in (("mbert", [72, 73, 72]), ("no_st", [70, 72, 70]))
            for s, sc in enumerate(scores, start=1)]
    lines = components_without_gain(paired_table(frame(rows), "cls"))
    assert lines == ["BTF (no_st − mbert): -1.67 ± 0.58 over 3 seeds: lowers the score (the paper reports a gain)"]


def test_a_component_measured_on_one_seed_is_not_judged():
    rows = [(v, "final", "de-books", 1, sc, "") for v, sc in (("mbert", 72), ("no_st", 70))]
    assert components_without_gain(paired_table(frame(rows), "cls")) == []

"""``results/<task>_selftrain.tsv``: one row per BTF and self-training step with its health record (see
docs/self_training.md)."""

from __future__ import annotations

from typing import Mapping, Sequence

import pandas as pd

from xlt.io import read_json

# --------------------------------------------------------------------------------------------
# Self-training health (results/<task>_selftrain.tsv)
# --------------------------------------------------------------------------------------------

SELFTRAIN_KEYS = ("task", "target", "seed", "chain", "stage", "variants")


def _flat(prefix: str, value: Mapping | None) -> dict:
    """``{"a": 1, "b": {"c": 2}}`` -> ``{"<prefix>.a": 1, "<prefix>.b.c": 2}``."""
    out = {}
    for key, v in (value or {}).items():
        if isinstance(v, Mapping):
            out.update(_flat(f"{prefix}.{key}", v))
        else:
            out[f"{prefix}.{key}"] = v
    return out


def _curve_support(curve: Sequence[Mapping]) -> str:
    """``threshold:selected/total`` for every grid point, e.g. ``0.5:300/300 0.6:1/300``."""
    return " ".join(f"{r['threshold']:g}:{r['selected']}/{r['total']}" for r in curve)


def selftrain_row(entry: Mapping) -> dict:
    """One row of the self-training health table from a step's records (see :func:`selftrain_table`)."""
    files = entry["files"]
    row = {k: entry[k] for k in SELFTRAIN_KEYS}
    row["variants"] = " ".join(entry["variants"])
    guards = []
    if "btf" in files:  # Bilingual Task Fitting: did it adapt the encoder to the target language?
        h = read_json(files["btf"])
        row.update({k: h.get(k) for k in ("texts", "heldout_texts", "heldout_mlm_loss_before", "heldout_mlm_loss_after")})
        guards += h.get("guards", [])
    if "health" in files:  # soft step
        h = read_json(files["health"])
        row.update({k: h.get(k) for k in ("teacher_agreement", "majority_rate", "soft_mse", "teacher_var", "units")})
        row.update(_flat("teacher_share", h.get("teacher_share")))
        row.update(_flat("student_share", h.get("student_share")))
        row.update(_flat("teacher_units", h.get("teacher_units")))
        row.update(_flat("class_agreement", h.get("class_agreement")))
        row.update(_flat("oracle_teacher", h.get("oracle_teacher")))
        row.update(_flat("oracle_student", h.get("oracle_student")))
        guards += h.get("guards", [])
    if "alpha" in files:  # the soft step was thresholded
        a = read_json(files["alpha"])
        row.update({"alpha": a["alpha"], "alpha_rule": a["rule"], "alpha_method": a["method"],
                    "alpha_support": a["support"], "alpha_reason": a.get("reason", ""),
                    "curve_support": _curve_support(a.get("curve", [])), "english_accuracy": a.get("english_accuracy"),
                    "teacher_english_accuracy": a.get("teacher_english_accuracy")})
        row.update(_flat("english_pred_share", a.get("english_pred_share")))
        row.update(_flat("english_gold_share", a.get("english_gold_share")))
        guards += a.get("guards", [])
    if "keep" in files:
        k = read_json(files["keep"])
        row.update({"kept": k["kept"], "kept_total": k["total"], "kept_unit": k.get("unit")})
        row.update({f"kept.{c}": f"{d['kept']}/{d['total']}" for c, d in (k.get("kept_by_class") or {}).items()})
        guards += k.get("guards", [])
    if "pseudo" in files:  # hard step
        h = read_json(files["pseudo"])
        row.update({"alpha": h["alpha"], "alpha_rule": h.get("alpha_rule"), "pseudo": h["target_selected"],
                    "pseudo_before_balance": h.get("target_selected_before_balance"), "balance": h.get("balance"),
                    "pseudo_total": h["target_total"], "source_kept": h["source_kept"],
                    "source_total": h["source_total"]})
        row.update(_flat("pseudo", h.get("pseudo_by_class")))
        row.update(_flat("predicted", h.get("student_predicted_by_class")))
        row.update({f"kept.{c}": f"{d['kept']}/{d['total']}" for c, d in (h.get("kept_by_class") or {}).items()})
        row.update(_flat("oracle_pseudo", h.get("oracle_pseudo")))
        guards = h.get("guards", [])  # the hard step's record repeats the guards of its threshold and keep-mask
    row["guards"] = " ".join(dict.fromkeys(g["check"] for g in guards))
    row["guard_messages"] = " | ".join(g["message"] for g in guards)
    return row


def selftrain_table(entries: Sequence[Mapping]) -> pd.DataFrame:
    """The health of every BTF and self-training step: one row per (task, target, seed, chain, stage).

    ``entries``: ``{task, target, seed, chain, stage, variants, files}`` with ``files`` naming the step's
    records: ``btf`` (BTF's health.json), ``health`` (soft step), ``alpha`` and ``keep`` (its threshold and English keep-mask, when a hard
    step follows), ``pseudo`` (hard step). Columns are described in docs/self_training.md; class columns
    (``pseudo.<class>``, ``kept.<class>``, ``*_share.<class>``) follow the task's classes."""
    rows = [selftrain_row(e) for e in entries]
    if not rows:
        return pd.DataFrame(columns=[*SELFTRAIN_KEYS, "guards"])
    columns = list(dict.fromkeys(c for r in rows for c in r))
    tail = ["guards", "guard_messages"]
    columns = [c for c in columns if c not in tail] + tail
    table = pd.DataFrame(rows, columns=columns)
    for c in columns:  # counts stay exact integers in rows that have them (a column of floats would round them)
        values = [r[c] for r in rows if r.get(c) is not None]
        if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            table[c] = table[c].astype("Int64")
    return table

"""Result tables in the layout of the paper (Tables 3 to 9) from per-run evaluation JSON files.

Each evaluation file describes one (task, target, variant, seed, stage)::

    {"task": "cls", "target": "de-books", "lang": "de", "domain": "books", "variant": "full",
     "seed": 1, "stage": "final", "metric": "accuracy", "score": 0.8765, "n": 2000}

Scores are fractions; tables show percentages (mean over seeds, 2 decimals) and the sample standard
deviation over seeds (ddof = 1, so undefined for a single seed). See docs/self_training.md, "Outputs".
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from xlt.errors import UserError
from xlt.io import atomic_path, read_json

RESULT_COLUMNS = ("task", "target", "lang", "domain", "variant", "seed", "stage", "metric", "score", "n")
REQUIRED_KEYS = ("task", "target", "variant", "seed", "stage", "metric", "score")
RUN_KEY = ["task", "target", "variant", "seed", "stage"]
AVERAGE = "average"
NA = "NA"
DAGGER = "\u2020"
"""Marks a table cell where a self-training guard fired for at least one of its seeds (see the row's ``note``)."""

PAPER_TARGET_ORDER = [f"{lang}-{domain}" for lang in ("de", "fr", "ja") for domain in ("books", "dvd", "music")] + [
    "de",
    "es",
    "nl",
]
"""Column order of the paper's tables; other targets follow alphabetically."""


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _records(paths: Iterable):
    """(path, record) pairs: a file holds one result object or a list of them (one per stage)."""
    for path in paths:
        obj = read_json(path)
        for rec in obj if isinstance(obj, list) else [obj]:
            yield path, rec


def load_results(paths: Iterable) -> pd.DataFrame:
    """Read evaluation JSON files (an object or a list of objects each) into one frame with :data:`RESULT_COLUMNS` plus ``path``.

    Raises :class:`UserError` for a missing key, a score outside [0, 1], or two files for the same
    (task, target, variant, seed, stage).
    """
    rows = []
    for path, obj in _records(paths):
        if not isinstance(obj, dict):
            raise UserError(f"{path}: expected a JSON object with keys {', '.join(REQUIRED_KEYS)}")
        missing = [k for k in REQUIRED_KEYS if k not in obj]
        if missing:
            raise UserError(f"{path}: missing key(s) {', '.join(missing)}; expected {', '.join(REQUIRED_KEYS)}")
        score = obj["score"]
        if not isinstance(score, (int, float)) or isinstance(score, bool) or not 0.0 <= score <= 1.0:
            raise UserError(f"{path}: score {score!r}: expected a fraction between 0 and 1")
        row = {k: obj.get(k) for k in RESULT_COLUMNS}
        row["score"] = float(score)
        row["guards"] = ",".join(dict.fromkeys(g.get("check", "?") for g in obj.get("guards") or []))
        row["path"] = str(path)
        rows.append(row)
    df = pd.DataFrame(rows, columns=[*RESULT_COLUMNS, "guards", "path"])
    dup = df[df.duplicated(RUN_KEY, keep=False)]
    if len(dup):
        first = dup.iloc[0]
        same = dup[(dup[RUN_KEY] == first[RUN_KEY]).all(axis=1)]["path"].tolist()
        raise UserError(f"{same[1]}: same task/target/variant/seed/stage as {same[0]}; expected one file per run")
    return df


# --------------------------------------------------------------------------------------------
# Aggregation
# --------------------------------------------------------------------------------------------


def target_order(targets: Iterable[str]) -> list[str]:
    """Targets in the paper's column order, unknown ones after it alphabetically."""
    known = {t: i for i, t in enumerate(PAPER_TARGET_ORDER)}
    return sorted(set(targets), key=lambda t: (known.get(t, len(known)), t))


def _select(df: pd.DataFrame, task: str, variant: str, stage: str) -> pd.DataFrame:
    return df[(df["task"] == task) & (df["variant"] == variant) & (df["stage"] == stage)]


def _std(values: Sequence[float]) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else math.nan


def _cell_stats(df: pd.DataFrame, task: str, variant: str, stage: str, targets: Sequence[str]) -> dict:
    """Per target (and the average) the seed mean, seed std, seed count (in percent) and the guards that fired:
    a list of ``"<variant> <target> seed<k>: <checks>"``."""
    sel = _select(df, task, variant, stage)
    out = {}
    per_seed = {}
    all_flags = []
    for target in targets:
        rows = sel[sel["target"] == target]
        scores = rows.set_index("seed")["score"] * 100.0
        per_seed[target] = scores
        flags = [f"{variant} {target} seed{r.seed}: {r.guards}" for r in rows.itertuples() if r.guards]
        all_flags += flags
        out[target] = (float(scores.mean()) if len(scores) else math.nan, _std(scores.tolist()), len(scores), flags)
    # average row: mean over targets of the per-target seed means; its std is the std over seeds of the
    # per-seed average over targets, using the seeds that every target has
    means = [out[t][0] for t in targets]
    avg = float(np.mean(means)) if targets and not any(math.isnan(m) for m in means) else math.nan
    common = set.intersection(*(set(s.index) for s in per_seed.values())) if per_seed else set()
    seed_avgs = [float(np.mean([per_seed[t][s] for t in targets])) for s in sorted(common)]
    out[AVERAGE] = (avg, _std(seed_avgs), len(common), all_flags)
    return out


def _mark_cells(table: pd.DataFrame, flags: Mapping[tuple[int, str], list[str]]) -> pd.DataFrame:
    """Append :data:`DAGGER` to every flagged cell ``(row position, column)`` and explain it in a ``note`` column.

    A column with a flagged cell becomes text (two decimals, ``NA`` for undefined); tables without flags are
    returned unchanged, so clean runs keep plain numbers."""
    flags = {k: v for k, v in flags.items() if v}
    if not flags:
        return table
    table = table.copy()
    for col in sorted({c for _, c in flags}, key=list(table.columns).index):
        table[col] = [NA if pd.isna(v) else f"{v:.2f}" for v in table[col]]
    notes = [[] for _ in range(len(table))]
    for (i, col), items in flags.items():
        table.iat[i, table.columns.get_loc(col)] += DAGGER
        notes[i] += [x for x in items if x not in notes[i]]
    table["note"] = [f"{DAGGER} self-training guard fired: " + "; ".join(n) if n else "" for n in notes]
    return table


def summary_table(
    df: pd.DataFrame,
    task: str,
    variants: Sequence[str],
    stage: str = "final",
    *,
    wide: bool = False,
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Seed-averaged scores per target and variant (Tables 3 to 6).

    Long layout (default; ``results/<task>_avg.tsv``): one row per target plus ``average``; columns
    ``target``, then ``<variant>`` and ``<variant>_std`` for each variant, then ``n_seeds`` (the smallest
    seed count over the row's variants). Wide layout (``wide=True``, the paper's): one row per
    variant (named by ``labels`` when given), columns ``variant``, the targets, ``average``; means only.
    """
    targets = target_order(df.loc[df["task"] == task, "target"])
    stats = {v: _cell_stats(df, task, v, stage, targets) for v in variants}
    rows_targets = [*targets, AVERAGE]
    if wide:
        labels = labels or {}
        rows = [{"variant": labels.get(v, v), **{t: stats[v][t][0] for t in rows_targets}} for v in variants]
        flags = {(i, t): stats[v][t][3] for i, v in enumerate(variants) for t in rows_targets}
        return _mark_cells(pd.DataFrame(rows, columns=["variant", *rows_targets]).round(2), flags)
    rows = []
    for t in rows_targets:
        row = {"target": t}
        for v in variants:
            row[v] = stats[v][t][0]
            row[f"{v}_std"] = stats[v][t][1]
        row["n_seeds"] = min(stats[v][t][2] for v in variants) if variants else 0
        rows.append(row)
    columns = ["target", *[c for v in variants for c in (v, f"{v}_std")], "n_seeds"]
    flags = {(i, v): stats[v][t][3] for i, t in enumerate(rows_targets) for v in variants}
    return _mark_cells(pd.DataFrame(rows, columns=columns).round(2), flags)


STAGE_RE = re.compile(r"^round(\d+)-(soft|hard)$")


def self_training_stages(df: pd.DataFrame, task: str, variant: str) -> list[str]:
    """The ``round<r>-<soft|hard>`` stages present for a variant, in training order."""
    stages = set(df.loc[(df["task"] == task) & (df["variant"] == variant), "stage"])
    found = [(int(m.group(1)), m.group(2) == "hard", s) for s in stages if (m := STAGE_RE.match(str(s)))]
    return [s for _, _, s in sorted(found)]


def rounds_table(
    df: pd.DataFrame,
    task: str,
    variant: str,
    stages: Sequence[str] | None = None,
    *,
    baseline_variant: str | None = None,
    baseline_stage: str | None = "finetune",
    labels: Mapping[str, str] | None = None,
    with_std: bool = False,
) -> pd.DataFrame:
    """Scores after each self-training step (Tables 7 and 9): rows = targets, columns ``baseline``
    (the model before self-training, the paper's "MBERT" column) and then one column per stage.

    The baseline is ``baseline_variant`` (default: ``variant``) at ``baseline_stage``; ``None`` drops
    the column. ``stages`` defaults to every ``round<r>-<kind>`` stage of the variant in the results.
    Columns are named ``baseline`` and the stage names unless ``labels`` renames them; ``with_std``
    adds ``<column>_std`` after each column.
    """
    labels = labels or {}
    if stages is None:
        stages = self_training_stages(df, task, variant)
    targets = target_order(df.loc[df["task"] == task, "target"])
    columns = []  # (column key, variant, stage)
    if baseline_stage is not None:
        columns.append(("baseline", baseline_variant or variant, baseline_stage))
    columns += [(s, variant, s) for s in stages]
    stats = {key: _cell_stats(df, task, v, s, targets) for key, v, s in columns}
    names = []
    for key, _, _ in columns:
        names.append(labels.get(key, key))
        if with_std:
            names.append(f"{labels.get(key, key)}_std")
    rows = []
    for t in targets:
        row = {"target": t}
        for key, _, _ in columns:
            row[labels.get(key, key)] = stats[key][t][0]
            if with_std:
                row[f"{labels.get(key, key)}_std"] = stats[key][t][1]
        rows.append(row)
    flags = {(i, labels.get(key, key)): stats[key][t][3] for i, t in enumerate(targets) for key, _, _ in columns}
    return _mark_cells(pd.DataFrame(rows, columns=["target", *names]).round(2), flags)


def thresholds_table(
    df: pd.DataFrame,
    task: str,
    variants_by_threshold: Mapping[str, str],
    origin_stage: str = "round1-soft",
    *,
    stage: str = "round1-hard",
    origin_variant: str | None = None,
) -> pd.DataFrame:
    """Fixed versus automatically chosen thresholds after one hard step (Table 8).

    ``variants_by_threshold`` maps a column label ("0.0", "0.9", ..., "Ours") to the variant run with
    that threshold; each column shows that variant at ``stage``. ``Origin`` is the soft student before
    the hard step (``origin_stage``) of ``origin_variant`` (default: the variant labelled "Ours", else
    the first one); it does not depend on the threshold.
    """
    if not variants_by_threshold:
        raise ValueError("variants_by_threshold is empty")
    if origin_variant is None:
        origin_variant = variants_by_threshold.get("Ours", next(iter(variants_by_threshold.values())))
    targets = target_order(df.loc[df["task"] == task, "target"])
    origin = _cell_stats(df, task, origin_variant, origin_stage, targets)
    stats = {label: _cell_stats(df, task, v, stage, targets) for label, v in variants_by_threshold.items()}
    rows = [{"target": t, "Origin": origin[t][0], **{label: stats[label][t][0] for label in stats}} for t in targets]
    flags = {(i, label): stats[label][t][3] for i, t in enumerate(targets) for label in stats}
    flags.update({(i, "Origin"): origin[t][3] for i, t in enumerate(targets)})
    return _mark_cells(pd.DataFrame(rows, columns=["target", "Origin", *stats]).round(2), flags)


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def write_table(df: pd.DataFrame, path, *, float_format: str = "%.2f") -> None:
    """Write a table atomically as TSV: one header row, ``NA`` for undefined cells."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, sep="\t", index=False, float_format=float_format, na_rep=NA)


CURVE_COLUMNS = ("threshold", "accuracy", "recall", "selected", "total")


def write_curve(rows: Sequence[Mapping], path) -> None:
    """Write a threshold curve (rows of :func:`xlt.selftrain.threshold_curve`) as TSV."""
    write_table(pd.DataFrame(list(rows), columns=list(CURVE_COLUMNS)), path, float_format="%.6g")


def read_curve(path) -> pd.DataFrame:
    """Read a threshold-curve TSV written by :func:`write_curve`."""
    path = Path(path)
    try:
        df = pd.read_csv(path, sep="\t", na_values=[NA])
    except FileNotFoundError:
        raise UserError(f"{path}: file not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise UserError(f"{path}:1: expected a TSV with columns {', '.join(CURVE_COLUMNS)} ({err})") from None
    missing = [c for c in ("threshold", "accuracy", "recall") if c not in df.columns]
    if missing:
        raise UserError(f"{path}:1: missing column(s) {', '.join(missing)}; expected {', '.join(CURVE_COLUMNS)}")
    for col in ("threshold", "accuracy", "recall"):
        if not pd.api.types.is_numeric_dtype(df[col]):
            raise UserError(f"{path}: column {col} must hold numbers (or {NA})")
    return df


# --------------------------------------------------------------------------------------------
# Table specs (what the workflow passes as params)
# --------------------------------------------------------------------------------------------

TABLE_KINDS = ("summary", "wide", "rounds", "thresholds", "paired")


def _threshold_label(variant: str) -> str:
    """Column label of a fixed-threshold variant: its trailing number (``fixed_0.99`` -> ``0.99``)."""
    m = re.search(r"(\d+(?:\.\d+)?)$", variant)
    return m.group(1) if m else variant


def build_table(df: pd.DataFrame, name: str, spec: Mapping) -> pd.DataFrame:
    """Build one table from a spec; raise :class:`UserError` naming ``tables.<name>.<key>`` when the
    spec is malformed.

    Spec keys by ``kind``:

    - ``summary`` / ``wide``: ``task``, ``variants``, optional ``stage`` (default ``final``), ``labels``
      (wide only: variant -> row label).
    - ``rounds``: ``task``, ``variant``, optional ``stages`` (default: every round stage found),
      ``baseline`` (a variant; its ``final`` stage is the baseline column) or ``baseline_stage`` (a stage
      of ``variant``, default ``finetune``), ``labels``, ``with_std``.
    - ``thresholds``: ``task`` and either ``ours`` plus ``fixed`` (variant names whose trailing number
      is the column label) or ``variants_by_threshold`` (label -> variant); optional ``stage`` (default
      ``round1-hard``) and ``origin_stage`` (default ``round1-soft``).
    - ``paired``: ``task``, optional ``variant`` (default ``full``): paired per-seed differences of the
      ablations and of every self-training step (:func:`xlt.report.paired.paired_table`).
    """

    def need(key, kind_=None):
        if key not in spec:
            raise UserError(f"tables.{name}.{key}: missing; a {spec.get('kind')} table needs it")
        value = spec[key]
        if kind_ is not None and not isinstance(value, kind_):
            raise UserError(f"tables.{name}.{key} = {value!r}: expected a {kind_.__name__}")
        return value

    if not isinstance(spec, Mapping):
        raise UserError(f"tables.{name}: expected a mapping with kind and task")
    kind = spec.get("kind")
    if kind not in TABLE_KINDS:
        raise UserError(f"tables.{name}.kind = {kind!r}: expected one of {', '.join(TABLE_KINDS)}")
    task = need("task", str)
    if kind in ("summary", "wide"):
        return summary_table(
            df,
            task,
            list(need("variants", list)),
            spec.get("stage", "final"),
            wide=kind == "wide",
            labels=spec.get("labels"),
        )
    if kind == "paired":
        from xlt.report.paired import paired_table  # xlt.report.paired builds on this package

        return paired_table(df, task, spec.get("variant", "full"))
    if kind == "rounds":
        baseline = spec.get("baseline")
        return rounds_table(
            df,
            task,
            need("variant", str),
            spec.get("stages"),
            baseline_variant=baseline,
            baseline_stage=spec.get("baseline_stage", "final" if baseline else "finetune"),
            labels=spec.get("labels"),
            with_std=bool(spec.get("with_std", False)),
        )
    if "variants_by_threshold" in spec:
        by_threshold = dict(need("variants_by_threshold", Mapping))
    else:
        by_threshold = {_threshold_label(v): v for v in need("fixed", list)}
        by_threshold["Ours"] = need("ours", str)
    return thresholds_table(
        df,
        task,
        by_threshold,
        spec.get("origin_stage", "round1-soft"),
        stage=spec.get("stage", "round1-hard"),
        origin_variant=spec.get("origin_variant"),
    )

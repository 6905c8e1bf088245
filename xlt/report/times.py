"""``results/stage_times.tsv``: wall time, CPU time and memory per task, seed and rule, from the Snakemake
benchmark files."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from xlt.errors import UserError

# --------------------------------------------------------------------------------------------
# Wall times (Snakemake benchmark files)
# --------------------------------------------------------------------------------------------

_BENCH_NAME = re.compile(r"^(?P<task>cls|conll)-.+?(?:-seed(?P<seed>\d+)(?:-.+)?)?$")
STAGE_TIME_COLUMNS = ("task", "seed", "rule", "jobs", "wall_s", "cpu_s", "max_wall_s", "max_rss_mib")


def stage_times(bench_dir) -> pd.DataFrame:
    """Per (task, seed, rule): number of jobs, summed and largest wall seconds, CPU seconds, peak RSS.

    Reads the Snakemake benchmark files ``<bench_dir>/<rule>/<task>-<target>[-seed<k>[-...]].tsv``; files not
    tied to a seed (the Wikipedia harvest and sample) have seed ``shared``, files not tied to a task (the base
    model, ``<bench_dir>/<rule>.tsv``) task ``all``.
    """
    bench_dir = Path(bench_dir)
    rows = []
    for path in sorted(bench_dir.rglob("*.tsv")):
        rel = path.relative_to(bench_dir)
        rule = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        m = _BENCH_NAME.match(path.stem) if len(rel.parts) > 1 else None
        task = m["task"] if m else "all"
        seed = m["seed"] if m and m["seed"] else "shared"
        try:
            df = pd.read_csv(path, sep="\t")
            last = df.iloc[-1]
            wall, cpu, rss = float(last["s"]), float(last.get("cpu_time", np.nan)), float(last.get("max_rss", np.nan))
        except (pd.errors.ParserError, pd.errors.EmptyDataError, KeyError, IndexError, ValueError):
            raise UserError(f"{path}: not a Snakemake benchmark file (expected a header with s and cpu_time)") from None
        rows.append({"task": task, "seed": seed, "rule": rule, "wall": wall, "cpu": cpu, "rss": rss})
    if not rows:
        raise UserError(f"{bench_dir}: no benchmark files")
    df = pd.DataFrame(rows)
    out = (df.groupby(["task", "seed", "rule"], sort=True)
           .agg(jobs=("wall", "size"), wall_s=("wall", "sum"), cpu_s=("cpu", "sum"), max_wall_s=("wall", "max"),
                max_rss_mib=("rss", "max"))
           .reset_index())
    totals = (out.groupby(["task", "seed"], sort=True)
              .agg(jobs=("jobs", "sum"), wall_s=("wall_s", "sum"), cpu_s=("cpu_s", "sum"),
                   max_wall_s=("max_wall_s", "max"), max_rss_mib=("max_rss_mib", "max"))
              .reset_index().assign(rule="TOTAL"))
    out = pd.concat([out, totals], ignore_index=True).sort_values(["task", "seed", "rule"], kind="stable")
    return out[list(STAGE_TIME_COLUMNS)].reset_index(drop=True)

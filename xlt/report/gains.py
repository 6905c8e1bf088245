"""Which components of a paired table (:func:`xlt.report.paired.paired_table`) do not show the paper's gain.

Kept apart from :mod:`xlt.report.paired`: the threshold step imports :mod:`xlt.report`, whose code digest
follows its lazy import of ``paired``, so an edit there would re-run every threshold and hard step.
"""

from __future__ import annotations

import pandas as pd

from xlt.report import AVERAGE


def components_without_gain(table: pd.DataFrame) -> list[str]:
    """One line per component of a :func:`paired_table` whose mean over seeds does not show the gain the paper
    reports for it: lower, or not larger than its spread over seeds. Components measured on one seed only have
    no spread and are left out."""
    lines = []
    for row in table[table["target"] == AVERAGE].to_dict("records"):
        if row["clear"] == "NA":
            continue
        if row["mean"] < 0 and row["clear"] == "yes":
            verdict = "lowers the score"
        elif row["clear"] != "yes" or row["mean"] <= 0:
            verdict = "no gain beyond the spread over seeds"
        else:
            continue
        lines.append(f"{row['component']} ({row['with']} − {row['without']}): {row['mean']:+.2f} ± {row['std']:.2f} "
                     f"over {row['pairs']} seeds: {verdict} (the paper reports a gain)")
    return lines

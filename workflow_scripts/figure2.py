"""Snakemake script: Figure 2, accuracy and recall against the confidence threshold.

input.source_curves, input.target_curves: threshold-curve TSVs (threshold, accuracy, recall, selected,
total); input.alphas: JSON {"alpha": ...}; params.title (optional), params.source_label and
params.target_label (optional panel titles); output.png; log[0]: the log.
"""

import logging

from xlt.errors import UserError, exit_on_user_error
from xlt.io import read_json
from xlt.plots import plot_threshold_curves
from xlt.report import read_curve
from xlt.runtime import start


def plot_thresholds(
    source_curves, target_curves, alphas, png, *, title="", source_label="source", target_label="target"
):
    """Draw the source and target threshold curves with the chosen alpha into ``png``."""
    obj = read_json(alphas)
    alpha = obj.get("alpha") if isinstance(obj, dict) else None
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool):
        raise UserError(f"{alphas}: expected a JSON object with a numeric 'alpha'")
    curves = {source_label: read_curve(source_curves), target_label: read_curve(target_curves)}
    plot_threshold_curves(curves, png, title, alpha=float(alpha))
    logging.info("alpha %.4g; wrote %s", alpha, png)


@exit_on_user_error
def main(smk) -> None:
    params = dict(smk.params.items())
    plot_thresholds(
        smk.input.source_curves,
        smk.input.target_curves,
        smk.input.alphas,
        smk.output.png,
        title=params.get("title", ""),
        source_label=params.get("source_label", "source"),
        target_label=params.get("target_label", "target"),
    )


if "snakemake" in globals():
    start(snakemake, "figure2")  # noqa: F821
    main(snakemake)  # noqa: F821

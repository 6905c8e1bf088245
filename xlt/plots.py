"""Figure 2 of the paper: accuracy (blue) and recall (red) of the confident predictions against the
confidence threshold, one panel per language (source and target), with the chosen alpha marked."""

from __future__ import annotations

from typing import Mapping

import pandas as pd

from xlt.io import atomic_path


def _frame(curve) -> pd.DataFrame:
    df = curve if isinstance(curve, pd.DataFrame) else pd.DataFrame(list(curve))
    missing = [c for c in ("threshold", "accuracy", "recall") if c not in df.columns]
    if missing:
        raise ValueError(f"curve lacks column(s) {', '.join(missing)}")
    return df.sort_values("threshold")


def plot_threshold_curves(
    curves: Mapping[str, object],
    out_png,
    title: str,
    *,
    alpha: float | Mapping[str, float] | None = None,
    xscale: str = "linear",
) -> None:
    """Draw one panel per entry of ``curves`` (label -> frame or rows with threshold/accuracy/recall).

    ``alpha`` (one value for every panel, or a value per label) is drawn as a dashed vertical line.
    ``xscale`` is any matplotlib scale; ``"logit"`` spreads the thresholds near 1. The PNG is written
    atomically with the Agg renderer (no display needed).
    """
    from matplotlib.figure import Figure

    if not curves:
        raise ValueError("no curves to plot")
    fig = Figure(figsize=(4.2 * len(curves), 3.6), layout="constrained")
    axes = fig.subplots(1, len(curves), sharey=True, squeeze=False)[0]
    for ax, (label, curve) in zip(axes, curves.items()):
        df = _frame(curve)
        ax.plot(df["threshold"], df["accuracy"], color="tab:blue", marker="o", markersize=3, label="accuracy")
        ax.plot(df["threshold"], df["recall"], color="tab:red", marker="s", markersize=3, label="recall")
        a = alpha.get(label) if isinstance(alpha, Mapping) else alpha
        if a is not None:
            ax.axvline(a, color="0.4", linestyle="--", linewidth=1, label=f"α = {a:g}")
        ax.set_xscale(xscale)
        ax.set_title(label)
        ax.set_xlabel("confidence threshold")
        ax.set_ylim(0.0, 1.02)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="lower left", fontsize="small")
    axes[0].set_ylabel("accuracy / recall")
    fig.suptitle(title)
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=150, metadata={"Software": None})

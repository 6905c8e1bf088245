"""What a training job of the workflow hands the engine besides its hyper-parameters: the run-time knobs.

Only the training scripts import this module (xlt.codedigest follows imports: an edit here re-runs the training
jobs, not the data or table jobs).
"""

from __future__ import annotations

from pathlib import Path

from xlt.train.loop import Runtime

TENSORBOARD_DIR = "results/tensorboard"  # relative to the working directory of the workflow


def training_runtime(snakemake) -> Runtime:
    """How a training job runs (:class:`xlt.train.loop.Runtime`), from ``params.runtime``: the config's
    ``training.gradient_accumulation_steps`` and ``training.log_to``.

    They change no result (accumulation only up to float rounding), so they travel in
    :class:`xlt.runtime.RuntimeSettings`, which is no rerun trigger. TensorBoard curves go to
    ``results/tensorboard/<rule>/<job>/``, named like the job's log file.
    """
    runtime = snakemake.params.get("runtime") or {}
    log_dir = None
    if runtime.get("log_to", "none") == "tensorboard":
        log_file = Path(snakemake.log[0])
        log_dir = str(Path(TENSORBOARD_DIR) / log_file.parent.name / log_file.stem)
    return Runtime(accumulation=int(runtime.get("gradient_accumulation_steps", 1)), log_dir=log_dir)

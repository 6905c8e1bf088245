"""Snakemake script: the automatic threshold and the source-consistency filter (Section 3.2, Eq. 3).

The soft-label student labels the English training data; accuracy and recall of its confident
predictions against the threshold give the curve; alpha is where accuracy bends most. English samples
the student mispredicts are removed, and stay removed in later rounds."""

import numpy as np

from xlt.errors import exit_on_user_error
from xlt.io import read_json, write_json
from xlt.report import write_curve
from xlt.runtime import read_records, start
from xlt.selftrain import select_threshold_by_max_curvature, update_source_keep
from xlt.tasks import gold_ids, input_field, predicted_ids, threshold_curve_of
from xlt.train.api import predict_probs

log = start(snakemake, "select_threshold")  # noqa: F821


@exit_on_user_error
def main(sm):
    p = sm.params
    source = read_records(sm.input.source, input_field(p.kind))
    probs = predict_probs(sm.input.student, source, batch_size=p.inference_batch_size, max_length=p.max_length)
    curve = threshold_curve_of(p.kind, probs, source, p.thresholds)
    accuracy = [row["accuracy"] for row in curve]
    alpha = select_threshold_by_max_curvature(p.thresholds, accuracy, method=p.curvature)

    previous = read_json(sm.input.previous_keep)["keep"] if sm.input.get("previous_keep") else None
    keep = update_source_keep(previous, predicted_ids(p.kind, probs), gold_ids(p.kind, source))

    write_curve(curve, sm.output.curve)
    write_json(sm.output.keep, {"keep": [bool(k) for k in keep], "kept": int(np.sum(keep)), "total": len(keep),
                                "previous_kept": None if previous is None else int(np.sum(previous))})
    write_json(sm.output.alpha, {"alpha": alpha, "method": p.curvature, "thresholds": list(p.thresholds)})
    log.info("alpha = %s (%s); English samples kept: %d of %d", alpha, p.curvature, int(np.sum(keep)), len(keep))


main(snakemake)  # noqa: F821

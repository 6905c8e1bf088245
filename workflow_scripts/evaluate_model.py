"""Snakemake script: evaluate a model on the target test set (accuracy for CLS, seqeval entity F1 for CoNLL)."""

from xlt.errors import exit_on_user_error
from xlt.io import write_json
from xlt.metrics import evaluate
from xlt.runtime import code_version, read_records, start
from xlt.tasks import gold_ids, ids_to_tags, input_field, predicted_ids
from xlt.train.api import predict_probs

log = start(snakemake, "evaluate_model")  # noqa: F821


@exit_on_user_error
def main(sm):
    p = sm.params
    test = read_records(sm.input.test, input_field(p.kind))
    probs = predict_probs(sm.input.model, test, batch_size=p.inference_batch_size, max_length=p.max_length)
    pred = predicted_ids(p.kind, probs)
    if p.kind == "sequence":
        scores = evaluate("sequence", pred.tolist(), gold_ids(p.kind, test).tolist())
    else:
        scores = evaluate("token", ids_to_tags(pred), [r["tags"] for r in test])
    result = {"model": sm.input.model, "test": sm.input.test, "n": len(test), "code": code_version(), **scores}
    write_json(sm.output.scores, result)
    log.info("%s on %s: %s", sm.input.model, sm.input.test, scores)


main(snakemake)  # noqa: F821

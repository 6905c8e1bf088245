"""Snakemake script: evaluate every model of a variant on the target test set, stage by stage.

Writes a list of records {task, target, lang, domain, variant, seed, chain, stage, metric, score, n, model}
(``stage`` "finetune", "round1-soft", ..., and "final" for the variant's last model) that the tables read."""

from xlt.errors import exit_on_user_error
from xlt.io import write_json
from xlt.metrics import evaluate
from xlt.runtime import code_version, read_records, start
from xlt.tasks import gold_ids, ids_to_tags, input_field, predicted_ids
from xlt.train.api import predict_probs

log = start(snakemake, "evaluate_variant")  # noqa: F821


def score(kind, model, test, batch_size, max_length) -> dict:
    probs = predict_probs(model, test, batch_size=batch_size, max_length=max_length)
    pred = predicted_ids(kind, probs)
    if kind == "sequence":
        return evaluate("sequence", pred.tolist(), gold_ids(kind, test).tolist())
    return evaluate("token", ids_to_tags(pred), [r["tags"] for r in test])


@exit_on_user_error
def main(sm):
    p = sm.params
    test = read_records(sm.input.test, input_field(p.kind))
    records = []
    for stage, model in zip(p.stages, sm.input.models):
        s = score(p.kind, model, test, p.inference_batch_size, p.max_length)
        records.append({**p.meta, "stage": stage, "metric": s["metric"], "score": s["score"], "n": s["n"],
                        "details": {k: v for k, v in s.items() if k not in ("metric", "score", "n")},
                        "model": model})
        log.info("%s %s: %s %.4f", p.meta["variant"], stage, s["metric"], s["score"])
    records.append({**records[-1], "stage": "final"})
    code = code_version()
    for rec in records:
        rec["test"] = sm.input.test
        rec["code"] = code
    write_json(sm.output.scores, records)


main(snakemake)  # noqa: F821

"""Snakemake script: evaluate every model of a variant on the target test set, stage by stage.

Writes a list of records {task, target, lang, domain, variant, seed, chain, stage, metric, score, n, model}
(``stage`` "finetune", "round1-soft", ..., and "final" for the variant's last model) that the tables read."""

from xlt.errors import exit_on_user_error
from xlt.gpus import pin_snakemake_job
from xlt.io import read_json, write_json
from xlt.metrics import evaluate
from xlt.runtime import code_version, read_records, start
from xlt.tasks import gold_ids, ids_to_tags, input_field, model_labels, predicted_ids
from xlt.train.api import predict_probs

log = start(snakemake, "evaluate_variant")  # noqa: F821
pin_snakemake_job(snakemake)  # noqa: F821  (one GPU per local job: profiles/workstation)


def score(kind, model, test, batch_size, max_length) -> dict:
    probs = predict_probs(model, test, batch_size=batch_size, max_length=max_length)
    pred = predicted_ids(kind, probs)
    if kind == "sequence":
        return evaluate("sequence", pred.tolist(), gold_ids(kind, test).tolist())
    return evaluate("token", ids_to_tags(pred, model_labels(model)), [r["tags"] for r in test])


def guards_so_far(health_files, health_stages):
    """{stage: the guards fired by that self-training step and every step before it}."""
    fired, out = [], {}
    for path, stage in zip(health_files, health_stages):
        fired = fired + [{**g, "stage": stage} for g in read_json(path).get("guards", [])]
        out[stage] = fired
    return out


@exit_on_user_error
def main(sm):
    p = sm.params
    test = read_records(sm.input.test, input_field(p.kind))
    guards = guards_so_far(list(sm.input.health), p.health_stages)
    records = []
    for stage, model in zip(p.stages, sm.input.models):
        s = score(p.kind, model, test, p.runtime["inference_batch_size"], p.max_length)
        records.append({**p.meta, "stage": stage, "metric": s["metric"], "score": s["score"], "n": s["n"],
                        "details": {k: v for k, v in s.items() if k not in ("metric", "score", "n")},
                        "model": model, "guards": guards.get(stage, [])})
        log.info("%s %s: %s %.4f", p.meta["variant"], stage, s["metric"], s["score"])
    all_guards = guards[p.health_stages[-1]] if p.health_stages else []
    records.append({**records[-1], "stage": "final", "guards": all_guards})
    code = code_version()
    for rec in records:
        rec["test"] = sm.input.test
        rec["code"] = code
    write_json(sm.output.scores, records)


main(snakemake)  # noqa: F821

"""Snakemake script: evaluate every model of every variant of one (task, target, seed) on the target test set.

Each distinct model is scored once (variants share their fine-tuned model and first self-training steps).
Writes, per variant, a list of records {task, target, lang, domain, variant, seed, chain, stage, metric, score,
n, model, guards} (``stage`` "finetune", "round1-soft", ..., and "final" for the variant's last model) that the
tables read."""

from xlt.errors import exit_on_user_error
from xlt.gpus import pin_snakemake_job
from xlt.io import read_json, write_json
from xlt.metrics import evaluate
from xlt.runtime import code_version, read_records, start
from xlt.tasks import gold_ids, ids_to_tags, input_field, model_labels, predicted_ids
from xlt.train.inference import predict_probs

log = start(snakemake, "evaluate")  # noqa: F821
pin_snakemake_job(snakemake)  # noqa: F821  (one GPU per local job: profiles/workstation)


def score(kind, model, test, batch_size, max_length) -> dict:
    probs = predict_probs(model, test, batch_size=batch_size, max_length=max_length)
    pred = predicted_ids(kind, probs)
    if kind == "sequence":
        return evaluate("sequence", pred.tolist(), gold_ids(kind, test).tolist())
    return evaluate("token", ids_to_tags(pred, model_labels(model)), [r["tags"] for r in test])


def guards_so_far(health_files, health_stages):
    """{stage: the guards fired by that step and every step before it}; the fine-tuned model carries those of
    the BTF it started from (health stage "btf")."""
    fired, out = [], {}
    for path, stage in zip(health_files, health_stages):
        fired = fired + [{**g, "stage": stage} for g in read_json(path).get("guards", [])]
        out[stage] = fired
    out["finetune"] = out.get("btf", [])
    return out


def variant_records(variant, scores, test_file, code):
    guards = guards_so_far(variant["health"], variant["health_stages"])
    records = []
    for stage, model in zip(variant["stages"], variant["models"]):
        s = scores[model]
        records.append({**variant["meta"], "stage": stage, "metric": s["metric"], "score": s["score"], "n": s["n"],
                        "details": {k: v for k, v in s.items() if k not in ("metric", "score", "n")},
                        "model": model, "guards": guards.get(stage, [])})
    all_guards = guards[variant["health_stages"][-1]] if variant["health_stages"] else []
    records.append({**records[-1], "stage": "final", "guards": all_guards})
    for rec in records:
        rec["test"] = test_file
        rec["code"] = code
    return records


@exit_on_user_error
def main(sm):
    p = sm.params
    test = read_records(sm.input.test, input_field(p.kind))
    scores = {}
    for model in dict.fromkeys(m for v in p.variants for m in v["models"]):
        scores[model] = score(p.kind, model, test, p.runtime["inference_batch_size"], p.max_length)
        log.info("%s: %s %.4f", model, scores[model]["metric"], scores[model]["score"])
    code = code_version()
    for variant, out in zip(p.variants, sm.output.scores):
        write_json(out, variant_records(variant, scores, sm.input.test, code))


main(snakemake)  # noqa: F821

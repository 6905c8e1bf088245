"""Snakemake script: the scores of one variant, stage by stage, as records the report reads."""

from xlt.errors import exit_on_user_error
from xlt.io import read_json, write_json
from xlt.runtime import start

log = start(snakemake, "collect_variant_scores")  # noqa: F821


@exit_on_user_error
def main(sm):
    meta = dict(sm.params.meta)
    records = []
    for stage, path in zip(sm.params.stages, sm.input.evals):
        ev = read_json(path)
        records.append({**meta, "stage": stage, "metric": ev["metric"], "score": ev["score"], "n": ev["n"], "source": path})
    records.append({**records[-1], "stage": "final"})
    write_json(sm.output.scores, records)
    log.info("%s: %s", meta["variant"], [(r["stage"], r["score"]) for r in records])


main(snakemake)  # noqa: F821

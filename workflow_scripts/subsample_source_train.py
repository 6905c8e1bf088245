"""Snakemake script: a seeded random subset of a prepared training set (tasks.<task>.train_size)."""

from xlt.errors import exit_on_user_error
from xlt.io import read_jsonl, write_jsonl
from xlt.resample import sample_records
from xlt.runtime import start

log = start(snakemake, "subsample_source_train")  # noqa: F821


@exit_on_user_error
def main(sm):
    records = read_jsonl(sm.input.data)
    subset = sample_records(records, int(sm.params.size), seed=int(sm.params.seed))
    write_jsonl(sm.output.data, subset)
    log.info("%s: %d of %d records (seed %s)", sm.input.data, len(subset), len(records), sm.params.seed)


main(snakemake)  # noqa: F821

"""Snakemake script: wall and CPU time per task, seed and rule, from the jobs' benchmark files."""

from xlt.errors import exit_on_user_error
from xlt.report import write_table
from xlt.report.times import stage_times
from xlt.runtime import start

log = start(snakemake, "stage_times")  # noqa: F821


@exit_on_user_error
def main(sm):
    table = stage_times(sm.params.bench_dir)
    write_table(table, sm.output.tsv, float_format="%.1f")
    log.info("wrote %d rows to %s", len(table), sm.output.tsv)


main(snakemake)  # noqa: F821

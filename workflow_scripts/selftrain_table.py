"""Snakemake script: results/<task>_selftrain.tsv, the health of every BTF and self-training step (xlt.report)."""

from xlt.errors import exit_on_user_error
from xlt.report import write_table
from xlt.report.health import selftrain_table
from xlt.runtime import start

log = start(snakemake, "selftrain_table")  # noqa: F821


@exit_on_user_error
def main(sm):
    table = selftrain_table(sm.params.entries)
    write_table(table, sm.output.tsv, float_format="%.4g")
    flagged = table[table["guards"].astype(bool)] if len(table) else table
    log.info("%d BTF and self-training steps, %d with a guard fired", len(table), len(flagged))


main(snakemake)  # noqa: F821

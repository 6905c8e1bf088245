"""Snakemake script: the result tables (TSV) from the per-run evaluation JSON files.

input.results: evaluation JSON files; params.tables: {name: spec} (see xlt.report.build_table);
output: one named output per table name; log[0]: the log.
"""

import logging

from xlt.errors import UserError, exit_on_user_error
from xlt.report import build_table, load_results, write_table
from xlt.report.gains import components_without_gain
from xlt.runtime import alert, start


def make_tables(results, tables: dict, outputs: dict) -> None:
    """Write every table of ``tables`` to ``outputs[name]``."""
    missing = [name for name in tables if name not in outputs]
    if missing:
        raise UserError(f"tables.{missing[0]}: no output named {missing[0]!r} in the rule")
    df = load_results(results)
    logging.info("read %d evaluation results", len(df))
    for name, spec in tables.items():
        table = build_table(df, name, spec)
        write_table(table, outputs[name])
        logging.info("wrote %s (%d rows) to %s", name, len(table), outputs[name])
        if spec.get("kind") == "paired":
            for line in components_without_gain(table):
                alert(f"WARNING {spec.get('task', name)}: {line}")


@exit_on_user_error
def main(smk) -> None:
    outputs = {name: path for name, path in smk.output.items()}
    make_tables(list(smk.input.results), dict(smk.params.tables), outputs)


if "snakemake" in globals():
    start(snakemake, "make_tables")  # noqa: F821
    main(snakemake)  # noqa: F821

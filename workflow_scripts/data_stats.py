"""Snakemake script: ``results/data_stats.tsv``, one row per raw benchmark file.

``input``: the raw files (``.review`` or CoNLL), in the order of ``params.entries``: one dict per file
with ``task`` (``cls``, or ``ner``/``conll``), ``language``, ``domain`` (``-`` for CoNLL), ``split``
and, for CoNLL, ``encoding`` (default ``auto``). ``output.tsv``: the table.
"""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

import logging  # noqa: E402

from xlt.data.stats import stats_row_for_file, write_stats_tsv  # noqa: E402
from xlt.errors import UserError, exit_on_user_error  # noqa: E402

logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
log = logging.getLogger("data_stats")


@exit_on_user_error
def main(smk):
    paths, entries = list(smk.input), list(smk.params.entries)
    if len(paths) != len(entries):
        raise UserError(f"data_stats: {len(paths)} input files but {len(entries)} entries in params.entries")
    rows = []
    for path, entry in zip(paths, entries):
        row = stats_row_for_file(
            task=entry["task"],
            language=entry["language"],
            domain=entry.get("domain") or "-",
            split=entry["split"],
            path=path,
            encoding=entry.get("encoding") or "auto",
        )
        log.info(
            "%s %s %s %s: %d examples (%s)",
            row["task"],
            row["language"],
            row["domain"],
            row["split"],
            row["examples"],
            path,
        )
        rows.append(row)
    write_stats_tsv(rows, smk.output.tsv)


main(snakemake)  # noqa: F821

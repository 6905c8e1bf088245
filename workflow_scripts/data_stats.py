"""Snakemake script: ``results/data_stats.tsv``, one row per (task, language, domain, split).

``params.entries``: one dict per raw file, ``{"task"`` (``cls``, or ``conll``/``ner``), ``"lang"``,
``"domain"`` (None for CoNLL), ``"split"``, ``"path"``, ``"encoding"}`` (CoNLL: ``auto``, ``utf-8``
or ``latin-1``). The files of a CLS unlabeled pool make one row. Entries without ``"path"`` take
the input files in order. ``input``: the raw files (declared so that Snakemake tracks them);
``output.tsv``: the table. ``params.conll_source``: the NER source language; a NER target whose test file
and the source training file differ in entity types gets one warning line (log and terminal).
"""


from xlt.data.stats import entity_type_mismatches, stats_rows, write_stats_tsv
from xlt.errors import UserError, exit_on_user_error, warn
from xlt.runtime import start

log = start(snakemake, "data_stats")  # noqa: F821


@exit_on_user_error
def main(smk):
    entries = [dict(entry) for entry in smk.params.entries]
    if any("path" not in entry for entry in entries):
        paths = list(smk.input)
        if len(paths) != len(entries):
            raise UserError(f"data_stats: {len(paths)} input files but {len(entries)} entries in params.entries")
        for entry, path in zip(entries, paths):
            entry.setdefault("path", path)
    rows = stats_rows(entries)
    for row in rows:
        log.info(
            "%s %s %s %s: %d examples (%s)",
            row["task"],
            row["language"],
            row["domain"],
            row["split"],
            row["examples"],
            row["source"],
        )
    for line in entity_type_mismatches(rows, smk.params.get("conll_source", None) or "en"):
        warn(log, line)
    write_stats_tsv(rows, smk.output.tsv)


main(snakemake)  # noqa: F821

"""Snakemake script: the entities of the English training set (seeds of the Wikipedia task corpus).

input.train: JSONL records {"tokens", "tags" (IOB2)}; params.types, params.min_frequency,
params.max_entities; output.entities: TSV surface, type, frequency (most frequent first); log[0].
"""

import logging

from xlt.errors import exit_on_user_error
from xlt.io import read_jsonl
from xlt.wiki.entities import extract_entities, write_entities_tsv
from xlt.runtime import start


@exit_on_user_error
def main(smk) -> None:
    records = read_jsonl(smk.input.train)
    entities = extract_entities(
        records,
        types=list(smk.params.types),
        min_frequency=int(smk.params.min_frequency),
        max_entities=smk.params.max_entities,
        source=str(smk.input.train),
    )
    n = write_entities_tsv(smk.output.entities, entities)
    by_type = {}
    for e in entities:
        by_type[e.type] = by_type.get(e.type, 0) + 1
    logging.info("%d sentences -> %d entities %s", len(records), n, by_type)


if "snakemake" in globals():
    start(snakemake, "extract_entities")  # noqa: F821
    main(snakemake)  # noqa: F821

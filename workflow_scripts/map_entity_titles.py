"""Snakemake script: English entity -> English Wikipedia title -> target-language title.

input.entities: TSV from extract_entities; input.resources: the files the mapping reads
(xlt.wiki.mapping.mapping_resources); params.lang: target language; params.wiki: what decides the mapping in
the `wikipedia` config section (wikipedia.mapping picks the backend(s)); params.runtime["api"]: how the online
API is asked (xlt.wiki.mapping.split_mapping_config); output.titles: TSV surface, type, frequency,
en_title, target_title of the mapped entities; output.stats: TSV of the mapping's statistics (entities,
unmapped, malformed langlinks rows skipped, input files cut off, ...), read by the harvest; log[0].
"""

import logging

from xlt.errors import exit_on_user_error
from xlt.wiki.entities import read_entities_tsv
from xlt.wiki.corpus_stats import write_stats_tsv
from xlt.wiki.mapping import join_mapping_config, map_entities, write_titles_tsv
from xlt.runtime import start


@exit_on_user_error
def main(smk) -> None:
    entities = read_entities_tsv(smk.input.entities)
    wiki = join_mapping_config(dict(smk.params.wiki), smk.params.runtime["api"])
    rows, stats = map_entities(entities, str(smk.params.lang), wiki)
    write_titles_tsv(smk.output.titles, rows)
    write_stats_tsv(smk.output.stats, stats)
    for key, value in stats.items():
        logging.info("stat\t%s\t%s", key, value)
    logging.info("%d of %d entities mapped to %s titles", len(rows), len(entities), smk.params.lang)


if "snakemake" in globals():
    start(snakemake, "map_entity_titles")  # noqa: F821
    main(snakemake)  # noqa: F821

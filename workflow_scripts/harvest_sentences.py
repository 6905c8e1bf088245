"""Snakemake script: target-language Wikipedia sentences that mention the mapped entities.

input.titles: TSV from map_entity_titles; input.dumps: target-language pages-articles dumps;
params.lang, params.max_sentences, params.per_entity_cap, params.min_tokens, params.max_tokens,
params.seed; threads: worker processes; output.corpus: JSONL {"text", "tokens", "entity"}; output.stats: TSV; log[0].
"""

import logging
import sys

from xlt.errors import exit_on_user_error
from xlt.io import write_jsonl
from xlt.wiki.harvest import harvest_sentences, write_stats_tsv
from xlt.wiki.mapping import read_titles_tsv


@exit_on_user_error
def main(smk) -> None:
    rows = read_titles_tsv(smk.input.titles)
    result = harvest_sentences(
        list(smk.input.dumps),
        rows,
        str(smk.params.lang),
        max_sentences=int(smk.params.max_sentences),
        per_entity_cap=int(smk.params.per_entity_cap),
        min_tokens=int(smk.params.min_tokens),
        max_tokens=None if smk.params.max_tokens is None else int(smk.params.max_tokens),
        seed=int(smk.params.seed),
        workers=max(1, int(getattr(smk, "threads", 1))),
    )
    write_jsonl(smk.output.corpus, result.records)
    write_stats_tsv(smk.output.stats, result.stats, result.per_type)
    logging.info("kept %d sentences: %s", len(result.records), result.stats)


if "snakemake" in globals():
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    main(snakemake)  # noqa: F821

"""Snakemake script: target-language Wikipedia sentences that mention the mapped entities.

input.titles: TSV from map_entity_titles; input.mapping_stats: its statistics TSV; input.dumps: target-language
pages-articles dumps; params.lang, params.mapping, params.max_sentences, params.per_entity_cap,
params.min_tokens, params.max_tokens, params.min_sentences, params.substring_scripts,
params.runtime["progress_seconds"], params.seed; threads: worker processes; output.corpus: JSONL
{"text", "tokens", "entity"}; output.stats: TSV; log[0].

Fewer than params.min_sentences sentences: one error line (language, mapping, counts), no output. Dumps cut
off, malformed langlinks rows and unmapped entities: counted in output.stats and one warning line on the
terminal.
"""

import logging

from xlt.errors import exit_on_user_error, warn
from xlt.io import write_jsonl
from xlt.wiki.corpus_stats import check_corpus_size, corpus_warning, read_stats_tsv, write_stats_tsv
from xlt.wiki.harvest import harvest_sentences
from xlt.wiki.mapping import read_titles_tsv
from xlt.runtime import start

log = logging.getLogger("harvest_sentences")

# mapping statistics (map_entity_titles) carried into harvest_stats.tsv, under these names
MAPPING_STATS = {
    "entities": "mapping_entities",
    "unmapped": "entities_unmapped",
    "langlinks_rows_skipped": "langlinks_rows_skipped",
    "dumps_truncated": "mapping_dumps_truncated",
}


@exit_on_user_error
def main(smk) -> None:
    rows = read_titles_tsv(smk.input.titles)
    mapping_stats = read_stats_tsv(smk.input.mapping_stats)
    lang = str(smk.params.lang)
    result = harvest_sentences(
        list(smk.input.dumps),
        rows,
        lang,
        max_sentences=int(smk.params.max_sentences),
        per_entity_cap=int(smk.params.per_entity_cap),
        min_tokens=int(smk.params.min_tokens),
        max_tokens=None if smk.params.max_tokens is None else int(smk.params.max_tokens),
        seed=int(smk.params.seed),
        workers=max(1, int(getattr(smk, "threads", 1))),
        substring_scripts=list(smk.params.substring_scripts),
        progress_seconds=float(smk.params.runtime["progress_seconds"]),
    )
    stats = dict(result.stats)
    stats.update({new: mapping_stats.get(old, 0) for old, new in MAPPING_STATS.items()})
    check_corpus_size(stats, int(smk.params.min_sentences), lang=lang, mapping=smk.params.mapping)
    write_jsonl(smk.output.corpus, result.records)
    write_stats_tsv(smk.output.stats, stats, result.per_type)
    logging.info("kept %d sentences: %s", len(result.records), stats)
    warning = corpus_warning(stats, lang=lang)
    if warning:
        warn(log, f"{warning}; counts in {smk.output.stats}")


if "snakemake" in globals():
    start(snakemake, "harvest_entity_sentences")  # noqa: F821
    main(snakemake)  # noqa: F821

"""Snakemake script: random Wikipedia sentences for the MBERT-wiki ablation, as many as the task corpus.

input.dumps: target-language pages-articles dumps; input.reference: a JSONL whose line count sets the
size; params.lang, params.min_tokens, params.max_tokens, params.min_sentences, params.runtime["progress_seconds"],
params.seed; output.corpus: JSONL {"text", "tokens"}; log[0].

Fewer sentences than min(params.min_sentences, the size requested): one error line, no output. Fewer than
requested, or dumps cut off: one warning line on the terminal.
"""

import logging

from xlt.errors import UserError, exit_on_user_error, warn
from xlt.io import write_jsonl
from xlt.wiki.corpus_stats import check_corpus_size
from xlt.wiki.random_sample import sample_random_sentences
from xlt.runtime import start

log = logging.getLogger("sample_random_sentences")


def count_lines(path) -> int:
    try:
        with open(path, "rb") as fh:
            return sum(1 for line in fh if line.strip())
    except FileNotFoundError:
        raise UserError(f"{path}: file not found") from None


@exit_on_user_error
def main(smk) -> None:
    size = count_lines(smk.input.reference)
    lang = str(smk.params.lang)
    result = sample_random_sentences(
        list(smk.input.dumps),
        lang,
        size,
        min_tokens=int(smk.params.min_tokens),
        max_tokens=None if smk.params.max_tokens is None else int(smk.params.max_tokens),
        seed=int(smk.params.seed),
        progress_seconds=float(smk.params.runtime["progress_seconds"]),
    )
    stats = result.stats
    check_corpus_size(stats, min(int(smk.params.min_sentences), size), lang=lang, mapping=None, what="random sample")
    write_jsonl(smk.output.corpus, result.records)
    logging.info("sampled %d of %d requested sentences: %s", len(result.records), size, stats)
    problems = []
    if len(result.records) < size:
        problems.append(f"only {len(result.records)} eligible sentences, fewer than the {size} requested")
    if stats["dumps_truncated"]:
        problems.append(f"{stats['dumps_truncated']} dump(s) cut off (kept what came before the cut)")
    if problems:
        warn(log, f"random sample {lang}: " + ", ".join(problems))


if "snakemake" in globals():
    start(snakemake, "sample_random_wikipedia")  # noqa: F821
    main(snakemake)  # noqa: F821

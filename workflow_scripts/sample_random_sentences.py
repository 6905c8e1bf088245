"""Snakemake script: random Wikipedia sentences for the MBERT-wiki ablation, as many as the task corpus.

input.dumps: target-language pages-articles dumps; input.reference: a JSONL whose line count sets the
size; params.lang, params.min_tokens, params.max_tokens, params.seed; output.corpus: JSONL
{"text", "tokens"}; log[0].
"""

import logging
import sys

from xlt.errors import UserError, exit_on_user_error
from xlt.io import write_jsonl
from xlt.wiki.harvest import sample_random_sentences


def count_lines(path) -> int:
    try:
        with open(path, "rb") as fh:
            return sum(1 for line in fh if line.strip())
    except FileNotFoundError:
        raise UserError(f"{path}: file not found") from None


@exit_on_user_error
def main(smk) -> None:
    size = count_lines(smk.input.reference)
    result = sample_random_sentences(
        list(smk.input.dumps),
        str(smk.params.lang),
        size,
        min_tokens=int(smk.params.min_tokens),
        max_tokens=None if smk.params.max_tokens is None else int(smk.params.max_tokens),
        seed=int(smk.params.seed),
    )
    write_jsonl(smk.output.corpus, result.records)
    logging.info("sampled %d of %d requested sentences: %s", len(result.records), size, result.stats)


if "snakemake" in globals():
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    main(snakemake)  # noqa: F821

"""Snakemake script: mix source and target unlabeled text for BTF, balanced between the two languages.

``params.heldout`` distinct target texts (at most a tenth of them, seeded) are kept out of the mixture and written
to ``output.heldout``: BTF measures its masked-LM loss on them before and after training."""


from xlt.errors import exit_on_user_error
from xlt.io import write_jsonl
from xlt.resample import balance_languages, hold_out_texts
from xlt.runtime import read_records, start, texts_of
from xlt.tasks import input_field

log = start(snakemake, "balance_languages")  # noqa: F821


@exit_on_user_error
def main(sm):
    p = sm.params
    field = input_field("sequence" if sm.wildcards.task == "cls" else "token")
    source = texts_of(read_records(sm.input.source, field))
    target = texts_of(read_records(sm.input.target, field))
    target, held = hold_out_texts(target, p.heldout, seed=p.seed)
    write_jsonl(sm.output.heldout, [{"text": t} for t in held])
    mixed = balance_languages(
        source, target, seed=p.seed, mode=p.mode, source_lang=p.source_language, target_lang=p.target_language
    )
    n = write_jsonl(sm.output.corpus, mixed)
    log.info("source %d + target %d texts -> %d balanced texts (%s); %d target texts held out", len(source),
             len(target), n, p.mode, len(held))


main(snakemake)  # noqa: F821

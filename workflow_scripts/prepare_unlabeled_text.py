"""Snakemake script: the task corpus of a target from unlabeled text given by path (``tasks.<task>.unlabeled``).

``input.files``: the files (plain text, JSON lines, CoNLL columns, Webis XML; :mod:`xlt.data.unlabeled`);
``input.test``: the target's prepared test set, whose items are left out; ``params.spec``: format, field,
encoding and ``size`` (records drawn with ``params.seed``; None: all). ``output.corpus``: ``{"text"}`` or
``{"tokens"}`` records (plus ``oracle_label`` / ``oracle_tags`` where the files carry gold labels, for the
oracle diagnostic only); ``output.info``: counts, formats and the files' SHA-256.
"""

from xlt.data.unlabeled import read_unlabeled, sample_corpus
from xlt.errors import UserError, exit_on_user_error
from xlt.io import provenance, sha256_file, write_json, write_jsonl
from xlt.runtime import read_records, start

log = start(snakemake, "prepare_unlabeled_text")  # noqa: F821


@exit_on_user_error
def main(sm):
    p, w = sm.params, sm.wildcards
    kind = p.kind
    spec = dict(p.spec)
    files = list(sm.input.files)
    records, read = read_unlabeled(files, kind, input_format=spec["format"], field=spec.get("field"),
                                   encoding=spec.get("encoding") or "auto")
    test = read_records(sm.input.test, "text" if kind == "sequence" else "tokens")
    try:
        corpus, sampled = sample_corpus(records, kind, size=spec.get("size"), seed=int(p.seed), exclude=test)
    except UserError as err:
        raise UserError(f"tasks.{w.task}.unlabeled ({w.target}): {err}") from None
    write_jsonl(sm.output.corpus, corpus)
    info = {"task": w.task, "target": w.target, "files": files, "sha256": [sha256_file(f) for f in files],
            **read, **sampled, "seed": int(p.seed), "provenance": provenance()}
    write_json(sm.output.info, info)
    log.info("%s %s: %d records read from %s, %d repeats, %d test items left out, %d kept (%d with a gold label "
             "for the oracle diagnostic)", w.task, w.target, read["read"], ", ".join(files), read["repeats"],
             sampled["removed_test_items"], len(corpus), read["oracle"])


main(snakemake)  # noqa: F821

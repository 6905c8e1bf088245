"""Snakemake script: one Webis-CLS-10 split as JSON lines.

``params.kind == "labelled"``: ``input.review`` (a train or test ``.review`` file) becomes
``output.data`` with ``{"text", "label"}`` (0 negative, 1 positive; three-star reviews dropped).

``params.kind == "unlabeled"``: ``input.reviews`` (the language-domain ``unlabeled.review``, or the
language's train files when it is absent and ``params.fallback`` allows it) is down-sampled to
``params.size`` texts with ``params.seed``; ``output.data`` holds ``{"text"}``. For the train
fallback, texts that are also test reviews are left out: those of ``input.exclude`` if given, else of
the ``test.review`` beside each train file.

``output.info`` records what was read, dropped and sampled, with the inputs' SHA-256.
"""


from xlt.data.cls import fallback_exclusions, is_fallback_pool, load_cls_split, sample_unlabeled
from xlt.errors import UserError, exit_on_user_error
from xlt.io import provenance, sha256_file, write_json, write_jsonl
from xlt.runtime import start

log = start(snakemake, "prepare_cls")  # noqa: F821


@exit_on_user_error
def main(smk):
    kind = smk.params.kind
    if kind == "labelled":
        sources = [smk.input.review]
        records, info = load_cls_split(smk.input.review)
        log.info(
            "%s: %d reviews, labels %s, %d three-star dropped",
            smk.input.review,
            info["examples"],
            info["label_counts"],
            info["dropped_neutral"],
        )
    elif kind == "unlabeled":
        sources = list(smk.input.reviews)
        used_fallback = is_fallback_pool(sources)
        if used_fallback and not smk.params.get("fallback", True):
            raise UserError(
                f"data.cls.unlabeled_fallback is false but the unlabeled pool is {', '.join(sources)} "
                "(expected unlabeled.review files)"
            )
        exclude = list(smk.input.get("exclude", None) or []) or (fallback_exclusions(sources) if used_fallback else [])
        records, info = sample_unlabeled(
            sources,
            size=int(smk.params.size),
            seed=int(smk.params.seed),
            used_fallback=used_fallback,
            exclude_paths=exclude,
        )
        sources += [str(p) for p in exclude]
        log.info(
            "unlabeled pool %s: %d texts, %d sampled (seed %s)",
            info["pool"],
            info["pool_size"],
            info["examples"],
            info["seed"],
        )
    else:
        raise UserError(f"params.kind {kind!r}: expected 'labelled' or 'unlabeled'")
    write_jsonl(smk.output.data, records)
    info["sha256"] = {str(p): sha256_file(p) for p in sources}
    write_json(smk.output.info, provenance(step="prepare_cls", kind=kind, **info))


main(snakemake)  # noqa: F821

"""Snakemake script: write the synthetic demo benchmark (:mod:`xlt.synthetic`) under ``params.out_root``.

Params: ``out_root``, ``seed``, ``cls_languages``, ``cls_domains``, ``cls_sizes`` (train/test/unlabeled),
``conll_languages``, ``conll_sizes`` (train/dev/test), ``wiki_pages`` (language -> random pages).
``output``: exactly the files of :func:`xlt.synthetic.synthetic_files` under ``out_root``; a rule whose
output list differs is reported instead of leaving files Snakemake does not know about.
"""


import os

from xlt.errors import UserError, exit_on_user_error
from xlt.synthetic import make_synthetic_benchmark, synthetic_files
from xlt.runtime import start

log = start(snakemake, "make_synthetic_data")  # noqa: F821


@exit_on_user_error
def main(smk):
    p = smk.params
    out_root = str(p.out_root)
    expected = {
        os.path.normpath(os.path.join(out_root, rel))
        for rel in synthetic_files(p.cls_languages, p.cls_domains, p.conll_languages)
    }
    declared = {os.path.normpath(str(path)) for path in smk.output}
    if expected != declared:
        missing = sorted(expected - declared)[:3]
        extra = sorted(declared - expected)[:3]
        raise UserError(
            f"rule make_synthetic_data: output must equal synthetic_files(...) under {out_root} "
            f"(not declared: {missing}; not generated: {extra})"
        )
    written = make_synthetic_benchmark(
        out_root,
        seed=p.seed,
        cls_languages=list(p.cls_languages),
        cls_domains=list(p.cls_domains),
        cls_sizes=dict(p.cls_sizes),
        conll_languages=list(p.conll_languages),
        conll_sizes=dict(p.conll_sizes),
        wiki_pages=dict(p.wiki_pages),
    )
    log.info(
        "synthetic benchmark (seed %s) under %s: %d files; CLS %s %s %s, CoNLL %s %s, Wikipedia random pages %s",
        p.seed,
        out_root,
        len(written),
        list(p.cls_languages),
        list(p.cls_domains),
        dict(p.cls_sizes),
        list(p.conll_languages),
        dict(p.conll_sizes),
        dict(p.wiki_pages),
    )


main(snakemake)  # noqa: F821

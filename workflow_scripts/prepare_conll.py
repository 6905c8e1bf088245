"""Snakemake script: one NER split as JSON lines ``{"tokens", "tags"}`` with IOB2 tags.

``input.conll``: the file (CoNLL / WikiANN / PAN-X columns, or a ``datasets`` Parquet / Arrow file);
``params.encoding``: ``auto``, ``utf-8`` or ``latin-1``; ``wildcards.lang`` (where the rule has it): the
configured language, which a PAN-X ``lang:`` prefix must match;
``output.data``: the sentences (``-DOCSTART-`` lines are not sentences); ``output.info``: encoding,
tag scheme, sentence and ``-DOCSTART-`` counts, repaired tags, entities by type, the input's SHA-256.
"""


from xlt.data.conll import read_ner_file
from xlt.errors import exit_on_user_error
from xlt.io import provenance, sha256_file, write_json, write_jsonl
from xlt.runtime import start

log = start(snakemake, "prepare_conll")  # noqa: F821


@exit_on_user_error
def main(smk):
    path = smk.input.conll
    records, info = read_ner_file(
        path,
        encoding=smk.params.get("encoding", None) or "auto",
        scheme=smk.params.get("scheme", None) or "auto",
        language=smk.wildcards.get("lang", None),
    )
    if info["language_prefix"]:
        log.info("%s: language prefix '%s:' stripped from every token", path, info["language_prefix"])
    log.info(
        "%s: %d sentences (+%d -DOCSTART- = %d), %s, %s, %d tags converted, %d repaired, entities %s",
        path,
        info["sentences"],
        info["docstarts"],
        info["sentences_with_docstart"],
        info["encoding"],
        info["scheme"],
        info["converted"],
        info["repaired"],
        info["entities"],
    )
    write_jsonl(smk.output.data, records)
    info["sha256"] = sha256_file(path)
    write_json(smk.output.info, provenance(step="prepare_conll", **info))


main(snakemake)  # noqa: F821

"""NER splits in the Hugging Face ``datasets`` form: WikiANN (``wikiann``) and XTREME PAN-X (``xtreme``,
``PAN-X.<lang>``), from the hub or from their Arrow / Parquet files, read into the records of
:func:`xlt.data.conll.read_conll` (``{"tokens", "tags"}``, IOB2) with the same ``info``.

A split has a ``tokens`` column (lists of words) and a ``ner_tags`` (or ``tags``) column: per word either
an index into the column's ``ClassLabel`` names (how the hub stores WikiANN and PAN-X) or the tag itself.
Tokens written ``lang:token`` are stripped as in the raw PAN-X files; a ``langs`` column (PAN-X), where
present, must name the configured language on every row. Errors name ``file:row`` (rows counted from 1).

:func:`download_hub_split` fetches one split with :func:`datasets.load_dataset` and writes it as Parquet
(the workflow's download rule; training jobs then read the file offline).
"""

from __future__ import annotations

from pathlib import Path

from xlt.data.conll import _TAG, ENTITY_TYPES, _same_language, split_records, strip_language_prefixes
from xlt.errors import UserError


SUFFIXES = (".parquet", ".arrow")
TAG_COLUMNS = ("ner_tags", "tags")
# The workflow's split names and the hub's.
HUB_SPLITS = {"train": "train", "dev": "validation", "test": "test"}


def hub_spec(config: dict, lang: str) -> dict:
    """``data.conll.files.<lang>.hub`` (``{path, name, revision}``): the split download_datasets_ner fetches."""
    hub = (config["data"]["conll"]["files"].get(lang) or {}).get("hub")
    if not hub:
        raise UserError(f"config: data.conll.files.{lang}.hub is not set (resources/data/hf/{lang}/ is its download)")
    return {"name": None, "revision": None, **hub}


def is_datasets_file(path) -> bool:
    """True for a ``.parquet`` or ``.arrow`` file (read with ``datasets``), False for CoNLL columns."""
    return Path(path).suffix.lower() in SUFFIXES


def load_table(path):
    """A ``datasets.Dataset`` of one Parquet or Arrow file, without touching the ``datasets`` cache."""
    import datasets

    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: file not found (expected a Parquet or Arrow file of a datasets NER split)")
    try:
        if path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq
            from datasets.table import InMemoryTable

            return datasets.Dataset(InMemoryTable(pq.read_table(path)))
        return datasets.Dataset.from_file(str(path))
    except UserError:
        raise
    except Exception as err:  # pyarrow raises several types for a file that is not Parquet / Arrow
        raise UserError(f"{path}: not a readable {path.suffix[1:]} file ({type(err).__name__}: {err})") from None


def _tag_names(ds, column: str, path) -> list[str] | None:
    """The ClassLabel names of a tag column (None when it holds strings)."""
    feature = ds.features[column]
    inner = getattr(feature, "feature", None)
    names = getattr(inner, "names", None)
    if names:
        return list(names)
    dtype = getattr(inner, "dtype", None)
    if dtype == "string":
        return None
    raise UserError(f"{path}: column {column!r} holds {feature} (expected lists of tags, or of ClassLabel indices)")


def read_datasets_ner(path, language: str | None = None) -> tuple[list[dict], dict]:
    """Sentences of a ``datasets`` NER split (Parquet or Arrow file) as IOB2 records, and what was read."""
    path = Path(path)
    ds = load_table(path)
    columns = list(ds.column_names)
    tag_column = next((c for c in TAG_COLUMNS if c in columns), None)
    if "tokens" not in columns or tag_column is None:
        raise UserError(f"{path}: columns {columns}; expected 'tokens' and 'ner_tags' (WikiANN / PAN-X form)")
    names = _tag_names(ds, tag_column, path)
    sentences = []
    langs = ds["langs"] if "langs" in columns else None
    for row, (tokens, tags) in enumerate(zip(ds["tokens"], ds[tag_column]), 1):
        if len(tokens) != len(tags):
            raise UserError(f"{path}:{row}: {len(tokens)} tokens but {len(tags)} tags")
        if not tokens:
            continue
        if names is not None:
            try:
                tags = [names[t] for t in tags]
            except (IndexError, TypeError):
                raise UserError(f"{path}:{row}: tag index out of range of {names}") from None
        for tag in tags:
            if not _TAG.match(str(tag)):
                raise UserError(f"{path}:{row}: unknown tag {tag!r}, expected O or B-/I- with one of "
                                f"{', '.join(ENTITY_TYPES)}")
        if language is not None and langs is not None:
            bad = next((code for code in langs[row - 1] if not _same_language(code, language)), None)
            if bad is not None:
                raise UserError(f"{path}:{row}: langs says {bad!r}, but the file is configured for language "
                                f"{language}")
        sentences.append((list(tokens), list(tags), [row] * len(tokens)))
    if not sentences:
        raise UserError(f"{path}: no sentences (empty split)")
    prefix = strip_language_prefixes(path, sentences, language)
    return split_records(path, sentences, scheme="auto", encoding=path.suffix.lower()[1:], columns=columns,
                         docstarts=0, prefix=prefix)


def download_hub_split(path: str, name: str | None, split: str, out, revision: str | None = None) -> int:
    """``datasets.load_dataset(path, name, split=...)`` written to ``out`` as Parquet; the number of rows.

    ``split`` is the workflow's (train, dev, test; dev is the hub's ``validation``)."""
    import datasets

    if split not in HUB_SPLITS:
        raise UserError(f"split {split!r}: expected one of {', '.join(HUB_SPLITS)}")
    ds = datasets.load_dataset(path, name, split=HUB_SPLITS[split], revision=revision)
    missing = [c for c in ("tokens",) if c not in ds.column_names]
    if missing or not any(c in ds.column_names for c in TAG_COLUMNS):
        raise UserError(f"datasets {path} {name} {split}: columns {ds.column_names}; expected tokens and ner_tags")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    ds.to_parquet(str(out))
    return len(ds)

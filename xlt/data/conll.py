"""CoNLL-2002 (Spanish, Dutch) and CoNLL-2003 (English, German) NER files, read as distributed.

One token per line, whitespace-separated columns (2 to 5 in the files in circulation: ``word NER``,
``word POS NER``, ``word POS chunk NER``, ``word lemma POS chunk NER``), the entity tag in the last
column, a blank line between sentences and ``-DOCSTART-`` lines between articles. A ``-DOCSTART-``
line is not a sentence; it ends the one before it (Dutch files put it directly above the next
sentence, ``-DOCSTART- -DOCSTART- O``, with no blank line). Its count is kept: the paper's Table 2
counts CoNLL-2003 sentences with those lines included.

Tags are normalised to IOB2, the scheme the paper trains with (Section 4.2: the first token of an
entity is ``B-``, the others ``I-``). CoNLL-2003 is IOB1 (``I-`` starts an entity, ``B-`` only
separates two adjacent entities of one type); CoNLL-2002 is IOB2. The scheme is detected per file
from which prefix opens entities; an ``I-`` that opens an entity in an IOB2 file is an annotation slip
(``esp.testb`` has one) and is repaired to ``B-`` with a warning, as conlleval and seqeval read it.

Encoding: ``"utf-8"``, ``"latin-1"`` (the original German files) or ``"auto"``: UTF-8 if the whole
file decodes as UTF-8, else latin-1.

WikiANN / XTREME PAN-X raw files are the same columns, tab-separated, with every token written
``lang:token`` (``de:Katja<TAB>B-PER``). A file whose first sentence has such a prefix on every token is a
prefixed file: the prefix is stripped from every token, and must be the configured language's on every
line (:func:`strip_language_prefixes`). A line with a tab is split on tabs only, so a token may be any
text without a tab (character-per-token languages have tokens such as a full-width space).
"""

from __future__ import annotations

import codecs
import logging
import re
from pathlib import Path

from xlt.errors import UserError

log = logging.getLogger(__name__)

ENTITY_TYPES = ("PER", "ORG", "LOC", "MISC")
LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
DOCSTART = "-DOCSTART-"
ENCODINGS = ("auto", "utf-8", "latin-1")
SCHEMES = ("auto", "iob1", "iob2")
MAX_WARNINGS = 10

_TAG = re.compile(r"^(?:O|[BI]-(?:%s))$" % "|".join(ENTITY_TYPES))
# A WikiANN / PAN-X token: ``<language code>:<token>``.
LANGUAGE_PREFIX = re.compile(r"^([a-z]{2,3}(?:-[A-Za-z0-9]+)?):(.+)$", re.DOTALL)

CONLL2003_HINT = (
    "CoNLL-2003 is licensed and cannot be downloaded by the workflow: obtain the annotations from "
    "https://www.clips.uantwerpen.be/conll2003/ner/ and build the files with the Reuters RCV1 corpus "
    "(licensed by NIST/Reuters for research use), then set data.conll.files.<lang>.<split>"
)


def normalise_encoding(encoding: str) -> str:
    """``"auto"``, ``"utf-8"`` or ``"latin-1"`` from any spelling Python's codecs accept."""
    if str(encoding).strip().lower() == "auto":
        return "auto"
    try:
        name = codecs.lookup(str(encoding)).name
    except LookupError:
        raise UserError(f"encoding {encoding!r}: expected auto, utf-8 or latin-1") from None
    if name == "utf-8":
        return "utf-8"
    if name in ("latin-1", "iso8859-1"):
        return "latin-1"
    raise UserError(f"encoding {encoding!r}: expected auto, utf-8 or latin-1")


def decode(raw: bytes, path, encoding: str = "auto") -> tuple[str, str]:
    """The file's text and the encoding used; an undecodable byte names its line."""
    encoding = normalise_encoding(encoding)
    if raw.startswith(codecs.BOM_UTF8) and encoding != "latin-1":
        raw = raw[len(codecs.BOM_UTF8) :]
    if encoding in ("auto", "utf-8"):
        try:
            return raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as err:
            if encoding == "utf-8":
                line = raw.count(b"\n", 0, err.start) + 1
                column = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
                raise UserError(
                    f"{path}:{line}: byte 0x{raw[err.start]:02x} at column {column} is not UTF-8 "
                    "(expected UTF-8 as configured; set the encoding to latin-1 or auto for ISO-8859-1 files)"
                ) from None
    return raw.decode("latin-1"), "latin-1"


def split_fields(line: str) -> list[str]:
    """The columns of one line: split on tabs when the line has one (WikiANN / PAN-X), else on whitespace.

    Tab-separated fields lose surrounding ASCII spaces unless they are nothing else (a token may be a space);
    a trailing tab adds no column. A line of whitespace only has no fields (a sentence boundary)."""
    if "\t" not in line:
        return line.split()
    if not line.strip():
        return []
    fields = [f.strip(" \r") or f for f in line.rstrip("\r\n").split("\t")]
    while fields and fields[-1] == "":
        fields.pop()
    return fields


def _same_language(a: str, b: str) -> bool:
    """Language codes compared case-insensitively, Japanese ``jp`` as ``ja``."""
    a, b = a.lower(), b.lower()
    return {"jp": "ja"}.get(a, a) == {"jp": "ja"}.get(b, b)


def strip_language_prefixes(path, sentences, language: str | None = None) -> str | None:
    """Strip WikiANN / PAN-X ``lang:`` prefixes in place; return the file's language code (None: no prefixes).

    ``sentences`` are ``(tokens, tags, lines)`` as read. The file is prefixed when every token of its first
    sentence carries one and the same prefix; then every token of the file must carry it, and it must be
    ``language`` when one is given (``jp`` and ``ja`` are the same). Anything else is a :class:`UserError`
    naming ``file:line``.
    """
    if not sentences:
        return None
    first_tokens, _, first_lines = sentences[0]
    found = [LANGUAGE_PREFIX.match(tok) for tok in first_tokens]
    if not all(found) or len({m.group(1) for m in found}) != 1:
        return None
    code = found[0].group(1)
    if language is not None and not _same_language(code, language):
        raise UserError(
            f"{path}:{first_lines[0]}: token {first_tokens[0]!r} has the language prefix '{code}:', but the file "
            f"is configured for language {language} (expected '{language}:' on every token, or a file of {code})"
        )
    for tokens, _, lines in sentences:
        for i, tok in enumerate(tokens):
            m = LANGUAGE_PREFIX.match(tok)
            if m is None or m.group(1) != code:
                what = "no language prefix" if m is None else f"the language prefix '{m.group(1)}:'"
                raise UserError(
                    f"{path}:{lines[i]}: token {tok!r} has {what}, expected '{code}:' like every token of line "
                    f"{first_lines[0]}'s sentence (a WikiANN / PAN-X file writes every token as {code}:<token>)"
                )
            tokens[i] = m.group(2)
    return code


def _split_tag(tag: str) -> tuple[str, str | None]:
    return (tag, None) if tag == "O" else (tag[0], tag[2:])


def _entity_openers(sentences) -> tuple[int, int]:
    """How many entities open with ``B-`` and how many with ``I-`` (after ``O``, another type, or start)."""
    b_open = i_open = 0
    for _, tags, _ in sentences:
        prev_type = None
        for tag in tags:
            prefix, etype = _split_tag(tag)
            if etype is not None and etype != prev_type:
                if prefix == "B":
                    b_open += 1
                else:
                    i_open += 1
            prev_type = etype
    return b_open, i_open


def detect_scheme(sentences) -> str:
    """``"iob2"`` when ``B-`` opens most entities, else ``"iob1"`` (every ``I-``-opened entity)."""
    b_open, i_open = _entity_openers(sentences)
    return "iob1" if i_open > b_open else "iob2"


def to_iob2(tags: list[str]) -> tuple[list[str], list[int]]:
    """IOB2 tags and the positions where an ``I-`` opening an entity became ``B-``."""
    out, changed, prev_type = [], [], None
    for i, tag in enumerate(tags):
        prefix, etype = _split_tag(tag)
        if prefix == "I" and etype != prev_type:
            tag = f"B-{etype}"
            changed.append(i)
        out.append(tag)
        prev_type = etype
    return out, changed


def read_conll(path, encoding: str = "auto", scheme: str = "auto",
               language: str | None = None) -> tuple[list[dict], dict]:
    """Sentences as records ``{"tokens": [...], "tags": [...]}`` with IOB2 tags, and what was read.

    ``info`` holds ``encoding``, ``scheme`` (of the file), ``columns``, ``sentences``, ``docstarts``,
    ``sentences_with_docstart``, ``tokens``, ``converted`` (IOB1 tags turned to IOB2), ``repaired``
    (``I-`` slips in an IOB2 file), ``entities`` by type and ``language_prefix`` (the WikiANN / PAN-X
    prefix stripped from every token, or None; it must match ``language`` when that is given).
    """
    path = Path(path)
    if scheme not in SCHEMES:
        raise UserError(f"tag scheme {scheme!r}: expected one of {', '.join(SCHEMES)}")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path}: file not found (expected a CoNLL NER file: 'word ... tag' per line)") from None
    text, used_encoding = decode(raw, path, encoding)

    sentences: list[tuple[list[str], list[str], list[int]]] = []
    tokens: list[str] = []
    tags: list[str] = []
    lines: list[int] = []
    columns = first_line = None
    docstarts = 0

    def flush():
        if tokens:
            sentences.append((tokens.copy(), tags.copy(), lines.copy()))
            tokens.clear()
            tags.clear()
            lines.clear()

    for lineno, line in enumerate(text.split("\n"), 1):
        fields = split_fields(line)
        if not fields:
            flush()
            continue
        if columns is None:
            if len(fields) < 2:
                raise UserError(f"{path}:{lineno}: {len(fields)} column, expected at least 2 ('word ... tag')")
            columns, first_line = len(fields), lineno
        elif len(fields) != columns:
            raise UserError(
                f"{path}:{lineno}: {len(fields)} columns, expected {columns} like line {first_line} ('word ... tag')"
            )
        if fields[0] == DOCSTART:
            flush()
            docstarts += 1
            continue
        tag = fields[-1]
        if not _TAG.match(tag):
            raise UserError(
                f"{path}:{lineno}: unknown tag {tag!r}, expected O or B-/I- with one of {', '.join(ENTITY_TYPES)}"
            )
        tokens.append(fields[0])
        tags.append(tag)
        lines.append(lineno)
    flush()
    if not sentences:
        raise UserError(f"{path}: no sentences (empty split; expected 'word ... tag' lines separated by blank lines)")
    prefix = strip_language_prefixes(path, sentences, language)

    return split_records(path, sentences, scheme=scheme, encoding=used_encoding, columns=columns,
                         docstarts=docstarts, prefix=prefix)


def split_records(path, sentences, *, scheme: str, encoding: str, columns, docstarts: int,
                  prefix: str | None) -> tuple[list[dict], dict]:
    """Sentences ``(tokens, tags, lines)`` as IOB2 records, and the split's ``info`` (see :func:`read_conll`).

    ``scheme`` ``"auto"`` is detected; IOB1 tags are converted, ``I-`` slips in an IOB2 split repaired to ``B-``
    (the first :data:`MAX_WARNINGS` of them logged with ``file:line``). Shared by every NER reader."""
    file_scheme = detect_scheme(sentences) if scheme == "auto" else scheme
    records, converted, repaired = [], 0, 0
    for sent_tokens, sent_tags, sent_lines in sentences:
        iob2, changed = to_iob2(sent_tags)
        if file_scheme == "iob1":
            converted += len(changed)
        else:
            for i in changed:
                repaired += 1
                if repaired <= MAX_WARNINGS:
                    log.warning(
                        "%s:%d: %s opens an entity in an IOB2 file; read as %s",
                        path,
                        sent_lines[i],
                        sent_tags[i],
                        iob2[i],
                    )
        records.append({"tokens": sent_tokens, "tags": iob2})
    if repaired > MAX_WARNINGS:
        log.warning("%s: %d I- tags opening an entity repaired to B- in all", path, repaired)

    info = {
        "path": str(path),
        "encoding": encoding,
        "scheme": file_scheme,
        "columns": columns,
        "sentences": len(records),
        "docstarts": docstarts,
        "sentences_with_docstart": len(records) + docstarts,
        "tokens": sum(len(r["tokens"]) for r in records),
        "converted": converted,
        "repaired": repaired,
        "entities": count_entities(records),
        "language_prefix": prefix,
    }
    return records, info


def read_ner_file(path, encoding: str = "auto", scheme: str = "auto",
                  language: str | None = None) -> tuple[list[dict], dict]:
    """A NER split in any supported form: CoNLL / WikiANN / PAN-X columns (:func:`read_conll`) or a ``datasets``
    Parquet / Arrow file (:func:`xlt.data.hf.read_datasets_ner`), told apart by the file's suffix."""
    from xlt.data import hf

    if hf.is_datasets_file(path):
        return hf.read_datasets_ner(path, language=language)
    return read_conll(path, encoding=encoding, scheme=scheme, language=language)


def count_entities(records) -> dict[str, int]:
    """Entities by type in IOB2 records (each ``B-`` opens one)."""
    counts = dict.fromkeys(ENTITY_TYPES, 0)
    for record in records:
        for tag in record["tags"]:
            if tag.startswith("B-"):
                counts[tag[2:]] += 1
    return counts


def require_conll_file(path, key: str, dataset: str = "CoNLL-2003") -> Path:
    """``path`` if it exists, else a :class:`UserError` naming the config key and where to obtain it."""
    path = Path(path)
    if path.is_file():
        return path
    hint = CONLL2003_HINT if dataset == "CoNLL-2003" else "run the download rules or set the path"
    raise UserError(f"{key}: {path} not found (expected a {dataset} file; {hint})")


def read_conll_words(path, encoding: str = "auto", language: str | None = None) -> tuple[list[dict], bool]:
    """The sentences of a CoNLL-style file as records ``{"tokens", "line"}`` (``line``: of the first word),
    for labelling new text: the word is the first column, any other columns are ignored; blank lines and
    ``-DOCSTART-`` lines separate sentences as in :func:`read_conll`.

    Also returns whether the file is labelled (at least two columns, the last a CoNLL tag on every word
    line); :func:`read_conll` reads such a file's tags (IOB2) with the same sentence boundaries. WikiANN /
    PAN-X language prefixes are stripped as there.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path}: file not found (expected CoNLL columns: one word per line, blank lines between "
                        "sentences)") from None
    text, _ = decode(raw, path, encoding)
    records: list[dict] = []
    tokens: list[str] = []
    start = 0
    labelled = True
    columns = first_line = None
    lines: list[int] = []
    line_numbers: list[list[int]] = []
    for lineno, line in enumerate(text.split("\n"), 1):
        fields = split_fields(line)
        if fields and columns is None:
            columns, first_line = len(fields), lineno
        elif fields and len(fields) != columns:
            raise UserError(f"{path}:{lineno}: {len(fields)} columns, expected {columns} like line {first_line} "
                            "(one word per line, the word first)")
        if not fields or fields[0] == DOCSTART:
            if tokens:
                records.append({"tokens": tokens, "line": start})
                line_numbers.append(lines)
            tokens, lines = [], []
            continue
        if not tokens:
            start = lineno
        tokens.append(fields[0])
        lines.append(lineno)
        labelled = labelled and len(fields) >= 2 and bool(_TAG.match(fields[-1]))
    if tokens:
        records.append({"tokens": tokens, "line": start})
        line_numbers.append(lines)
    if not records:
        raise UserError(f"{path}: no sentences (expected CoNLL columns: one word per line, blank lines between "
                        "sentences)")
    strip_language_prefixes(path, [(r["tokens"], None, n) for r, n in zip(records, line_numbers)], language)
    return records, labelled

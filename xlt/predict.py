"""Apply a trained classifier folder to new input files: the engine of ``xlt predict`` and of rules/predict.smk.

Inputs (``input_format``; ``auto`` picks by extension, and for token models by content):

* ``text``: one item per line (blank lines skipped) -- a text for a sequence model, whitespace-separated
  words for a token model;
* ``jsonl``: one JSON object per line; ``field`` (default ``text`` / ``tokens``) holds the text, or for a
  token model a list of words or a whitespace-separated string;
* ``conll``: CoNLL columns, the word first, blank lines between sentences (token models; read as
  :mod:`xlt.data.conll` reads the benchmark: a file whose last column holds tags keeps them as ``gold_tags``);
* ``webis``: Webis-CLS-10 review XML (sequence models; the text is summary and body as in the benchmark,
  the stars give ``gold`` where they give a label).

Predictions are made exactly as the workflow's evaluation makes them: :func:`xlt.train.inference.predict_probs`
(length-sorted batches, long sentences split into word-aligned windows so every word gets a tag), then the
argmax of the mean over the heads (:func:`xlt.tasks.predicted_ids`: with a Voters Module, the mean of the
voters' probabilities). Entities are read from the tags as the evaluation (seqeval, conlleval rules) reads them.

Outputs, one per item in input order: JSON lines ``{"line", "label", "probabilities"}`` (sequence) or
``{"line", "tokens", "tags", "scores", "entities"}`` (token; ``scores``: the probability of each word's tag;
``entities``: ``{"type", "start", "end", "text", "score"}`` with word indices, ``end`` exclusive); or, for
token models, CoNLL columns ``word [gold] predicted`` (``output_format="conll"``).

This module imports torch only when a model is loaded.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Callable

from xlt.errors import UserError
from xlt.io import ARTIFACT_FILE, atomic_path, read_json

log = logging.getLogger(__name__)

INPUT_FORMATS = ("auto", "text", "jsonl", "conll", "webis")
OUTPUT_FORMATS = ("jsonl", "conll")
DEFAULT_MAX_LENGTH = 128
_EXTENSIONS = {".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl", ".review": "webis", ".xml": "webis",
               ".conll": "conll", ".iob": "conll", ".bio": "conll", ".txt": "text"}


# ------------------------------------------------------------------------------------------- the model


def model_info(model_dir) -> dict:
    """Kind, labels, voters and training ``max_length`` of a classifier folder, read without loading it."""
    model_dir = Path(model_dir)
    config_file = model_dir / "config.json"
    if not config_file.is_file():
        raise UserError(f"{model_dir}: not a model folder (no config.json); expected a folder the workflow wrote "
                        "(e.g. results/<task>/<target>/seed<k>/ft-task/model)")
    config = read_json(config_file)
    if config.get("model_type") != "xlt-classifier":
        raise UserError(f"{config_file}: not an xlt classifier (model_type {config.get('model_type')!r}); expected "
                        "a fine-tuned or self-trained model folder of the workflow")
    kind, labels = config.get("kind"), config.get("labels")
    if kind not in ("sequence", "token") or not isinstance(labels, list) or len(labels) < 2:
        raise UserError(f"{config_file}: expected 'kind' (sequence or token) and at least two 'labels'")
    return {"kind": kind, "labels": [str(x) for x in labels], "n_voters": int(config.get("n_voters", 1)),
            "max_length": trained_max_length(model_dir)}


def trained_max_length(model_dir) -> int | None:
    """The ``max_length`` (sub-tokens) the model was trained and evaluated with (``xlt_artifact.json``)."""
    artifact = Path(model_dir) / ARTIFACT_FILE
    if not artifact.is_file():
        return None
    params = read_json(artifact).get("params") or {}
    for value in ((params.get("hp") or {}).get("max_length"), params.get("max_length")):
        if isinstance(value, int) and not isinstance(value, bool) and value >= 8:
            return value
    return None


# -------------------------------------------------------------------------------------------- inputs


def detect_format(path, kind: str) -> str:
    """The input format of ``path`` for a ``kind`` model (see the module doc)."""
    path = Path(path)
    fmt = _EXTENSIONS.get(path.suffix.lower())
    if fmt is not None and fmt != "text":
        return fmt
    if kind == "token" and _looks_like_conll(path):
        return "conll"
    return "text"


def _looks_like_conll(path: Path) -> bool:
    """Columns with a tag last, or one word per line in blank-line separated blocks, or ``-DOCSTART-``."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16).decode("utf-8", errors="replace").split("\n")
    except OSError:
        return False
    from xlt.data.conll import _TAG, DOCSTART, split_fields

    complete = head[:-1] if len(head) > 1 else head  # the last piece may be cut mid-line
    lines = [split_fields(line) for line in complete if line.strip()]
    if not lines:
        return False
    if any(fields[0] == DOCSTART for fields in lines):
        return True
    if all(len(fields) >= 2 and _TAG.match(fields[-1]) for fields in lines):
        return True
    blank = any(not line.strip() for line in complete)
    return blank and all(len(fields) == 1 for fields in lines)


def read_inputs(path, kind: str, input_format: str = "auto", field: str | None = None,
                encoding: str = "auto") -> tuple[list[dict], str]:
    """Records to predict (``{"text"}`` or ``{"tokens"}``, with ``line`` and any ``gold``/``gold_tags``) and
    the format read."""
    path = Path(path)
    if input_format not in INPUT_FORMATS:
        raise UserError(f"input format {input_format!r}: expected one of {', '.join(INPUT_FORMATS)}")
    if not path.is_file():
        raise UserError(f"{path}: file not found")
    fmt = detect_format(path, kind) if input_format == "auto" else input_format
    if fmt == "webis" and kind != "sequence":
        raise UserError(f"{path}: Webis review XML is input for sentiment (sequence) models; this model tags words")
    if fmt == "conll" and kind != "token":
        raise UserError(f"{path}: CoNLL columns are input for token (NER) models; this model classifies texts")
    if field is not None and fmt != "jsonl":
        raise UserError(f"--field {field!r}: only JSON-lines input has fields (this input is read as {fmt})")
    records = {"text": _read_text, "jsonl": _read_jsonl, "conll": _read_conll, "webis": _read_webis}[fmt](
        path, kind, field=field, encoding=encoding)
    if not records:
        raise UserError(f"{path}: no items to predict (expected {_expected(fmt, kind)})")
    return records, fmt


def _expected(fmt: str, kind: str) -> str:
    if fmt == "text":
        return "one text per line" if kind == "sequence" else "one sentence of space-separated words per line"
    if fmt == "jsonl":
        return "one JSON object per line"
    if fmt == "conll":
        return "one word per line, blank lines between sentences"
    return "Webis-CLS-10 <item> reviews"


def _read_text(path: Path, kind: str, **_) -> list[dict]:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise UserError(f"{path}: not UTF-8 ({err.reason} at byte {err.start}); expected a UTF-8 text file") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    records = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        records.append({"text": line, "line": lineno} if kind == "sequence" else {"tokens": line.split(), "line": lineno})
    return records


def _read_jsonl(path: Path, kind: str, field: str | None = None, **_) -> list[dict]:
    field = field or ("text" if kind == "sequence" else "tokens")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise UserError(f"{path}: not UTF-8 ({err.reason} at byte {err.start}); expected UTF-8 JSON lines") from None
    records = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise UserError(f"{where}: invalid JSON line ({err.msg}); expected one JSON object per line") from None
        if not isinstance(row, dict) or field not in row:
            raise UserError(f"{where}: expected a JSON object with a {field!r} field (choose it with --field)")
        value = row[field]
        if kind == "sequence":
            if not isinstance(value, str):
                raise UserError(f"{where}: {field!r} must be a string, got {type(value).__name__}")
            records.append({"text": value, "line": lineno})
        else:
            if isinstance(value, str):
                value = value.split()
            if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
                raise UserError(f"{where}: {field!r} must be a list of words or a string of words, "
                                f"got {type(value).__name__}")
            records.append({"tokens": value, "line": lineno})
    return records


def _read_conll(path: Path, kind: str, encoding: str = "auto", **_) -> list[dict]:
    from xlt.data.conll import read_conll, read_conll_words

    records, labelled = read_conll_words(path, encoding)
    if labelled:
        gold, _ = read_conll(path, encoding)
        if len(gold) != len(records):
            raise UserError(f"{path}: {len(records)} sentences by words but {len(gold)} with tags")
        for rec, g in zip(records, gold):
            rec["gold_tags"] = g["tags"]
    return records


def _read_webis(path: Path, kind: str, **_) -> list[dict]:
    from xlt.data.cls import LABELS, rating_label, read_reviews, review_text

    records, empty = [], 0
    for item in read_reviews(path):
        text = review_text(item)
        if not text:
            empty += 1
            continue
        rec = {"text": text, "line": item["_line"]}
        if item.get("rating") is not None:
            label = rating_label(item, path)
            if label is not None:
                rec["gold"] = LABELS[label]
        records.append(rec)
    if empty:
        log.warning("%s: %d reviews with an empty summary and text are left out", path, empty)
    return records


# ---------------------------------------------------------------------------------------- prediction


def predict_records(model_dir, records: list[dict], *, batch_size: int = 64, max_length: int | None = None,
                    device: str | None = None, progress: Callable[[int, int], None] | None = None):
    """``(probs, meta)``: the heads' probabilities as :func:`xlt.train.inference.predict_probs` gives them."""
    from xlt.train.inference import predict_probs

    info = model_info(model_dir)
    if max_length is None:
        max_length = info["max_length"]
    if max_length is None:
        log.warning("%s: no xlt_artifact.json with the training max_length; using %d sub-tokens (set --max-length)",
                    model_dir, DEFAULT_MAX_LENGTH)
        max_length = DEFAULT_MAX_LENGTH
    probs = predict_probs(model_dir, records, batch_size=batch_size, max_length=max_length, device=device,
                          progress=progress)
    return probs, {**info, "max_length": max_length}


def results(kind: str, labels: list[str], records: list[dict], probs, digits: int = 6) -> list[dict]:
    """One output record per input record (see the module doc); labels exactly as the evaluation computes them."""
    import numpy as np

    from xlt.tasks import predicted_ids

    ids = predicted_ids(kind, probs)
    out = []
    if kind == "sequence":
        mean = np.asarray(probs).mean(axis=0)
        for rec, i, p in zip(records, ids, mean):
            row = {"line": rec["line"], "label": labels[int(i)],
                   "probabilities": {name: round(float(v), digits) for name, v in zip(labels, p)}}
            if "gold" in rec:
                row["gold"] = rec["gold"]
            out.append(row)
        return out
    from seqeval.metrics.sequence_labeling import get_entities

    for rec, word_ids, p in zip(records, ids, probs):
        mean = np.asarray(p).mean(axis=0)
        tags = [labels[j] for j in word_ids]
        scores = [round(float(mean[w, j]), digits) for w, j in enumerate(word_ids)]
        entities = [{"type": etype, "start": start, "end": end + 1, "text": " ".join(rec["tokens"][start:end + 1]),
                     "score": round(float(np.mean(scores[start:end + 1])), digits)}
                    for etype, start, end in get_entities(tags)]
        row = {"line": rec["line"], "tokens": rec["tokens"], "tags": tags, "scores": scores, "entities": entities}
        if "gold_tags" in rec:
            row["gold_tags"] = rec["gold_tags"]
        out.append(row)
    return out


def conll_text(rows: list[dict]) -> str:
    """CoNLL columns ``word [gold] predicted``, a blank line after each sentence (conlleval's layout)."""
    lines = []
    for row in rows:
        gold = row.get("gold_tags")
        for i, (word, tag) in enumerate(zip(row["tokens"], row["tags"])):
            lines.append(f"{word} {gold[i]} {tag}" if gold else f"{word} {tag}")
        lines.append("")
    return "\n".join(lines) + "\n" if lines else ""


def write_output(rows: list[dict], output, output_format: str = "jsonl") -> None:
    """Write the results atomically to ``output`` (``-``: standard output)."""
    if output_format == "conll":
        text = conll_text(rows)
    else:
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    if str(output) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    with atomic_path(output) as tmp:
        tmp.write_text(text, encoding="utf-8")


def predict_file(model_dir, input_path, output, *, input_format: str = "auto", field: str | None = None,
                 encoding: str = "auto", output_format: str = "jsonl", batch_size: int = 64,
                 max_length: int | None = None, device: str | None = None,
                 progress: Callable[[int, int], None] | None = None) -> dict:
    """Read ``input_path``, predict with ``model_dir``, write ``output``; returns what was done."""
    if output_format not in OUTPUT_FORMATS:
        raise UserError(f"output format {output_format!r}: expected one of {', '.join(OUTPUT_FORMATS)}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise UserError(f"batch size {batch_size!r}: expected a positive integer")
    if max_length is not None and (isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 8):
        raise UserError(f"max length {max_length!r}: expected an integer ≥ 8")
    info = model_info(model_dir)  # a bad folder or input fails before the model is loaded
    if output_format == "conll" and info["kind"] != "token":
        raise UserError("--format conll: CoNLL columns are written for token (NER) models; this model classifies "
                        "texts (use jsonl)")
    records, fmt = read_inputs(input_path, info["kind"], input_format, field, encoding)
    probs, meta = predict_records(model_dir, records, batch_size=batch_size, max_length=max_length, device=device,
                                  progress=progress)
    rows = results(info["kind"], info["labels"], records, probs)
    write_output(rows, output, output_format)
    return {"items": len(rows), "input_format": fmt, **meta}

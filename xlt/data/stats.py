"""``data_stats.tsv``: one row per (task, language, domain, split) of the benchmark files as read.

Counts are those of the loaders (:mod:`xlt.data.cls`, :mod:`xlt.data.conll`), so the table shows what
the experiments see: examples after three-star reviews are dropped, CoNLL sentences without and with
the ``-DOCSTART-`` lines (the paper's Table 2 counts CoNLL-2003 with them and CoNLL-2002 Dutch
without), entities by type after IOB2 normalisation. ``tokens`` are whitespace-separated words
(CoNLL: the tokens of the file); for Japanese reviews, which have no spaces, ``characters`` is the
meaningful length. Each row names its source file and the file's SHA-256.

The unlabeled split of a CLS target is its pool before down-sampling: ``unlabeled.review``, or the
fallback pool of the language's train reviews (labels dropped; texts that are also test reviews and
repeats left out), marked in ``unlabeled_pool`` and listing every source file and digest. An unlabeled
corpus given by path (``tasks.<task>.unlabeled``) is the split ``unlabeled-given`` (pool ``given``), read in
full before the target's test items are left out and the corpus is sampled.
"""

from __future__ import annotations

import csv
from pathlib import Path

from xlt.data import cls, conll
from xlt.errors import UserError
from xlt.io import atomic_path, sha256_file
from xlt.tasks import TASK_KIND, TASKS

GIVEN_SPLIT = "unlabeled-given"  # an unlabeled corpus given by path (tasks.<task>.unlabeled)

STATS_COLUMNS = [
    "task",
    "language",
    "domain",
    "split",
    "examples",
    "sentences_with_docstart",
    "docstarts",
    "tokens",
    "characters",
    "mean_tokens",
    "label_negative",
    "label_positive",
    "dropped_neutral",
    "unlabeled_pool",
    "entities_PER",
    "entities_ORG",
    "entities_LOC",
    "entities_MISC",
    "encoding",
    "scheme",
    "source",
    "sha256",
]


def _mean(total: int, n: int) -> float:
    return round(total / n, 2) if n else 0.0


def _sources(path) -> tuple[str, str]:
    paths = [path] if isinstance(path, (str, Path)) else list(path)
    return ";".join(str(p) for p in paths), ";".join(sha256_file(p) for p in paths)


def cls_row(language: str, domain: str, split: str, path, records: list[dict], info: dict, task: str = "cls") -> dict:
    """Row for Webis-CLS-10 records ``{"text"[, "label"]}`` read from ``path`` (one file or several)."""
    source, digest = _sources(path)
    tokens = sum(len(r["text"].split()) for r in records)
    row = {
        "task": task,
        "language": language,
        "domain": domain,
        "split": split,
        "examples": len(records),
        "tokens": tokens,
        "characters": sum(len(r["text"]) for r in records),
        "mean_tokens": _mean(tokens, len(records)),
        "source": source,
        "sha256": digest,
    }
    if "pool" in info:
        row["unlabeled_pool"] = info["pool"]
    if records and "label" in records[0]:
        row["label_negative"] = sum(1 for r in records if r["label"] == 0)
        row["label_positive"] = sum(1 for r in records if r["label"] == 1)
        row["dropped_neutral"] = info.get("dropped_neutral", 0)
    return row


def conll_row(
    language: str, split: str, path, records: list[dict], info: dict, task: str = "conll", domain: str = "-"
) -> dict:
    """Row for CoNLL records ``{"tokens", "tags"}`` and the ``info`` of :func:`xlt.data.conll.read_conll`."""
    tokens = sum(len(r["tokens"]) for r in records)
    entities = conll.count_entities(records)
    row = {
        "task": task,
        "language": language,
        "domain": domain,
        "split": split,
        "examples": len(records),
        "sentences_with_docstart": len(records) + info.get("docstarts", 0),
        "docstarts": info.get("docstarts", 0),
        "tokens": tokens,
        "characters": sum(len(t) for r in records for t in r["tokens"]),
        "mean_tokens": _mean(tokens, len(records)),
        "encoding": info.get("encoding", ""),
        "scheme": info.get("scheme", ""),
        "source": str(path),
        "sha256": sha256_file(path),
    }
    row.update({f"entities_{etype}": n for etype, n in entities.items()})
    return row


def stats_row_for_file(
    task: str, language: str, domain: str, split: str, path, encoding: str = "auto", scheme: str = "auto"
) -> dict:
    """Read one raw benchmark file with the project's loader and build its row.

    ``task`` ``cls`` reads a ``.review`` file (labelled for train/test, texts only for unlabeled);
    ``conll`` reads a CoNLL file with the given encoding.
    """
    if task == "cls":
        if split == "unlabeled":
            return unlabeled_pool_row(language, domain, [path], task=task)
        records, info = cls.load_cls_split(path)
        return cls_row(language, domain, split, path, records, info, task=task)
    if task == "conll":
        records, info = conll.read_ner_file(path, encoding=encoding, scheme=scheme)
        return conll_row(language, split, path, records, info, task=task, domain=domain or "-")
    raise UserError(f"task {task!r}: expected one of {', '.join(TASKS)}")


def unlabeled_pool_row(language: str, domain: str, paths, task: str = "cls") -> dict:
    """Row for the unlabeled pool of a CLS target, before down-sampling (see the module docstring)."""
    used_fallback = cls.is_fallback_pool(paths)
    exclude = cls.fallback_exclusions(paths) if used_fallback else []
    pool, _ = cls.build_unlabeled_pool(paths, exclude)
    info = {"pool": "train-fallback" if used_fallback else "unlabeled"}
    return cls_row(language, domain, "unlabeled", paths, [{"text": t} for t in pool], info, task=task)


def given_corpus_row(task: str, language: str, domain: str, entries: list[dict]) -> dict:
    """Row for an unlabeled corpus given by path (``tasks.<task>.unlabeled``), its files read in full as the
    workflow reads them (:func:`xlt.data.unlabeled.read_unlabeled`: repeats dropped, gold labels ignored)."""
    from xlt.data.unlabeled import read_unlabeled

    kind = TASK_KIND[task]
    paths = [e["path"] for e in entries]
    first = entries[0]
    records, _ = read_unlabeled(paths, kind, input_format=first.get("format") or "auto", field=first.get("field"),
                                encoding=first.get("encoding") or "auto")
    if kind == "sequence":
        row = cls_row(language, domain, GIVEN_SPLIT, paths, [{"text": r["text"]} for r in records], {}, task=task)
    else:
        source, digest = _sources(paths)
        tokens = sum(len(r["tokens"]) for r in records)
        row = {"task": task, "language": language, "domain": domain, "split": GIVEN_SPLIT, "examples": len(records),
               "tokens": tokens, "characters": sum(len(t) for r in records for t in r["tokens"]),
               "mean_tokens": _mean(tokens, len(records)), "source": source, "sha256": digest}
    row["unlabeled_pool"] = "given"
    return row


def stats_rows(entries: list[dict]) -> list[dict]:
    """One row per (task, language, domain, split) of ``entries``.

    An entry is ``{"task", "lang" (or "language"), "domain", "split", "path", "encoding"}``; the
    entries of a CLS unlabeled split are the files of its pool and make one row.
    """
    groups: dict[tuple, list[dict]] = {}
    for entry in entries:
        language = entry.get("lang", entry.get("language"))
        key = (entry["task"], language, entry.get("domain") or "-", entry["split"])
        groups.setdefault(key, []).append(entry)
    rows = []
    for (task, language, domain, split), group in groups.items():
        paths = [entry["path"] for entry in group]
        if split == GIVEN_SPLIT:
            rows.append(given_corpus_row(task, language, domain, group))
        elif task == "cls" and split == "unlabeled":
            rows.append(unlabeled_pool_row(language, domain, paths, task=task))
        elif len(paths) > 1:
            raise UserError(
                f"data_stats: {len(paths)} files for {task} {language} {domain} {split}: {', '.join(paths)}"
            )
        else:
            encoding = group[0].get("encoding") or "auto"
            rows.append(stats_row_for_file(task, language, domain, split, paths[0], encoding=encoding))
    return rows


def entity_type_mismatches(rows: list[dict], source_language: str) -> list[str]:
    """One line per NER target whose test split and the source's training split differ in entity types.

    A type of the target's test file that the source training file lacks can never be predicted: its gold
    entities all count as missed. A type of the source that the target's test file lacks (WikiANN has no MISC)
    counts every prediction of it as a false positive. Both lower the entity F1 without saying why; these lines
    say it. Rows without a source training row (or without a test row) give no line."""
    def types(row):
        return {t for t in conll.ENTITY_TYPES if int(row.get(f"entities_{t}") or 0) > 0}

    ner = [r for r in rows if r["task"] == "conll"]
    source = next((r for r in ner if r["language"] == source_language and r["split"] == "train"), None)
    if source is None:
        return []
    lines = []
    for row in ner:
        if row["split"] != "test" or row["language"] == source_language:
            continue
        unseen, absent = sorted(types(row) - types(source)), sorted(types(source) - types(row))
        parts = []
        if unseen:
            counts = ", ".join(f"{t} {row[f'entities_{t}']}" for t in unseen)
            parts.append(f"has entity types the source training file {source['source']} lacks ({counts} entities, "
                         "all scored as missed)")
        if absent:
            parts.append(f"lacks the source's types {', '.join(absent)} (every prediction of them is scored as a "
                         "false positive)")
        if parts:
            lines.append(f"NER target {row['language']}: its test file {row['source']} " + "; ".join(parts))
    return lines


def write_stats_tsv(rows: list[dict], path) -> None:
    """Write rows under the fixed :data:`STATS_COLUMNS` header (empty cell where a column does not apply)."""
    unknown = sorted({key for row in rows for key in row} - set(STATS_COLUMNS))
    if unknown:
        raise ValueError(f"unknown stats columns: {', '.join(unknown)}")
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=STATS_COLUMNS, delimiter="\t", lineterminator="\n", restval="")
        writer.writeheader()
        writer.writerows(rows)


def read_stats_tsv(path) -> list[dict]:
    """The rows of a stats table as dicts of strings."""
    with open(Path(path), encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))

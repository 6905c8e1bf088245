"""Webis-CLS-10 (Prettenhofer and Stein, 2010), read from the original ``cls-acl10-unprocessed`` XML.

Layout: ``<root>/<lang>/<domain>/{train,test,unlabeled}.review``; Webis-CLS-10 has ``lang`` de, en, fr, jp
(the corpus names Japanese ``jp``; ``ja`` is accepted) and ``domain`` books, dvd, music, and a copy may add
any language (a code such as ``nl`` or ``zh-yue``) and any domain folder in the same format. Each file is
``<items><item>...</item>...</items>``; every ``<item>`` has a ``<rating>`` (1.0 to 5.0), a
``<summary>`` (the review's headline) and a ``<text>`` (its body), German and French items carry more
fields (title, reviewer, ...).

The paper's choices implemented here (Section 4.1):

* labels come from the stars: more than three stars is positive (1), fewer than three is negative (0);
  a three-star review has no label and is dropped, with a count;
* a review's text is its summary followed by its body, joined by a newline (:data:`TEXT_FIELDS`);
* the unlabeled reviews are down-sampled at random to a fixed size (10,000 in the paper), seeded.
  Where ``unlabeled.review`` is absent, the fallback pool is the target language's **train** reviews
  of all three domains with their labels dropped -- never its test reviews; train reviews whose text
  is identical to one of that language's test reviews are left out too (the corpus holds such
  duplicates), as are repeated texts.
"""

from __future__ import annotations

import logging
import random
import re
import xml.parsers.expat
from pathlib import Path
from typing import Sequence

from xlt.errors import UserError

log = logging.getLogger(__name__)

LABELS = ["negative", "positive"]
LANGUAGES = ("de", "en", "fr", "jp")
DOMAINS = ("books", "dvd", "music")
SPLITS = ("train", "test", "unlabeled")
TEXT_FIELDS = ("summary", "text")

_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]+)?$")
_DOMAIN_NAME = re.compile(r"^[a-z0-9_]+$")
_FORMAT = "Webis-CLS-10 review XML <items><item><rating>..</rating><summary>..</summary><text>..</text></item></items>"


def normalise_lang(lang: str) -> str:
    """The corpus directory of a language: its code (lower case), except that ``ja`` and ``jp`` both give ``jp``."""
    key = str(lang).strip()
    key = key.lower() if key.isalpha() else key
    if not _LANGUAGE_CODE.match(key):
        raise UserError(f"language {lang!r}: expected a language code such as de, sw or zh-yue (Webis-CLS-10 has "
                        "de, en, fr and jp, or ja)")
    return "jp" if key == "ja" else key


def review_path(root, lang: str, domain: str, split: str) -> Path:
    """``<root>/<lang dir>/<domain>/<split>.review``."""
    if not _DOMAIN_NAME.match(str(domain)):
        raise UserError(f"domain {domain!r}: expected a folder name of lower-case letters, digits and _ "
                        f"(Webis-CLS-10 has {', '.join(DOMAINS)})")
    if split not in SPLITS:
        raise UserError(f"split {split!r}: Webis-CLS-10 has {', '.join(SPLITS)}")
    return Path(root) / normalise_lang(lang) / domain / f"{split}.review"


def read_reviews(path, keep: Sequence[str] | None = None) -> list[dict]:
    """Every ``<item>`` of a review file as a dict of its child elements' text (raw, unstripped).

    The key ``"_line"`` holds the line where the item starts, for error messages. ``keep`` limits the
    fields stored (all by default). Streaming (expat), so the large unlabeled files are read without
    building a tree.
    """
    path = Path(path)
    items: list[dict] = []
    stack: list[str] = []
    state: dict = {"item": None, "field": None, "buf": []}
    parser = xml.parsers.expat.ParserCreate()
    parser.buffer_text = True

    def start(name, _attrs):
        stack.append(name)
        depth = len(stack)
        if depth == 1 and name != "items":
            raise UserError(f"{path}:{parser.CurrentLineNumber}: root element <{name}>, expected <items> ({_FORMAT})")
        if depth == 2:
            if name != "item":
                raise UserError(f"{path}:{parser.CurrentLineNumber}: element <{name}> inside <items>, expected <item>")
            state["item"] = {"_line": parser.CurrentLineNumber}
        elif depth == 3:
            state["field"] = name if keep is None or name in keep else None
            state["buf"] = []

    def end(name):
        depth = len(stack)
        if depth == 3 and state["item"] is not None:
            if state["field"] is not None:
                state["item"].setdefault(state["field"], "".join(state["buf"]))
            state["field"] = None
        elif depth == 2 and state["item"] is not None:
            items.append(state["item"])
            state["item"] = None
        stack.pop()

    def chardata(data):
        if len(stack) >= 3 and state["field"] is not None:
            state["buf"].append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chardata
    try:
        with open(path, "rb") as fh:
            parser.ParseFile(fh)
    except FileNotFoundError:
        raise UserError(f"{path}: file not found (expected {_FORMAT})") from None
    except xml.parsers.expat.ExpatError as err:
        reason = xml.parsers.expat.ErrorString(err.code)
        raise UserError(
            f"{path}:{err.lineno}: malformed XML ({reason}, column {err.offset + 1}); expected {_FORMAT}"
        ) from None
    return items


def rating_label(item: dict, path) -> int | None:
    """1 for more than three stars, 0 for fewer, ``None`` for exactly three (no label)."""
    raw = item.get("rating")
    where = f"{path}:{item.get('_line', '?')}"
    if raw is None:
        raise UserError(f"{where}: review has no <rating> (expected a star rating from 1.0 to 5.0)")
    try:
        stars = float(raw.strip())
    except ValueError:
        raise UserError(f"{where}: rating {raw.strip()!r} is not a number (expected 1.0 to 5.0)") from None
    if not 1.0 <= stars <= 5.0:
        raise UserError(f"{where}: rating {stars:g} is outside 1.0 to 5.0")
    if stars > 3.0:
        return 1
    if stars < 3.0:
        return 0
    return None


def oracle_label(item: dict) -> int | None:
    """The label a review's rating implies, for diagnostics only (None when absent, unreadable or three stars).

    Unlabeled reviews are used without labels; where they carry a rating (Webis' unlabeled.review does, and so
    does the fallback pool of train reviews) it is kept as ``oracle_label`` so that the self-training health
    record can measure pseudo-label accuracy. No step of the method reads it."""
    try:
        stars = float((item.get("rating") or "").strip())
    except ValueError:
        return None
    if not 1.0 <= stars <= 5.0 or stars == 3.0:
        return None
    return int(stars > 3.0)


def review_text(item: dict, fields: Sequence[str] = TEXT_FIELDS) -> str:
    """The review's text: the given fields, stripped, non-empty ones joined by a newline."""
    parts = [(item.get(field) or "").strip() for field in fields]
    return "\n".join(part for part in parts if part)


def load_cls_split(path, text_fields: Sequence[str] = TEXT_FIELDS) -> tuple[list[dict], dict]:
    """A labelled split (train or test) as records ``{"text", "label"}`` plus what was dropped.

    Three-star reviews carry no label and are dropped (counted in ``dropped_neutral``); reviews with
    an empty text are dropped too (``dropped_empty``).
    """
    items = read_reviews(path)
    if not items:
        raise UserError(f"{path}: no <item> reviews (empty split; expected {_FORMAT})")
    records, neutral, empty = [], 0, 0
    for item in items:
        label = rating_label(item, path)
        if label is None:
            neutral += 1
            continue
        text = review_text(item, text_fields)
        if not text:
            empty += 1
            continue
        records.append({"text": text, "label": label})
    if neutral:
        log.warning("%s: dropped %d three-star reviews (neither positive nor negative)", path, neutral)
    if empty:
        log.warning("%s: dropped %d reviews with an empty %s", path, empty, " and ".join(text_fields))
    if not records:
        raise UserError(f"{path}: no labelled reviews left (all {len(items)} are three-star or empty)")
    counts = {name: sum(1 for r in records if r["label"] == i) for i, name in enumerate(LABELS)}
    info = {
        "path": str(path),
        "items": len(items),
        "examples": len(records),
        "dropped_neutral": neutral,
        "dropped_empty": empty,
        "label_counts": counts,
        "text_fields": list(text_fields),
    }
    return records, info


def unlabeled_sources(root, lang: str, domain: str, fallback: bool = True, domains: Sequence[str] = DOMAINS):
    """Which files make the unlabeled pool of (lang, domain): ``(paths, used_fallback)``.

    The corpus's ``unlabeled.review`` when it exists; otherwise, if ``fallback``, the language's
    train reviews of every domain in ``domains``.
    """
    original = review_path(root, lang, domain, "unlabeled")
    if original.exists():
        return [original], False
    if not fallback:
        raise UserError(
            f"{original}: file not found (expected the Webis-CLS-10 unlabeled reviews; "
            "or enable the fallback pool of train reviews, data.cls.unlabeled_fallback: true)"
        )
    paths = [review_path(root, lang, d, "train") for d in domains]
    for path in paths:
        if not path.exists():
            raise UserError(f"{path}: file not found (needed for the fallback unlabeled pool: {original} is absent)")
    return paths, True


def is_fallback_pool(paths: Sequence) -> bool:
    """True when the pool is not (only) ``unlabeled.review`` files, i.e. it is the train fallback."""
    return any(Path(p).name != "unlabeled.review" for p in paths)


def fallback_exclusions(paths: Sequence) -> list[Path]:
    """The ``test.review`` beside each ``train.review`` of a fallback pool (those that exist)."""
    tests = dict.fromkeys(Path(p).with_name("test.review") for p in paths if Path(p).name == "train.review")
    return [p for p in tests if p.exists()]


def build_unlabeled_pool(
    paths: Sequence, exclude_paths: Sequence = (), text_fields: Sequence[str] = TEXT_FIELDS,
    oracle: list | None = None,
) -> tuple[list[str], dict]:
    """The distinct non-empty review texts of ``paths`` (labels ignored) that no ``exclude_paths`` review has.

    Returns the texts in file order and the counts of what was left out. When ``oracle`` is a list, the
    :func:`oracle_label` of each kept text is appended to it (same order).
    """
    if not paths:
        raise UserError("unlabeled pool: no review files given")
    excluded_texts = {
        review_text(item, text_fields) for path in exclude_paths for item in read_reviews(path, keep=text_fields)
    }
    pool: list[str] = []
    seen: set[str] = set()
    empty = duplicates = excluded = 0
    for path in paths:
        for item in read_reviews(path, keep=(*text_fields, "rating")):
            text = review_text(item, text_fields)
            if not text:
                empty += 1
            elif text in excluded_texts:
                excluded += 1
            elif text in seen:
                duplicates += 1
            else:
                seen.add(text)
                pool.append(text)
                if oracle is not None:
                    oracle.append(oracle_label(item))
    if not pool:
        raise UserError(f"{paths[0]}: no reviews for the unlabeled pool (read {', '.join(str(p) for p in paths)})")
    counts = {"removed_empty": empty, "removed_duplicates": duplicates, "removed_test_duplicates": excluded}
    return pool, counts


def sample_unlabeled(
    paths: Sequence,
    size: int,
    seed: int,
    used_fallback: bool | None = None,
    exclude_paths: Sequence | None = None,
    text_fields: Sequence[str] = TEXT_FIELDS,
) -> tuple[list[dict], dict]:
    """Down-sample the reviews of ``paths`` (labels ignored) to ``size`` texts, seeded.

    ``used_fallback`` defaults to whether ``paths`` are train files (:func:`is_fallback_pool`);
    ``exclude_paths`` defaults, for a fallback pool, to the test files beside them
    (:func:`fallback_exclusions`). Empty texts, repeated texts and texts that also occur in
    ``exclude_paths`` are left out first (:func:`build_unlabeled_pool`). With fewer than ``size``
    texts in the pool, all are used (and a warning says so). Records are ``{"text"}`` in file order, with
    ``"oracle_label"`` where the review's rating implies one (a diagnostic no step of the method reads).
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise UserError(f"unlabeled sample size {size!r}: expected a positive integer")
    if used_fallback is None:
        used_fallback = is_fallback_pool(paths)
    if exclude_paths is None:
        exclude_paths = fallback_exclusions(paths) if used_fallback else []
    oracle: list = []
    pool, counts = build_unlabeled_pool(paths, exclude_paths, text_fields, oracle=oracle)
    if used_fallback:
        log.warning(
            "unlabeled.review absent: fallback pool = train reviews with labels dropped from %s "
            "(%d texts; %d identical to a test review and %d repeats left out)",
            ", ".join(str(p) for p in paths),
            len(pool),
            counts["removed_test_duplicates"],
            counts["removed_duplicates"],
        )
    if size >= len(pool):
        if size > len(pool):
            log.warning("unlabeled pool has %d texts, fewer than the requested %d: using all", len(pool), size)
        chosen = list(range(len(pool)))
    else:
        chosen = sorted(random.Random(seed).sample(range(len(pool)), size))
    records = [{"text": pool[i]} if oracle[i] is None else {"text": pool[i], "oracle_label": oracle[i]} for i in chosen]
    info = {
        "pool": "train-fallback" if used_fallback else "unlabeled",
        "used_fallback": bool(used_fallback),
        "sources": [str(p) for p in paths],
        "excluded_sources": [str(p) for p in exclude_paths],
        "pool_size": len(pool),
        "size": size,
        "seed": seed,
        "examples": len(records),
        **counts,
        "text_fields": list(text_fields),
    }
    return records, info


def load_cls_unlabeled(
    root,
    lang: str,
    domain: str,
    size: int,
    seed: int,
    fallback: bool = True,
    domains: Sequence[str] = DOMAINS,
    text_fields: Sequence[str] = TEXT_FIELDS,
) -> tuple[list[dict], dict]:
    """The seeded unlabeled sample of (lang, domain): from ``unlabeled.review``, else the fallback pool.

    In the fallback case the language's test reviews (those present) are read only to leave their
    duplicates out of the pool.
    """
    paths, used_fallback = unlabeled_sources(root, lang, domain, fallback=fallback, domains=domains)
    exclude = []
    if used_fallback:
        exclude = [p for p in (review_path(root, lang, d, "test") for d in domains) if p.exists()]
    return sample_unlabeled(
        paths, size, seed, used_fallback=used_fallback, exclude_paths=exclude, text_fields=text_fields
    )

"""On-disk cache of tokenised inputs, shared by the jobs of a workflow run.

Every training and inference job tokenises its inputs: the English training set is tokenised by each
fine-tuning, self-training and threshold job, a target test set by every evaluation. With a cache folder set,
:func:`xlt.train.data.encode_texts` and :func:`xlt.train.data.encode_words` store their result under a key
made of

* a fingerprint of the tokenizer (its full serialised definition: vocabulary, normaliser, pre-tokeniser,
  special tokens), so a trimmed or retrained vocabulary never reuses another's ids;
* the function and ``max_length``;
* the exact input texts (or word lists), in order;
* :data:`FORMAT` and a digest of the tokenisation code itself (this module and :mod:`xlt.train.data`, which
  aligns words to sub-tokens) with the ``tokenizers``/``transformers`` versions, so a fixed alignment bug is
  never served from an old entry.

An unchanged input is therefore read back instead of tokenised again, and any change gives a new key. Entries
are written atomically (temporary file, then rename), so concurrent jobs never read a half-written entry; an
unreadable entry is recomputed and overwritten, with a warning.

The folder comes from the environment variable ``XLT_TOKEN_CACHE`` (the workflow scripts default it to
``.xlt-cache/tokenized`` under the working directory, see :func:`xlt.runtime.start`); unset, empty or ``off``
disables caching.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

ENV_VAR = "XLT_TOKEN_CACHE"
FORMAT = 1

log = logging.getLogger(__name__)
_FINGERPRINTS: dict[int, tuple[object, str]] = {}


def cache_dir() -> Path | None:
    value = os.environ.get(ENV_VAR, "").strip()
    if not value or value.lower() == "off":
        return None
    return Path(value)


def tokenizer_fingerprint(tokenizer) -> str:
    """sha256 of the tokenizer's serialised definition (memoised per tokenizer object)."""
    hit = _FINGERPRINTS.get(id(tokenizer))
    if hit is not None and hit[0] is tokenizer:
        return hit[1]
    h = hashlib.sha256(type(tokenizer).__name__.encode())
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        h.update(backend.to_str().encode())
    else:  # a slow tokenizer: its vocabulary and settings
        h.update(json.dumps(sorted(tokenizer.get_vocab().items()), ensure_ascii=False).encode())
        h.update(json.dumps(getattr(tokenizer, "init_kwargs", {}), sort_keys=True, default=str).encode())
    h.update(json.dumps(tokenizer.all_special_ids).encode())
    digest = h.hexdigest()
    _FINGERPRINTS[id(tokenizer)] = (tokenizer, digest)
    return digest


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """sha256 of the code that turns inputs into cached ids, and of the tokenisation libraries' versions."""
    from importlib import metadata

    h = hashlib.sha256()
    for module in ("xlt/train/token_cache.py", "xlt/train/data.py"):
        h.update((Path(__file__).resolve().parents[2] / module).read_bytes())
    for package in ("tokenizers", "transformers"):
        try:
            h.update(f"{package}={metadata.version(package)}\0".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{package}=none\0".encode())
    return h.hexdigest()


def cache_key(tokenizer, what: str, max_length: int, inputs: Sequence) -> str:
    h = hashlib.sha256(f"{FORMAT}\0{code_fingerprint()}\0{what}\0{max_length}\0"
                       f"{tokenizer_fingerprint(tokenizer)}\0".encode())
    for item in inputs:
        h.update(json.dumps(item, ensure_ascii=False).encode())
        h.update(b"\n")
    return h.hexdigest()


def cached(tokenizer, what: str, max_length: int, inputs: Sequence, compute: Callable[[], dict[str, list]],
           ) -> dict[str, list]:
    """``compute()`` (a dict of equally indexed lists of int lists or ints) through the cache when one is set."""
    root = cache_dir()
    if root is None:
        return compute()
    key = cache_key(tokenizer, what, max_length, inputs)
    path = root / key[:2] / f"{key}.npz"
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as npz:
                return _unpack(npz)
        except Exception as exc:  # noqa: BLE001 - a damaged entry is recomputed, whatever the damage
            log.warning("token cache: %s is unreadable (%s); tokenising again", path, exc)
    result = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **_pack(result))
        os.replace(tmp, path)
    except OSError as exc:  # a read-only or full disk costs speed, never correctness
        log.warning("token cache: cannot write %s (%s)", path, exc)
    return result


def _pack(result: dict[str, list]) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    for name, values in result.items():
        if values and isinstance(values[0], list):
            lengths = np.fromiter((len(v) for v in values), dtype=np.int64, count=len(values))
            flat = [x for v in values for x in v]
            arrays[f"{name}.flat"] = np.asarray(flat, dtype=np.int64)
            arrays[f"{name}.len"] = lengths
        else:
            arrays[f"{name}.int"] = np.asarray(values, dtype=np.int64)
    return arrays


def _unpack(npz) -> dict[str, list]:
    out: dict[str, list] = {}
    for key in npz.files:
        name, kind = key.rsplit(".", 1)
        if kind == "int":
            out[name] = npz[key].tolist()
        elif kind == "len":
            flat = npz[f"{name}.flat"].tolist()
            bounds = np.concatenate([[0], np.cumsum(npz[key])]).tolist()
            out[name] = [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    return out

"""Fetch one URL to a file, atomically, and report its size and digests; unpack named archive members.

Used by the workflow's download rules (``rules/download.smk``), which add Snakemake's ``retries:``
and the ``ensure(sha256=...)``/``ensure(md5=...)`` check on the result. A failed or truncated transfer
raises :class:`~xlt.errors.UserError` with one line and leaves nothing at the destination.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from pathlib import Path
from typing import Sequence

from xlt.errors import UserError
from xlt.io import atomic_path

USER_AGENT = "xlt-workflow (zero-shot cross-lingual transfer; research data download)"


def redact(url: str) -> str:
    """The URL without credentials or query string (Zenodo access links carry a token there)."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    query = "?…" if parts.query else ""
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", "")) + query


def download(url: str, dest, timeout: float = 60.0, chunk: int = 1 << 20) -> dict:
    """Stream ``url`` to ``dest``; return ``{"url" (redacted), "bytes", "sha256", "md5"}``."""
    shown = redact(url)
    sha256, md5, size = hashlib.sha256(), hashlib.md5(), 0
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, atomic_path(dest) as tmp:
            expected = response.headers.get("Content-Length")
            with open(tmp, "wb") as fh:
                while block := response.read(chunk):
                    fh.write(block)
                    sha256.update(block)
                    md5.update(block)
                    size += len(block)
            if expected is not None and expected.isdigit() and int(expected) != size:
                raise UserError(f"{shown}: transfer truncated ({size} of {expected} bytes)")
    except urllib.error.HTTPError as err:
        raise UserError(f"{shown}: HTTP {err.code} {err.reason} (expected 200)") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as err:
        reason = getattr(err, "reason", err)
        raise UserError(f"{shown}: download failed ({reason})") from None
    return {"url": shown, "path": str(Path(dest)), "bytes": size, "sha256": sha256.hexdigest(), "md5": md5.hexdigest()}


def check_digest(
    info: dict, sha256: str | None = None, md5: str | None = None, sha256_key: str = "sha256", md5_key: str = "md5"
) -> str:
    """Compare a download's digests with the configured ones; return the line to log about it.

    A mismatch raises :class:`UserError` naming the config key. With neither digest configured the
    download is not verified, and the line gives the computed digests to put in the config.
    """
    for algorithm, expected, key in (("sha256", sha256, sha256_key), ("md5", md5, md5_key)):
        if expected:
            got = info[algorithm]
            if str(expected).strip().lower() != got:
                raise UserError(f"{key}: expected {str(expected).strip().lower()}, the downloaded file has {got}")
            return f"{algorithm} verified: {got}"
    return (
        f"not verified ({sha256_key} and {md5_key} are null): computed sha256 {info['sha256']}, "
        f"md5 {info['md5']}; put one in the config to verify later downloads"
    )


def _member_name(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name


def extract_members(archive, members: Sequence[str], outputs: Sequence) -> None:
    """Write each named member of a ``.zip`` or ``.tar(.gz)`` archive to its output path, atomically.

    Only the named members are written, each to the path given for it; a member missing from the
    archive is a :class:`UserError` that names it.
    """
    archive = Path(archive)
    if len(members) != len(outputs):
        raise ValueError(f"{len(members)} members but {len(outputs)} outputs")
    wanted = {_member_name(m): Path(out) for m, out in zip(members, outputs)}
    found: set[str] = set()

    def write(name, fileobj):
        with atomic_path(wanted[name]) as tmp, open(tmp, "wb") as fh:
            shutil.copyfileobj(fileobj, fh)
        found.add(name)

    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    name = _member_name(info.filename)
                    if name in wanted and not info.is_dir():
                        with zf.open(info) as src:
                            write(name, src)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive, "r:*") as tar:
                for info in tar:
                    name = _member_name(info.name)
                    if name in wanted and info.isfile():
                        write(name, tar.extractfile(info))
        else:
            raise UserError(f"{archive}: not a zip or tar archive")
    except FileNotFoundError:
        raise UserError(f"{archive}: file not found") from None
    except (zipfile.BadZipFile, tarfile.TarError, gzip.BadGzipFile, zlib.error, EOFError) as err:
        raise UserError(f"{archive}: damaged archive ({err})") from None
    missing = [m for m in wanted if m not in found]
    if missing:
        raise UserError(f"{archive}: {len(missing)} expected files are not in the archive, e.g. {missing[0]}")

"""The download rules (rules/download.smk) run by Snakemake against a local HTTP server.

Each test writes a small Snakefile that includes the real rules file, points the configured URLs at
an HTTP server on 127.0.0.1 serving archives the test builds (invented content), and runs Snakemake.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from xlt.data.download import extract_members, redact
from xlt.errors import UserError

REPO = Path(__file__).resolve().parents[1]
DOWNLOAD_RULES = REPO / "rules" / "download.smk"
CLS_FILES = [
    f"cls-acl10-unprocessed/{lang}/{domain}/{split}.review"
    for lang in ("de", "en", "fr", "jp")
    for domain in ("books", "dvd", "music")
    for split in ("train", "test", "unlabeled")
]
CONLL2002_FILES = [f"conll2002/{lang}.{split}" for lang in ("esp", "ned") for split in ("train", "testa", "testb")]


class ArchiveServer:
    """Serves ``files`` (path -> bytes); the first ``failures[path]`` requests of a path get HTTP 500."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.failures: dict[str, int] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                path = self.path.split("?", 1)[0]
                if server.failures.get(path, 0) > 0:
                    server.failures[path] -= 1
                    self.send_error(500, "transient failure")
                    return
                body = server.files.get(path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


@pytest.fixture
def server():
    srv = ArchiveServer()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def cls_tarball() -> tuple[bytes, dict[str, bytes]]:
    members = {}
    for i, name in enumerate(CLS_FILES):
        members[name] = (
            '<?xml version="1.0" encoding="utf-8"?>\n<items><item><rating>5.0</rating>'
            f"<summary>made-up headline {i}</summary><text>made-up body {i}</text></item></items>\n"
        ).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_262_304_000  # 2010, older than the download: must not make outputs look stale
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue(), members


def conll2002_zip() -> tuple[bytes, dict[str, bytes]]:
    members = {name: f"Palabra{i} NC B-LOC\nfin Fp O\n\n".encode() for i, name in enumerate(CONLL2002_FILES)}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("conll2002/README", "made-up readme\n")
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue(), members


def run_workflow(workdir: Path, config: dict, *targets: str) -> subprocess.CompletedProcess:
    (workdir / "config.yaml").write_text(json.dumps(config))  # JSON is YAML
    (workdir / "Snakefile").write_text(  # script_code as rules/common.smk defines it for the whole workflow
        f'configfile: "config.yaml"\n\nfrom xlt.codedigest import code_digest\n\n'
        f'def script_code(name):\n    return code_digest("{REPO}/workflow_scripts/" + name)\n\n\n'
        f'include: "{DOWNLOAD_RULES}"\n')
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = f"{REPO}{os.pathsep}{env.get('PYTHONPATH', '')}"
    env["XDG_CACHE_HOME"] = str(workdir / ".cache")
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--cores",
        "1",
        "--snakefile",
        "Snakefile",
        "--directory",
        str(workdir),
    ]
    if not (REPO / "envs" / "xlt.yaml").exists():
        command.append("--drop-metadata")  # job metadata embeds the rules' conda env file
    return subprocess.run(
        [*command, *targets],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def data_config(server, cls_sha256=None, conll_sha256=None, conll_md5=None) -> dict:
    return {
        "data": {
            "cls": {
                "url": server.url("/records/3251672/files/cls-acl10-unprocessed.tar.gz?token=secret"),
                "sha256": cls_sha256,
            },
            "conll": {
                "conll2002_url": server.url("/nltk_data/gh-pages/packages/corpora/conll2002.zip"),
                "conll2002_sha256": conll_sha256,
                "conll2002_md5": conll_md5,
            },
        }
    }


def test_conll2002_download_is_verified_and_unpacked(server, tmp_path):
    archive, members = conll2002_zip()
    server.files["/nltk_data/gh-pages/packages/corpora/conll2002.zip"] = archive
    config = data_config(server, conll_sha256=hashlib.sha256(archive).hexdigest())

    result = run_workflow(tmp_path, config, *(f"resources/data/{name}" for name in CONLL2002_FILES))

    assert result.returncode == 0, result.stderr[-3000:]
    for name, data in members.items():
        assert (tmp_path / "resources" / "data" / name).read_bytes() == data
    log = (tmp_path / "logs" / "download_conll2002" / "conll2002.log").read_text()
    assert f"sha256 verified: {hashlib.sha256(archive).hexdigest()}" in log


def test_md5_from_the_nltk_index_verifies_the_download(server, tmp_path):
    archive, _ = conll2002_zip()
    server.files["/nltk_data/gh-pages/packages/corpora/conll2002.zip"] = archive
    config = data_config(server, conll_md5=hashlib.md5(archive).hexdigest())

    result = run_workflow(tmp_path, config, "resources/downloads/conll2002.zip")

    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "resources" / "downloads" / "conll2002.zip").read_bytes() == archive


@pytest.mark.slow
def test_transient_server_error_is_retried_and_unverified_digest_is_logged(server, tmp_path):
    archive, members = cls_tarball()
    path = "/records/3251672/files/cls-acl10-unprocessed.tar.gz"
    server.files[path] = archive
    server.failures[path] = 1
    config = data_config(server, cls_sha256=None)

    result = run_workflow(tmp_path, config, *(f"resources/data/{name}" for name in CLS_FILES))

    assert result.returncode == 0, result.stderr[-3000:]
    assert len([r for r in server.requests if r.startswith(path)]) == 2
    for name in ("cls-acl10-unprocessed/jp/music/unlabeled.review", "cls-acl10-unprocessed/de/books/train.review"):
        assert (tmp_path / "resources" / "data" / name).read_bytes() == members[name]
    log = (tmp_path / "logs" / "download_cls" / "cls-acl10-unprocessed.log").read_text()
    assert hashlib.sha256(archive).hexdigest() in log
    assert "not verified" in log and "data.cls.sha256" in log
    assert "secret" not in log  # the access token in the URL stays out of the log

    again = run_workflow(tmp_path, config, *(f"resources/data/{name}" for name in CLS_FILES))
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr
    assert len([r for r in server.requests if r.startswith(path)]) == 2


def test_checksum_mismatch_fails_and_leaves_no_archive(server, tmp_path):
    archive, _ = conll2002_zip()
    server.files["/nltk_data/gh-pages/packages/corpora/conll2002.zip"] = archive
    wrong = hashlib.sha256(b"another archive").hexdigest()
    config = data_config(server, conll_sha256=wrong)

    result = run_workflow(tmp_path, config, "resources/downloads/conll2002.zip")

    assert result.returncode != 0
    assert not (tmp_path / "resources" / "downloads" / "conll2002.zip").exists()
    log = (tmp_path / "logs" / "download_conll2002" / "conll2002.log").read_text()
    assert f"data.conll.conll2002_sha256: expected {wrong}" in log


def test_extract_members_writes_only_the_named_files_and_names_a_missing_one(tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in (("./corpus/a.txt", b"alpha"), ("corpus/b.txt", b"beta"), ("corpus/c.txt", b"gamma")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    archive = tmp_path / "corpus.tar.gz"
    archive.write_bytes(buf.getvalue())

    extract_members(archive, ["corpus/a.txt", "corpus/c.txt"], [tmp_path / "out" / "a", tmp_path / "out" / "c"])
    assert (tmp_path / "out" / "a").read_bytes() == b"alpha" and (tmp_path / "out" / "c").read_bytes() == b"gamma"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a", "c"]

    with pytest.raises(UserError, match=r"corpus.tar.gz: 1 expected files are not in the archive, e.g. corpus/d.txt"):
        extract_members(archive, ["corpus/d.txt"], [tmp_path / "out" / "d"])
    (tmp_path / "junk.zip").write_bytes(b"not an archive")
    with pytest.raises(UserError, match="junk.zip: not a zip or tar archive"):
        extract_members(tmp_path / "junk.zip", ["x"], [tmp_path / "x"])


def test_redact_hides_tokens_and_credentials():
    assert redact("https://user:pw@zenodo.org:443/records/1/files/a.tar.gz?token=abc") == (
        "https://zenodo.org:443/records/1/files/a.tar.gz?…"
    )

"""Harvest throughput and peak memory on a dump ten times larger than the largest real one.

The entity harvest (xlt.wiki.harvest) must keep pace with reading the dump: its throughput is reported
as a ratio to plain bzip2 decompression of the same file (1.0 = as fast as decompressing). Peak memory
(VmHWM of a fresh subprocess, ru_maxrss where /proc is missing) is measured on the 1x and the 10x dump: a streaming harvest needs
about the same memory for both.

The 10x dump repeats the pages of the largest real dump under ../shared/data/wikipedia (a temporary
file, removed afterwards). The entity names are those of the CoNLL-2003 English training set, searched
in an English dump, i.e. every entity name in its own language: the hardest case for the pre-filters,
since most paragraphs mention some entity. A second scenario searches a few names only (mostly
skipped text), and a third measures the random sampler, which parses every paragraph. The all-names
harvest runs serially and with ``--workers`` worker processes (peak RSS is then the reading process's;
each worker is a fork of it holding one batch of articles).

Usage: python benchmarks/harvest_throughput.py [--data ../shared/data] [--repeat 10] [--workers 2]
"""

from __future__ import annotations

import argparse
import bz2
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from xlt.wiki.harvest import harvest_sentences
from xlt.wiki.random_sample import sample_random_sentences
from xlt.wiki.mapping import TitleRow
args = json.loads(open(sys.argv[1], encoding="utf-8").read())
rows = [TitleRow(*r) for r in args["rows"]]
t0 = time.perf_counter()
if args["mode"] == "entities":
    res = harvest_sentences(
        [args["dump"]], rows, "en", max_sentences=60000, per_entity_cap=100, seed=1, workers=args["workers"]
    )
elif args["mode"] == "random":
    res = sample_random_sentences([args["dump"]], "en", 60000, seed=1)
else:
    res = None
wall = time.perf_counter() - t0
def peak_kib():
    # VmHWM starts afresh at exec; ru_maxrss keeps the parent's peak on Linux
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
workers_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest worker's peak
kept = len(res.records) if res else 0
print(json.dumps({{"wall": wall, "maxrss_kib": peak_kib(), "workers_kib": workers_kib, "kept": kept}}))
"""


def largest_dump(data: Path) -> Path:
    candidates = [p for p in (data / "wikipedia").rglob("*") if p.is_file() and (".xml" in p.name)]
    if not candidates:
        sys.exit(f"no Wikipedia XML dump under {data / 'wikipedia'}")

    def size(p: Path) -> int:
        opener = bz2.open if p.suffix == ".bz2" else open
        with opener(p, "rb") as fh:
            return sum(len(b) for b in iter(lambda: fh.read(1 << 20), b""))

    return max(candidates, key=size)


def build_repeated(src: Path, repeat: int, out: Path) -> int:
    opener = bz2.open if src.suffix == ".bz2" else open
    with opener(src, "rb") as fh:
        xml = fh.read()
    start = xml.index(b"<page>")
    end = xml.rindex(b"</page>") + len(b"</page>")
    head, pages = xml[:start], xml[start:end]
    with bz2.open(out, "wb", compresslevel=9) as fh:
        fh.write(head)
        for _ in range(repeat):
            fh.write(pages)
            fh.write(b"\n")
        fh.write(b"</mediawiki>\n")
    return len(head) + repeat * (len(pages) + 1) + 13


def decompress_seconds(path: Path, runs: int = 2) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        with bz2.open(path, "rb") as fh:
            while fh.read(1 << 20):
                pass
        best = min(best, time.perf_counter() - t0)
    return best


def run_child(mode: str, dump: Path, rows: list, workers: int = 1) -> dict:
    """Run one harvest in a fresh interpreter; its wall time and peak RSS."""
    code = CHILD.format(root=str(ROOT))
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        json.dump({"mode": mode, "dump": str(dump), "rows": rows, "workers": workers}, fh)
    try:
        out = subprocess.run([sys.executable, "-c", code, fh.name], capture_output=True, text=True, check=True)
    finally:
        os.unlink(fh.name)
    return json.loads(out.stdout.strip().splitlines()[-1])


def conll_rows(train: Path) -> list:
    sys.path.insert(0, str(ROOT))
    from xlt.data.conll import read_conll
    from xlt.wiki.entities import extract_entities

    records, _ = read_conll(train)
    return [[e.surface, e.type, e.frequency, e.surface, e.surface] for e in extract_entities(records)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2, help="worker processes of the parallel entity harvest")
    args = ap.parse_args()

    src = largest_dump(args.data)
    rows = conll_rows(args.data / "conll2003" / "eng" / "eng.train")
    few = [r for r in rows if r[0] in {"Berlin", "Oliver Kahn", "Abu Dhabi", "Samsung"}]
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "repeated.xml.bz2"
        size = build_repeated(src, args.repeat, big)
        print(f"source dump: {src} -> {args.repeat}x: {size / 1e6:.1f} MB XML, {big.stat().st_size / 1e6:.1f} MB bz2")
        print(f"CPU cores: {os.cpu_count()} (decompression runs in a reader thread beside the parser)")

        dec = decompress_seconds(big)
        print(f"plain bz2 decompression: {dec:.2f} s ({size / 1e6 / dec:.1f} MB/s)")
        base = run_child("none", big, rows)
        print(f"baseline process (imports + entity list): peak RSS {base['maxrss_kib'] / 1024:.0f} MiB")
        for label, mode, names, workers in (
            (f"entity harvest, {len(rows)} CoNLL names (most paragraphs match)", "entities", rows, 1),
            (
                f"entity harvest, {len(rows)} CoNLL names, {args.workers} workers",
                "entities",
                rows,
                args.workers,
            ),
            (f"entity harvest, {len(few)} names (most text skipped)", "entities", few, 1),
            ("random sample (every paragraph parsed)", "random", [], 1),
        ):
            small = run_child(mode, src, names, workers)
            res = run_child(mode, big, names, workers)
            ratio = dec / res["wall"]
            print(
                f"{label}: {res['wall']:.2f} s, {size / 1e6 / res['wall']:.1f} MB/s, "
                f"ratio to decompression {ratio:.2f}; peak RSS 1x {small['maxrss_kib'] / 1024:.0f} MiB, "
                f"{args.repeat}x {res['maxrss_kib'] / 1024:.0f} MiB"
                + (
                    f" (largest worker 1x {small['workers_kib'] / 1024:.0f}, "
                    f"{args.repeat}x {res['workers_kib'] / 1024:.0f} MiB)"
                    if workers > 1
                    else ""
                )
                + f"; {res['kept']} sentences"
            )


if __name__ == "__main__":
    main()

"""Start-up of the workflow scripts: how long a fresh Python takes to import what each script imports.

A job pays this before any work, once per job. For every script in workflow_scripts/ the module-level imports
(what runs before ``main``) are run in a fresh interpreter ``--repeats`` times; the fastest wall time is
reported (interpreter start included), with the cumulative ``python -X importtime`` figures of the heavy
packages among them. Add Snakemake's script preamble (``--preamble``: pickle, snakemake.logging,
snakemake.iocontainers) to see a job's full start-up before its own code.

Usage: python benchmarks/startup_time.py [--repeats 3] [--preamble] [script ...]
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "xlt.models.classifier", "numpy", "pandas", "matplotlib", "jsonschema", "yaml",
         "mwparserfromhell")
PREAMBLE = "import pickle; from snakemake.logging import logger; from snakemake.iocontainers import Snakemake"


def import_code(script: Path) -> str:
    tree = ast.parse(script.read_text(encoding="utf-8"))
    return "; ".join(ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))) or "pass"


def wall_time(code: str, repeats: int, env: dict) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        best = min(best, time.perf_counter() - t)
        if run.returncode != 0:
            raise SystemExit(f"{code}: {run.stderr.strip().splitlines()[-1]}")
    return best


def heavy_imports(code: str, env: dict) -> dict[str, float]:
    run = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, env=env)
    cumulative = {}
    for line in run.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            cumulative[parts[2].strip()] = int(parts[1]) / 1e6
    return {m: cumulative[m] for m in HEAVY if m in cumulative}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scripts", nargs="*", help="script names (default: all of workflow_scripts/)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--preamble", action="store_true", help="also import what Snakemake's script preamble imports")
    args = ap.parse_args(argv)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    names = args.scripts or sorted(p.stem for p in (ROOT / "workflow_scripts").glob("*.py"))
    print(f"{'script':28s} {'seconds':>8s}  heavy imports (cumulative s, -X importtime)")
    for name in names:
        code = import_code(ROOT / "workflow_scripts" / f"{name}.py")
        if args.preamble:
            code = f"{PREAMBLE}; {code}"
        heavy = heavy_imports(code, env)
        print(f"{name:28s} {wall_time(code, args.repeats, env):8.2f}  "
              + ", ".join(f"{m} {s:.2f}" for m, s in heavy.items()))


if __name__ == "__main__":
    main()

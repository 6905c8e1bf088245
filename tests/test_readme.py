"""The README's Snakemake commands parse and plan: each is dry-run as written (``--report`` ones are parsed),
so a command that Snakemake reads differently from what the README says fails here."""

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

# Minutes of Snakemake planning and pip resolution: part of `make test`, not of the quick `make check`.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    commands, fenced = [], False
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        line = line.split("  #")[0].strip()
        if fenced and (line.startswith(".venv/bin/snakemake ") or line.startswith("snakemake ")):
            commands.append(line)
    return commands


def test_the_readme_has_snakemake_commands():
    assert len(readme_commands()) >= 4


@pytest.mark.parametrize("command", readme_commands())
def test_readme_command_dry_runs(command):
    args = shlex.split(command)[1:]
    if "--report" in args:
        from snakemake.cli import get_argument_parser

        parsed = get_argument_parser().parse_args(args)
        assert parsed.report and not parsed.targets
        return
    res = subprocess.run([sys.executable, "-m", "snakemake", "--dry-run", *args], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    out = res.stdout + res.stderr
    assert res.returncode == 0, f"{command}\n{out[-3000:]}"
    assert "Traceback" not in out and "This was a dry-run" in out, out[-2000:]

"""The conda environment of the rules and the venv of `make` pin the same versions."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def requirement_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"requirements.txt: {line!r} is not pinned with =="
            pins[name.lower()] = version
    return pins


def conda_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "envs" / "xlt.yaml").read_text())
    pip = next(dep["pip"] for dep in env["dependencies"] if isinstance(dep, dict))
    pins = {}
    for req in pip:
        if req.startswith("-e"):
            continue
        name, _, version = req.partition("==")
        pins[name.lower()] = version
    return pins


def test_conda_env_and_requirements_agree():
    assert conda_pins() == requirement_pins()


def test_conda_env_installs_this_package():
    env = yaml.safe_load((ROOT / "envs" / "xlt.yaml").read_text())
    pip = next(dep["pip"] for dep in env["dependencies"] if isinstance(dep, dict))
    assert "-e .." in pip


def test_every_rule_uses_the_pinned_env():
    for smk in (ROOT / "rules").glob("*.smk"):
        text = smk.read_text()
        assert text.count("rule ") <= text.count("conda:") + text.count("rule all"), smk.name

"""The jobs' conda environments and the venv of `make` pin the same versions; each environment builds from where
conda builds it, holds every package the scripts of its rules can import and no test tools; jobs find `xlt`
without installing it."""

import ast
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml

# Minutes of Snakemake planning and pip resolution: part of `make test`, not of the quick `make check`.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
ENVS = sorted((ROOT / "envs").glob("*.yaml"))

#: In requirements.txt only: what runs Snakemake on the submitting machine, and the test and lint tools.
SUBMIT_AND_TEST_ONLY = {"snakemake", "snakemake-executor-plugin-slurm", "snakemake-executor-plugin-slurm-jobstep",
                        "pytest", "pytest-timeout", "snakefmt"}


def requirement_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"requirements.txt: {line!r} is not pinned with =="
            pins[name.lower()] = version
    return pins


def pip_part(env_file: Path) -> list[str]:
    env = yaml.safe_load(env_file.read_text())
    return next(dep["pip"] for dep in env["dependencies"] if isinstance(dep, dict))


def conda_pins(env_file: Path) -> dict[str, str]:
    pins = {}
    for req in pip_part(env_file):
        name, _, version = req.partition("==")
        assert version, f"{env_file.name}: {req!r} is not pinned with =="
        pins[name.lower()] = version
    return pins


@functools.lru_cache(maxsize=None)
def rule_envs() -> dict[str, tuple[str | None, str | None, bool]]:
    """rule -> (its conda env file relative to rules/, its script's path relative to rules/ or None, whether it
    declares gpu=1), from the workflow as Snakemake reads it (demo config: every rule is defined)."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings

    saved = os.environ.get("PYTHONPATH")
    try:
        with SnakemakeApi(OutputSettings(quiet={"all"})) as sm:
            wf = sm.workflow(resource_settings=ResourceSettings(cores=1), snakefile=ROOT / "Snakefile", workdir=ROOT,
                             config_settings=ConfigSettings(configfiles=[ROOT / "config.yaml",
                                                                         ROOT / "config/demo.yaml"]))
            return {r.name: (r.conda_env, r.script, "gpu" in dict(r.resources)) for r in wf._workflow.rules
                    if r.name != "all"}
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


def test_the_job_environments():
    assert [p.name for p in ENVS] == ["data.yaml", "xlt.yaml"]
    used = {env for env, _, _ in rule_envs().values()}
    assert used == {"../envs/data.yaml", "../envs/xlt.yaml"}  # every rule has one of them
    # the training and inference rules need torch: never the light environment
    assert all(rule_envs()[r][0] == "../envs/xlt.yaml" for r in ("finetune_source", "evaluate_cls", "evaluate_conll", "predict"))


@pytest.mark.parametrize("env_file", ENVS, ids=lambda p: p.name)
def test_conda_env_and_requirements_agree(env_file):
    pins, required = conda_pins(env_file), requirement_pins()
    assert {name: required.get(name) for name in pins} == pins


def test_requirements_hold_the_job_environments_and_the_submit_and_test_tools():
    in_envs = set().union(*(conda_pins(env_file) for env_file in ENVS))
    assert set(requirement_pins()) - in_envs == SUBMIT_AND_TEST_ONLY


@pytest.mark.parametrize("env_file", ENVS, ids=lambda p: p.name)
def test_env_has_no_local_paths_and_no_test_tools(env_file):
    for req in pip_part(env_file):
        assert not req.startswith(("-", ".", "/")) and "file:" not in req and ".." not in req, req
    assert not {"pytest", "pytest-timeout", "snakefmt", "snakemake"} & set(conda_pins(env_file))


def test_every_rule_uses_a_job_environment():
    for smk in (ROOT / "rules").glob("*.smk"):
        text = smk.read_text()
        assert text.count("rule ") <= text.count("conda:") + text.count("rule all"), smk.name


def third_party_imports(paths) -> set[str]:
    """Top-level modules outside the standard library that ``paths`` import (imports inside functions too)."""
    found = set()
    for path in paths:
        for node in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m not in ("xlt", "snakemake")}


def resolve_as_conda_would(env_file: Path, folder: Path, extra: list[str] = ()) -> subprocess.CompletedProcess:
    """conda copies the env file into .snakemake/conda/<hash>.yaml, writes the pip list to a requirements file
    beside it and runs pip from that folder; here pip only resolves (--dry-run), into a report."""
    conda_dir = folder / ".snakemake" / "conda"
    conda_dir.mkdir(parents=True)
    digest = hashlib.sha256(env_file.read_bytes()).hexdigest()[:16]
    shutil.copy(env_file, conda_dir / f"{digest}.yaml")
    requirements = conda_dir / f"condaenv.{digest}.requirements.txt"
    requirements.write_text("\n".join([*pip_part(conda_dir / f"{digest}.yaml"), *extra]) + "\n")
    return subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                           "--disable-pip-version-check", "--report", str(folder / "report.json"), "-r",
                           requirements.name], cwd=conda_dir, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("env_file", ENVS, ids=lambda p: p.name)
def test_pip_part_resolves_from_a_copied_env_file_and_holds_every_import(env_file, tmp_path):
    """Resolved as conda resolves it, the env installs every third-party module that the scripts of its rules, and
    the xlt modules they reach (xlt.codedigest.code_files, imports inside functions included), can import."""
    from xlt.codedigest import code_files

    res = resolve_as_conda_would(env_file, tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    installed = {item["metadata"]["name"].lower().replace("_", "-")
                 for item in json.loads((tmp_path / "report.json").read_text())["install"]}
    dists = metadata.packages_distributions()
    scripts = {(ROOT / "rules" / script).resolve() for env, script, _ in rule_envs().values()
               if env == f"../envs/{env_file.name}" and script}
    assert scripts
    missing = {}
    for script in sorted(scripts):
        for module in third_party_imports(code_files(script)):
            names = {d.lower().replace("_", "-") for d in dists.get(module, [module])}
            if not names & installed:
                missing.setdefault(module, set()).add(script.name)
    assert not missing, f"{env_file.name} does not install what its rules' scripts import: {missing}"


def test_a_relative_editable_install_breaks_where_conda_runs_pip(tmp_path):
    """Why the package is not installed with `-e ..`: from .snakemake/conda/, `..` is .snakemake/."""
    res = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--no-index", "-e", ".."],
                         cwd=(tmp_path / ".snakemake" / "conda").mkdir(parents=True) or tmp_path / ".snakemake" / "conda",
                         capture_output=True, text=True, timeout=120)
    assert res.returncode != 0 and "does not appear to be a Python project" in res.stderr


def test_the_snakefile_puts_this_checkout_first_on_the_jobs_pythonpath(monkeypatch):
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings

    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    with SnakemakeApi(OutputSettings(quiet={"all"})) as sm:
        wf = sm.workflow(resource_settings=ResourceSettings(cores=1), snakefile=ROOT / "Snakefile", workdir=ROOT,
                         config_settings=ConfigSettings(configfiles=[ROOT / "config.yaml", ROOT / "config/demo.yaml"]))
        wf._workflow  # parses the Snakefile
        assert os.environ["PYTHONPATH"].split(os.pathsep) == [str(ROOT), "/elsewhere"]


def test_container_definition_installs_the_job_environment(tmp_path):
    """envs/xlt.def (the Snakefile's container, --sdm apptainer) builds on the env's Python and its %post reads
    the env's pip list: run that step here on a copy of the env file."""
    definition = (ROOT / "envs" / "xlt.def").read_text()
    env = yaml.safe_load((ROOT / "envs" / "xlt.yaml").read_text())
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    assert f"From: python:{python.partition('=')[2]}-slim" in definition
    assert "envs/xlt.yaml /opt/xlt/xlt.yaml" in definition
    assert 'container: "resources/containers/xlt.sif"' in (ROOT / "Snakefile").read_text()
    post = definition.split("\n%post\n")[1].split("\n%")[0]
    extract = next(line.strip() for line in post.splitlines() if line.strip().startswith("python -c"))
    code = extract.removeprefix("python -c ").strip('"').replace("/opt/xlt/", f"{tmp_path}/")
    shutil.copy(ROOT / "envs" / "xlt.yaml", tmp_path / "xlt.yaml")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert (tmp_path / "requirements.txt").read_text().split() == pip_part(ROOT / "envs" / "xlt.yaml")
    assert "-r /opt/xlt/requirements.txt" in post

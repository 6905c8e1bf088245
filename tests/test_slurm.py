"""The cluster profile (profiles/slurm) against a real single-node SLURM cluster started by tests/slurm/cluster.py.

The cluster's only node has a fake GPU, so the GPU rules' `--gpus=1` requests are scheduled as on a GPU
cluster. Skipped, with the reason, where munge/slurmctld/slurmd are not installed or the tests do not run as
root. Every Snakemake run is wrapped in `timeout -k`, and the daemons are stopped after the last test.

    .venv/bin/python -m pytest -q -m slurm tests/test_slurm.py

XLT_SLURM_SLICE (space-separated targets) replaces the slice of the demo DAG that is run through SLURM.
"""

import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("slurm_test_cluster", ROOT / "tests" / "slurm" / "cluster.py")
cluster = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cluster)

pytestmark = pytest.mark.slurm

CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text())
DEMO = yaml.safe_load((ROOT / "config" / "demo.yaml").read_text())
CLS = {**CONFIG["tasks"]["cls"], **DEMO.get("tasks", {}).get("cls", {})}
CLS_SOURCE = f"{CLS['source_language']}-{CLS['domains'][0]}"  # English data of the demo's first domain
SEED = (DEMO.get("seeds") or CONFIG["seeds"])[0]

# Targets of the demo DAG run through SLURM: the synthetic benchmark and the English training split (two SLURM
# jobs). Add a training target, e.g. f"results/cls/{CLS_SOURCE}/seed{SEED}/ft-none/model", for GPU jobs too.
SLICE = os.environ.get("XLT_SLURM_SLICE", f"results/data/cls/en/{CLS['domains'][0]}/train.jsonl").split()
FINETUNE_RUN = f"results/cls/{CLS_SOURCE}/seed{SEED}/ft-none"  # fine-tuning of the plain base model (per source)
FINETUNE_MODEL = f"{FINETUNE_RUN}/model"
FINETUNE_LOG = f"logs/finetune_source/cls-{CLS_SOURCE}-seed{SEED}-none.log"
GPU_RULES = {"bilingual_task_fitting", "finetune_source", "soft_label_step", "hard_label_step", "select_threshold",
             "target_threshold_curve", "evaluate_cls", "evaluate_conll", "predict"}
SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+)")
JOB_BLOCK = re.compile(r"^(local)?rule (\w+):\n((?:[ \t]+.*\n)*?)[ \t]+jobid: (\d+)$", re.M)


@pytest.fixture(scope="session")
def slurm():
    """A running test cluster for the whole session; its daemons are stopped afterwards, even on failure."""
    reason = cluster.missing_requirements()
    if reason:
        pytest.skip(reason)
    state = cluster.start()
    try:
        yield state
    finally:
        cluster.stop(state)
        left = [name for name, pid in cluster.load_ledger(state)["pids"].items() if cluster.alive(pid)]
        assert not left, f"daemons still running after stop: {left}"


@pytest.fixture
def workdir(tmp_path):
    """A fresh working directory for the demo workflow (the Snakefile reads config.yaml from it)."""
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    shutil.copy(ROOT / "config" / "demo.yaml", tmp_path / "demo.yaml")
    return tmp_path


def snakemake_cmd(workdir: Path, *args: str, timeout: int, slurm_profile: bool = True,
                  configfiles: tuple = ("demo.yaml",)) -> list[str]:
    """Snakemake on the demo config in `workdir`, through the SLURM profile unless told otherwise, killed
    after `timeout` seconds.

    `--workflow-profile profiles/slurm` takes the place of profiles/default (a `--profile` would be
    overridden by profiles/default on the keys both set).
    """
    profile = ["--workflow-profile", str(ROOT / "profiles" / "slurm")] if slurm_profile else []
    return ["timeout", "-k", "10", str(timeout), sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"),
            "--directory", str(workdir), "--configfile", *configfiles, *profile, *args]


def snakemake(workdir: Path, *args: str, timeout: int = 150, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(snakemake_cmd(workdir, *args, timeout=timeout, **kw), cwd=workdir, capture_output=True,
                          text=True, timeout=timeout + 30)


def jobs_of(output: str) -> dict[int, tuple[str, bool]]:
    """Snakemake job id -> (rule, runs locally) for every job a Snakemake log announces."""
    return {int(m[4]): (m[2], bool(m[1])) for m in JOB_BLOCK.finditer(output)}


def slurm_job(jobid: str) -> dict[str, str]:
    """`scontrol show job` as a dict (finished jobs stay visible for MinJobAge seconds)."""
    res = subprocess.run(["scontrol", "show", "job", "-o", jobid], capture_output=True, text=True, timeout=10)
    assert res.returncode == 0, res.stderr
    return dict(item.split("=", 1) for item in res.stdout.split() if "=" in item)


def explain(res: subprocess.CompletedProcess, workdir: Path) -> str:
    logs = sorted((workdir / ".snakemake" / "slurm_logs").rglob("*.log")) + sorted((workdir / "logs").rglob("*.log"))
    tails = "".join(f"\n== {p.relative_to(workdir)}\n{p.read_text(errors='replace')[-1500:]}" for p in logs[-6:])
    return f"exit {res.returncode}\n{(res.stdout + res.stderr)[-5000:]}{tails}"


def test_cluster_schedules_gpu_jobs(slurm):
    """The test cluster itself: a `--gpus=1` job runs and sees the fake GPU."""
    res = subprocess.run(["srun", "--gpus=1", "--mem=100", "-t", "1", "printenv", "CUDA_VISIBLE_DEVICES"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "0"


def gpu_rules_planned(tmp_path) -> set[str]:
    """The rules whose jobs declare gpu=1 in a dry run of the demo with a predict file (every GPU rule runs)."""
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    (tmp_path / "news.txt").write_text("ein Satz\n", encoding="utf-8")
    (tmp_path / "demo.yaml").write_text(yaml.safe_dump({**DEMO, "predict": {"conll": {"de": ["news.txt"]}}}))
    res = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory",
                          str(tmp_path), "-n", "--configfile", "demo.yaml"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    gpu, rule = set(), None
    for line in res.stdout.splitlines():
        if re.match(r"^(local)?rule \w+:", line):
            rule = line.split()[1].rstrip(":")
        elif line.strip().startswith("resources:") and re.search(r"\bgpu=1\b", line):
            gpu.add(rule)
    return gpu


def test_profile_requests_gpus_for_gpu_rules_only(tmp_path):
    """Every rule that declares gpu=1 asks SLURM for a GPU; no CPU rule does; partition/account are documented."""
    profile = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    assert profile["executor"] == "slurm" and profile["slurm-status-command"] == "squeue"
    assert profile["retries"] >= 1 and profile["rerun-incomplete"] is True
    assert gpu_rules_planned(tmp_path) == GPU_RULES
    requests = profile["set-resources"]
    assert {rule for rule, res in requests.items() if res.get("gpu") or "gpu" in str(res.get("gres", ""))} == GPU_RULES
    for rule in GPU_RULES:
        assert requests[rule]["cpus_per_gpu"] >= 1 and requests[rule]["runtime"] > 0 and requests[rule]["mem_mb"] > 0
        assert profile["set-threads"][rule] == requests[rule]["cpus_per_gpu"]
    text = (ROOT / "profiles" / "slurm" / "config.yaml").read_text()
    assert "slurm_partition" in text and "slurm_account" in text and "gres" in text


def test_demo_slice_runs_as_slurm_jobs(slurm, workdir):
    """Every non-local job of the slice is submitted with sbatch, completes in SLURM and gets its resources."""
    dry = snakemake(workdir, "-n", *SLICE, timeout=60)
    assert dry.returncode == 0, explain(dry, workdir)
    planned = jobs_of(dry.stdout + dry.stderr)
    assert planned, "the slice has no jobs"

    res = snakemake(workdir, *SLICE)
    assert res.returncode == 0, explain(res, workdir)
    out = res.stdout + res.stderr
    jobs = jobs_of(out)
    assert sorted(rule for rule, _ in jobs.values()) == sorted(rule for rule, _ in planned.values())
    submitted = {int(job): slurm_id for job, slurm_id in SUBMITTED.findall(out)}
    remote = {job for job, (_, local) in jobs.items() if not local}
    assert set(submitted) == remote, f"jobs that did not go through SLURM: {remote - set(submitted)}"
    for job, slurm_id in submitted.items():
        rule = jobs[job][0]
        info = slurm_job(slurm_id)
        assert info["JobState"] == "COMPLETED", (rule, info["JobState"])
        assert info["Comment"].startswith(f"rule_{rule}"), info["Comment"]
        asks_gpu = "gpu" in info.get("TresPerJob", "") + info.get("TresPerNode", "")
        assert asks_gpu == (rule in GPU_RULES), (rule, info.get("TresPerJob"))
    for target in SLICE:
        assert (workdir / target).exists(), target


def wait_until(predicate, timeout: float, what: str, proc: subprocess.Popen):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc.poll() is not None:
            pytest.fail(f"snakemake ended (exit {proc.returncode}) before {what}")
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def running_finetune_job() -> str | None:
    res = subprocess.run(["squeue", "-h", "-t", "RUNNING", "-o", "%i %k"], capture_output=True, text=True, timeout=10)
    for line in res.stdout.splitlines():
        jobid, _, comment = line.partition(" ")
        if comment.startswith("rule_finetune_source"):
            return jobid
    return None


def test_scancel_resumes(slurm, workdir):
    """A fine-tuning job cancelled with scancel mid-training is resubmitted by the retry and resumes from its
    checkpoint (the engine logs 'resuming from step N'), and the final model is written."""
    # 150 small steps, long enough to cancel mid-way, with a checkpoint every 5 steps.
    (workdir / "resume.yaml").write_text(yaml.safe_dump({
        "self_training": {"checkpoint_every": 5},
        "tasks": {"cls": {"finetune": {"epochs": 5, "batch_size": 4}}},
    }))
    configs = ("demo.yaml", "resume.yaml")
    # The inputs of the fine-tuning job are built locally first; only the training job goes through SLURM.
    prep = snakemake(workdir, "--cores", "2", FINETUNE_MODEL, "--omit-from", "finetune_source",
                     slurm_profile=False, configfiles=configs, timeout=400)
    assert prep.returncode == 0, explain(prep, workdir)

    cmd = snakemake_cmd(workdir, "--slurm-keep-successful-logs", FINETUNE_MODEL, timeout=400, configfiles=configs)
    with open(workdir / "snakemake.out", "w") as out:
        proc = subprocess.Popen(cmd, cwd=workdir, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        first = wait_until(running_finetune_job, 120, "the fine-tuning job to run", proc)
        checkpoint = workdir / FINETUNE_RUN / "checkpoints" / "state.pt"
        wait_until(checkpoint.is_file, 180, "a first checkpoint", proc)
        subprocess.run(["scancel", first], check=True, timeout=10)
        proc.wait(timeout=420)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    text = (workdir / "snakemake.out").read_text()
    assert proc.returncode == 0, f"exit {proc.returncode}\n{text[-5000:]}"
    assert slurm_job(first)["JobState"] == "CANCELLED"
    slurm_ids = [slurm_id for _, slurm_id in SUBMITTED.findall(text)]
    assert first in slurm_ids and len(slurm_ids) == 2, slurm_ids  # cancelled attempt + its retry
    retry = slurm_ids[-1]
    assert slurm_job(retry)["JobState"] == "COMPLETED"
    for slurm_id in slurm_ids:  # both attempts asked for the GPU and the CPUs that go with it
        info = slurm_job(slurm_id)
        assert "gpu" in info.get("TresPerJob", ""), info.get("TresPerJob")
        assert info.get("CpusPerTres", "").startswith("gres:gpu:"), info.get("CpusPerTres")
    rule_log = (workdir / FINETUNE_LOG).read_text()
    resumed = re.search(r"resum\w*\D+?(\d+)", rule_log)
    assert resumed and int(resumed[1]) > 0, rule_log[-3000:]
    assert (workdir / FINETUNE_MODEL / "xlt_artifact.json").exists()

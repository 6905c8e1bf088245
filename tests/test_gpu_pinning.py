"""One GPU per local job (xlt/gpus.py, profiles/workstation), tested with a fake device list: no GPU needed."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from xlt import gpus
from xlt.errors import UserError

ROOT = Path(__file__).resolve().parents[1]

HOLDER = textwrap.dedent("""
    import sys, time
    from xlt import gpus
    print(gpus.try_claim(sys.argv[2].split(","), sys.argv[1]), flush=True)
    time.sleep(60)
""")


def hold(lock_dir, devices):
    """A process that claims a device and keeps it; returns (process, its device)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock_dir), ",".join(devices)], stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return proc, proc.stdout.readline().strip()


def test_device_lists():
    assert gpus.parse_devices("0, 2,3") == ["0", "2", "3"]
    assert gpus.parse_devices("auto", {"CUDA_VISIBLE_DEVICES": "4,6"}) == ["4", "6"]
    assert gpus.parse_devices("auto", {"CUDA_VISIBLE_DEVICES": ""}) == []
    with pytest.raises(UserError, match="resources.gpu_devices"):
        gpus.parse_devices("0,0")
    with pytest.raises(UserError, match="no GPU found"):
        gpus.claim_device([], "unused")


def test_each_process_claims_its_own_device_and_a_killed_one_frees_it(tmp_path):
    first, d1 = hold(tmp_path, ["0", "1", "2"])
    second, d2 = hold(tmp_path, ["0", "1", "2"])
    try:
        assert (d1, d2) == ("0", "1")
        third, d3 = hold(tmp_path, ["0", "1"])
        assert d3 == "None"  # both taken
        third.kill()
        first.send_signal(signal.SIGKILL)  # no clean-up: the kernel drops the lock with the process
        first.wait(timeout=30)
        assert gpus.claim_device(["0", "1"], tmp_path, wait_seconds=5, poll=0.1) == "0"
        with pytest.raises(UserError, match="no free GPU among 0,1"):
            gpus.claim_device(["0", "1"], tmp_path, wait_seconds=0.3, poll=0.1)
    finally:
        for proc in (first, second):
            proc.kill()
            proc.wait(timeout=30)


def test_pin_sets_cuda_visible_devices_only_for_local_gpu_jobs(tmp_path):
    env = {"CUDA_VISIBLE_DEVICES": "5,7"}
    assert gpus.pin_job_gpu({"gpu": 0, "gpu_devices": "auto"}, env, tmp_path) is None
    assert gpus.pin_job_gpu({"gpu": 1}, env, tmp_path) is None  # no gpu_devices resource: profiles/default
    assert gpus.pin_job_gpu({"gpu": 1, "gpu_devices": "auto"}, {**env, "SLURM_JOB_ID": "3"}, tmp_path) is None
    assert gpus.pin_job_gpu(SimpleNamespace(gpu=1, gpu_devices="auto"), env, tmp_path) == "5"
    assert env["CUDA_VISIBLE_DEVICES"] == "5"
    with pytest.raises(UserError, match="resources.gpu"):
        gpus.pin_job_gpu({"gpu": 2, "gpu_devices": "0,1"}, {}, tmp_path)


SNAKEFILE = """
rule all:
    input:
        expand("out/{i}.txt", i=range(4)),


rule gpu_job:
    output:
        "out/{i}.txt",
    log:
        "logs/{i}.log",
    resources:
        gpu=1,
    script:
        "job.py"
"""

JOB = """
import os, time
from xlt.gpus import pin_snakemake_job
from xlt.runtime import start

start(snakemake, "gpu_job")
pin_snakemake_job(snakemake)
t0 = time.time()
time.sleep(1.5)
with open(snakemake.output[0], "w") as f:
    f.write(f"{os.environ['CUDA_VISIBLE_DEVICES']} {t0} {time.time()}\\n")
"""


@pytest.mark.slow
def test_workstation_profile_gives_concurrent_jobs_distinct_devices(tmp_path):
    (tmp_path / "Snakefile").write_text(SNAKEFILE)
    (tmp_path / "job.py").write_text(JOB)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CUDA_VISIBLE_DEVICES": "4,6", "XLT_GPU_LOCK_DIR": str(tmp_path / "locks")}
    run = subprocess.run([sys.executable, "-m", "snakemake", "--workflow-profile", str(ROOT / "profiles" / "workstation"),
                          "--cores", "4", "--resources", "gpu=2", "--quiet"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    jobs = [line.split() for line in (p.read_text() for p in sorted((tmp_path / "out").glob("*.txt")))]
    assert len(jobs) == 4 and {j[0] for j in jobs} == {"4", "6"}
    for i, a in enumerate(jobs):
        for b in jobs[i + 1:]:
            overlap = float(a[1]) < float(b[2]) and float(b[1]) < float(a[2])
            assert not (overlap and a[0] == b[0]), (a, b)  # two jobs at once never share a device
    assert any(float(a[1]) < float(b[2]) and float(b[1]) < float(a[2]) for a in jobs for b in jobs if a is not b)


def rule_scripts() -> dict[str, tuple[str, bool]]:
    """rule -> (its script's name, whether it declares gpu=1), from the workflow as Snakemake reads it."""
    from test_environment import rule_envs

    return {rule: (Path(script).stem, gpu) for rule, (_, script, gpu) in rule_envs().items() if script}


def test_workstation_profile_sets_the_threads_of_the_gpu_rules_only():
    profile = yaml.safe_load((ROOT / "profiles" / "workstation" / "config.yaml").read_text())
    assert set(profile["set-threads"]) == {rule for rule, (_, gpu) in rule_scripts().items() if gpu}
    assert 'gpu_devices="auto"' in profile["default-resources"]


def test_the_scripts_of_gpu_rules_and_only_those_pin_a_device():
    scripts = rule_scripts()
    assert sum(gpu for _, gpu in scripts.values()) == 9  # evaluate_cls and evaluate_conll share evaluate_run.py
    for rule, (script, gpu) in scripts.items():
        text = (ROOT / "workflow_scripts" / f"{script}.py").read_text()
        assert ("pin_snakemake_job(snakemake)" in text) == gpu, rule

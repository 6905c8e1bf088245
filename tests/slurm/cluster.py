"""A real single-node SLURM cluster on this machine, for the cluster tests and CI.

It runs Debian's munge, slurmctld and slurmd (packages `munge slurmctld slurmd slurm-client`) as root, with
one node `localhost` that has a fake GPU (`Gres=gpu:1`, backed by /dev/null), so that jobs asking for
`--gpus=1` are scheduled as on a GPU cluster (torch still finds no CUDA in them).

    python tests/slurm/cluster.py start [--state DIR]   # prints the state folder once the node is idle
    python tests/slurm/cluster.py stop  [--state DIR]   # cancels every job, stops what `start` started
    python tests/slurm/cluster.py status [--state DIR]

Every wait is bounded, so a broken installation fails with a message instead of hanging. `stop` ends only
the daemons that `start` launched (their pids are kept in <state>/started.json): a munged that was already
running is reused and left alone. slurm.conf must live at /etc/slurm/slurm.conf (the job-step plugin of
Snakemake drops SLURM_CONF before its nested srun); an existing file there is kept aside and put back on
`stop`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_STATE = Path(os.environ.get("XLT_SLURM_STATE", "/tmp/xlt-slurm"))
ETC = Path("/etc/slurm")
MARKER = "# Written by tests/slurm/cluster.py: a single-node test cluster."
DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "scancel", "sinfo", "srun", "munge", "unmunge")
# Resources the node claims. slurmd accepts them as configured (SlurmdParameters=config_overrides), so the
# cluster profile's real requests (several CPUs per GPU, gigabytes of memory) are accepted on a small machine;
# jobs are not pinned to cores (task/none) and simply share the real ones.
NODE_CPUS = 16
NODE_MEMORY_MB = 64000
NODE_GPUS = 1


class ClusterError(RuntimeError):
    """The test cluster could not be started or stopped; the message says which step and why."""


def sbin(name: str) -> str | None:
    """Path of a daemon or client, also where /usr/sbin is not on PATH."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")


def missing_requirements() -> str | None:
    """Why a test cluster cannot run here (None when it can)."""
    missing = [name for name in DAEMONS + CLIENTS if sbin(name) is None]
    if missing:
        return (
            f"SLURM/munge not installed (missing {', '.join(missing)}); install with "
            "apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge"
        )
    if os.geteuid() != 0:
        return "the local SLURM test cluster must run as root (it writes /etc/slurm and starts slurmd)"
    return None


def slurm_conf(state: Path) -> str:
    """slurm.conf of the test cluster: one node, one partition, no accounting, jobs start at once."""
    return f"""{MARKER}
ClusterName=xlt-test
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation={state}/ctld
SlurmdSpoolDir={state}/spool
SlurmctldPidFile={state}/slurmctld.pid
SlurmdPidFile={state}/slurmd.pid
SlurmctldLogFile={state}/slurmctld.log
SlurmdLogFile={state}/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SlurmdParameters=config_overrides
GresTypes=gpu
MpiDefault=none
ReturnToService=2
SchedulerParameters=batch_sched_delay=0
MinJobAge=600
SlurmctldTimeout=30
SlurmdTimeout=30
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
NodeName=localhost CPUs={NODE_CPUS} RealMemory={NODE_MEMORY_MB} Gres=gpu:{NODE_GPUS} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""


GRES_CONF = f"""{MARKER}
# A fake GPU: without File= the node drains; /dev/null lets jobs see CUDA_VISIBLE_DEVICES=0.
NodeName=localhost Name=gpu File=/dev/null
"""


def run(cmd: list[str], timeout: float = 10, check: bool = True, **kw) -> subprocess.CompletedProcess:
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired as err:
        raise ClusterError(f"`{' '.join(cmd)}` did not finish within {timeout} s") from err
    if check and res.returncode != 0:
        raise ClusterError(f"`{' '.join(cmd)}` failed ({res.returncode}): {(res.stderr or res.stdout).strip()}")
    return res


def wait_for(what: str, predicate, timeout: float, logs: list[Path] = ()) -> None:
    """Poll `predicate` until it is true; on timeout raise with the tail of the given logs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    tails = "".join(f"\n--- {p}:\n{tail(p)}" for p in logs)
    raise ClusterError(f"timed out after {timeout} s waiting for {what}{tails}")


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours counts as gone
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def munge_works() -> bool:
    try:
        cred = subprocess.run([sbin("munge"), "-n"], capture_output=True, timeout=5)
        if cred.returncode != 0:
            return False
        res = subprocess.run([sbin("unmunge")], input=cred.stdout, capture_output=True, timeout=5)
    except subprocess.TimeoutExpired:
        return False
    return res.returncode == 0


def node_state() -> str:
    """State of the node as sinfo reports it ("idle", ...), or "" while no controller answers."""
    try:
        res = run([sbin("sinfo"), "-h", "-N", "-o", "%T"], timeout=5, check=False)
    except ClusterError:  # sinfo keeps retrying an unreachable controller
        return ""
    return res.stdout.strip() if res.returncode == 0 else ""


def ledger(state: Path) -> Path:
    return state / "started.json"


def load_ledger(state: Path) -> dict:
    try:
        return json.loads(ledger(state).read_text())
    except (OSError, ValueError):
        return {"pids": {}, "conf_backup": {}}


def save_ledger(state: Path, data: dict) -> None:
    tmp = ledger(state).with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(ledger(state))


def spawn(name: str, cmd: list[str], state: Path, data: dict, **kw) -> int:
    """Start a daemon in the foreground of its own session; record its pid before anything else can fail."""
    out = open(state / f"{name}.out", "ab")
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True, **kw)
    out.close()
    data["pids"][name] = proc.pid
    save_ledger(state, data)
    return proc.pid


def install_conf(state: Path, data: dict) -> None:
    """Write slurm.conf and gres.conf to /etc/slurm, keeping files that are not ours aside for `stop`."""
    ETC.mkdir(parents=True, exist_ok=True)
    for name, text in (("slurm.conf", slurm_conf(state)), ("gres.conf", GRES_CONF)):
        dest = ETC / name
        if (dest.exists() or dest.is_symlink()) and MARKER not in dest.read_text(errors="replace"):
            backup = state / f"{name}.orig"
            shutil.move(dest, backup)
            data["conf_backup"][name] = str(backup)
            save_ledger(state, data)
        dest.write_text(text)


def restore_conf(data: dict) -> None:
    for name in ("slurm.conf", "gres.conf"):
        dest = ETC / name
        if dest.exists() and MARKER in dest.read_text(errors="replace"):
            dest.unlink()
        backup = data.get("conf_backup", {}).get(name)
        if backup and Path(backup).exists():
            shutil.move(backup, dest)


def start(state: Path = DEFAULT_STATE, timeout: float = 60) -> Path:
    """Bring the cluster up and wait until its node is idle; returns the state folder.

    Daemons left running from this state folder by an interrupted run are stopped first. On any failure the
    daemons already started are stopped again before the error is raised.
    """
    reason = missing_requirements()
    if reason:
        raise ClusterError(reason)
    if any(alive(pid) for pid in load_ledger(state).get("pids", {}).values()):
        stop(state)  # left over from an interrupted run: the pids are our own daemons
    conf = ETC / "slurm.conf"
    if conf.exists() and MARKER not in conf.read_text(errors="replace") and node_state():
        raise ClusterError(f"a SLURM controller of {conf} already answers sinfo; not starting a second one")
    shutil.rmtree(state, ignore_errors=True)
    (state / "ctld").mkdir(parents=True)
    (state / "spool").mkdir()
    data = {"pids": {}, "conf_backup": {}}
    save_ledger(state, data)
    try:
        install_conf(state, data)
        if not munge_works():
            key = Path("/etc/munge/munge.key")
            if not key.exists():
                run([sbin("mungekey") or "mungekey", "--create", f"--keyfile={key}"])
                shutil.chown(key, "munge", "munge")
            rundir = Path("/run/munge")
            rundir.mkdir(parents=True, exist_ok=True)
            shutil.chown(rundir, "munge", "munge")
            munge_log = state / "munged.log"
            munge_log.touch()
            shutil.chown(munge_log, "munge", "munge")
            spawn("munged", [sbin("munged"), "--foreground", "--force", f"--log-file={munge_log}"],
                  state, data, user="munge", group="munge")
            wait_for("munged to answer (munge -n | unmunge)", munge_works, 15, [munge_log, state / "munged.out"])
        spawn("slurmctld", [sbin("slurmctld"), "-D", "-c", "-i"], state, data)
        wait_for("slurmctld to answer sinfo", lambda: bool(node_state()), timeout,
                 [state / "slurmctld.log", state / "slurmctld.out"])
        spawn("slurmd", [sbin("slurmd"), "-D", "-N", "localhost"], state, data)
        wait_for("the node to become idle (sinfo)", lambda: node_state() == "idle", timeout,
                 [state / "slurmd.log", state / "slurmctld.log"])
    except BaseException:
        stop(state)
        raise
    return state


def stop(state: Path = DEFAULT_STATE, timeout: float = 20) -> list[str]:
    """Cancel every job, then stop the daemons `start` launched (newest first); returns their names.

    Each daemon gets SIGTERM, then SIGKILL if it is still there after `timeout` seconds.
    """
    data = load_ledger(state)
    pids = data.get("pids", {})
    stopped = []
    if pids.get("slurmctld") and alive(pids["slurmctld"]) and sbin("scancel"):
        try:
            run([sbin("scancel"), "--full", "--user", "root"], timeout=10, check=False)
            wait_for("jobs to end after scancel", lambda: not squeue_ids(), 15)
        except ClusterError:
            pass  # the daemons are stopped below anyway
    for name in reversed(list(pids)):
        pid = pids[name]
        if not alive(pid):
            continue
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + timeout
            while alive(pid) and time.monotonic() < deadline:
                reap(pid)
                time.sleep(0.1)
            reap(pid)
            if not alive(pid):
                break
        stopped.append(name)
    restore_conf(data)
    data["pids"] = {}
    data["conf_backup"] = {}
    if state.exists():
        save_ledger(state, data)
    return stopped


def reap(pid: int) -> None:
    """Collect the exit status of a daemon that is our own child (no zombie is left behind)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def squeue_ids() -> list[str]:
    res = run([sbin("squeue"), "-h", "-o", "%i"], timeout=5, check=False)
    return res.stdout.split() if res.returncode == 0 else []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("--state", type=Path, default=DEFAULT_STATE, help=f"state folder (default {DEFAULT_STATE})")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for each daemon")
    args = parser.parse_args(argv)
    try:
        if args.action == "start":
            start(args.state, args.timeout)
            print(f"SLURM test cluster up (state, logs: {args.state}); node: {node_state()}")
        elif args.action == "stop":
            names = stop(args.state)
            print(f"stopped: {', '.join(names) or 'nothing was running'}")
        else:
            pids = load_ledger(args.state).get("pids", {})
            running = {n: p for n, p in pids.items() if alive(p)}
            print(f"daemons: {running or 'none'}; node: {node_state() or 'no controller'}")
    except ClusterError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

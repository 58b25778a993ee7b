"""The Slurm recipes of docs/fleet.md on a REAL single-node Slurm: munged, slurmctld and slurmd
started on localhost from a minimal slurm.conf in a temporary directory, then the documented
`srun` line and batch script, then `dlenv fleet` on what they wrote.

Skipped where Slurm or munge is not installed or the suite is not root (slurmd launches tasks
as root here); scripts/test.sh installs Debian's slurm-wlm and munge when it runs as root.
Nothing but 127.0.0.1 is contacted: both daemons listen on free local ports.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("srun", "sbatch", "sinfo", "slurmctld", "slurmd", "munged")
MISSING = [t for t in TOOLS if shutil.which(t) is None and not Path(f"/usr/sbin/{t}").exists()]

pytestmark = [
    pytest.mark.slurm,
    pytest.mark.skipif(bool(MISSING), reason=f"Slurm not installed (no {', '.join(MISSING)})"),
    pytest.mark.skipif(
        not hasattr(os, "geteuid") or os.geteuid() != 0,
        reason="a local slurmd launches tasks as root: run the suite as root",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tool(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


SLURM_CONF = """\
ClusterName=dlenvtest
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
AuthType=auth/munge
AuthInfo=socket={dir}/munge/sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation={dir}/state
SlurmdSpoolDir={dir}/spool
SlurmctldPidFile={dir}/slurmctld.pid
SlurmdPidFile={dir}/slurmd.pid
SlurmctldLogFile={dir}/slurmctld.log
SlurmdLogFile={dir}/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
NodeName={node} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


@pytest.fixture(scope="module")
def slurm() -> Iterator[dict[str, str]]:
    """A running one-node cluster; yields the environment that reaches it."""
    # munge's socket path must stay short (sun_path): not under pytest's long tmp_path
    base = Path(tempfile.mkdtemp(prefix="dlenv-slurm-"))
    for sub in ("state", "spool", "munge"):
        (base / sub).mkdir(mode=0o700)
    key = base / "munge" / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    node = socket.gethostname().split(".")[0]
    conf = base / "slurm.conf"
    conf.write_text(
        SLURM_CONF.format(
            node=node,
            dir=base,
            ctld_port=_free_port(),
            slurmd_port=_free_port(),
            cpus=os.cpu_count() or 1,
        ),
        encoding="utf-8",
    )
    env = {**os.environ, "SLURM_CONF": str(conf)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    munge = base / "munge"
    daemons = [
        subprocess.Popen(
            [
                _tool("munged"),
                "-F",
                "--force",
                f"--key-file={key}",
                f"--socket={munge / 'sock'}",
                f"--pid-file={munge / 'pid'}",
                f"--seed-file={munge / 'seed'}",
                f"--log-file={munge / 'log'}",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        _wait_for(lambda: (munge / "sock").exists(), "munged's socket", base)
        for argv in ([_tool("slurmctld"), "-D", "-i"], [_tool("slurmd"), "-D"]):
            daemons.append(
                subprocess.Popen(
                    argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            )
        _wait_for(lambda: _idle(env), "the node to be idle", base)
        yield env
    finally:
        for process in reversed(daemons):
            process.terminate()
        for process in reversed(daemons):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(base, ignore_errors=True)


def _idle(env: dict[str, str]) -> bool:
    done = subprocess.run(
        [_tool("sinfo"), "-h", "-o", "%T"], env=env, capture_output=True, text=True, check=False
    )
    return "idle" in done.stdout


def _wait_for(ready: object, what: str, base: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(ready) and ready():
            return
        time.sleep(0.2)
    logs = "\n".join(
        p.read_text(errors="replace")[-2000:] for p in base.rglob("*.log") if p.is_file()
    )
    pytest.fail(f"the local Slurm did not come up: waited {timeout:.0f} s for {what}\n{logs}")


def _doc_block(lang: str, marker: str) -> str:
    text = (ROOT / "docs" / "fleet.md").read_text(encoding="utf-8")
    blocks = re.findall(rf"```{lang}\n(.*?)```", text, re.S)
    return next(b for b in blocks if marker in b)


def test_documented_srun_line(slurm: dict[str, str], tmp_path: Path) -> None:
    block = _doc_block("bash", "srun --nodes=16")
    line = next(x for x in block.splitlines() if x.startswith("srun"))
    # one node here, and static facts only (the live probes are tested elsewhere)
    line = line.replace("--nodes=16", "--nodes=1") + " --quick"
    (tmp_path / "reports").mkdir()
    start = time.monotonic()
    done = subprocess.run(
        line, shell=True, cwd=tmp_path, env=slurm, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - start < 30
    node = socket.gethostname().split(".")[0]
    assert [p.name for p in (tmp_path / "reports").iterdir()] == [f"{node}.json"]
    merged = subprocess.run(
        [sys.executable, "-m", "dlenv", "fleet", "reports/", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    data = json.loads(merged.stdout)
    assert [n["source"] for n in data["nodes"]] == [f"reports/{node}.json"]
    assert data["problems"] == []


def test_documented_batch_script(slurm: dict[str, str], tmp_path: Path) -> None:
    script = _doc_block("bash", "#SBATCH")
    # this cluster has one node and no GPU resources configured
    script = script.replace("--nodes=16", "--nodes=1").replace("#SBATCH --gres=gpu:8\n", "")
    script = script.replace("--fail-on never", "--fail-on never --quick")
    (tmp_path / "fleet-check.sbatch").write_text(script, encoding="utf-8")
    (tmp_path / "dlenv.toml").write_text(
        "[fleet]\nmin_nodes = 1\nsame_driver = true\n", encoding="utf-8"
    )
    done = subprocess.run(
        [_tool("sbatch"), "--wait", "fleet-check.sbatch"],
        cwd=tmp_path,
        env=slurm,
        capture_output=True,
        text=True,
        timeout=90,
    )
    outputs = "".join(p.read_text() for p in tmp_path.glob("dlenv-fleet-*.out"))
    assert done.returncode == 0, done.stderr + outputs
    assert "dlenv fleet PASSED: 1 node meet the policy and agree" in outputs
    root = ET.parse(tmp_path / "fleet.xml").getroot()
    nodes = root.findall("testsuite")[0]
    assert (nodes.get("tests"), nodes.get("failures")) == ("1", "0")

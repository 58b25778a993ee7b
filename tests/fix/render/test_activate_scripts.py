"""A conda env as a prefix directory: activate.d/deactivate.d sourced in a real bash restore
every previous value exactly (set, previously unset, values with spaces and quotes)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from dlenv.errors import DlenvError
from dlenv.fix.actions import PrependPath, SetEnv, UnsetEnv
from dlenv.fix.targets import Target, apply_now, conda_prefix, undo_now

SHOW = 'printf "%s|%s|%s|%s\\n" "${CUDA_HOME-UNSET}" "${XLA_FLAGS-UNSET}" '
SHOW += '"${LD_LIBRARY_PATH-UNSET}" "${TF_X-UNSET}"'


@pytest.mark.shells
@pytest.mark.parametrize(
    ("env", "before"),
    [
        ({}, "UNSET|UNSET|UNSET|UNSET"),
        (
            {
                "CUDA_HOME": "/old cuda/it's",
                "XLA_FLAGS": "",
                "LD_LIBRARY_PATH": "/a b:/c",
                "TF_X": "$x `y`",
            },
            "/old cuda/it's||/a b:/c|$x `y`",
        ),
    ],
)
def test_activate_then_deactivate_restores_exactly(
    env: dict[str, str], before: str, tmp_path: Path, isolated_home: Path
) -> None:
    prefix = tmp_path / "my env"
    (prefix / "conda-meta").mkdir(parents=True)
    actions = [
        SetEnv(name="CUDA_HOME", value="/new cuda"),
        SetEnv(name="XLA_FLAGS", value="--xla_gpu_cuda_data_dir='/new cuda'"),
        PrependPath(name="LD_LIBRARY_PATH", entries=["/new cuda/lib64"]),
        UnsetEnv(name="TF_X"),
    ]
    apply_now(actions, Target(kind="conda", conda_prefix=conda_prefix({}, prefix)), os.environ)
    act = prefix / "etc" / "conda" / "activate.d" / "dlenv.sh"
    deact = prefix / "etc" / "conda" / "deactivate.d" / "dlenv.sh"
    # activated twice (conda re-runs activate.d on `conda activate` of the active env)
    script = (
        f"{SHOW}\n. '{act}'\n. '{act}'\n{SHOW}\n. '{deact}'\n{SHOW}\nenv | grep -c _DLENV_ || true"
    )
    done = subprocess.run(
        ["bash", "-c", script],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        timeout=20,
        check=True,
    )
    assert done.stdout.decode().split("\n") == [
        before,
        "/new cuda|--xla_gpu_cuda_data_dir='/new cuda'|/new cuda/lib64"
        + (":/a b:/c" if env else "")
        + "|UNSET",
        before,
        "0",
        "",
    ]
    undo_now()
    assert not act.exists() and not deact.exists()


def test_conda_target_needs_a_conda_env(tmp_path: Path) -> None:
    with pytest.raises(DlenvError, match=r"needs an active conda environment \(\$CONDA_PREFIX\)"):
        conda_prefix({}, None)
    with pytest.raises(DlenvError, match="not a conda environment"):
        conda_prefix({"CONDA_PREFIX": str(tmp_path)}, None)

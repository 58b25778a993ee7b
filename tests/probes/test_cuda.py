"""Tests for dlenv.probes.cuda: every toolkit found once, versioned from the right file."""

from __future__ import annotations

import json
import os

from dlenv.probes.cuda import collect_cuda
from dlenv.snapshot.model import CudaToolkit, PipCudaPackage
from dlenv.system.fake import Command, FakeSystem
from dlenv.system.real import RealSystem
from tests.machines.cuda import (
    SITE,
    add_libs,
    conda_cuda,
    pip_wheel,
    system_toolkit,
    target,
)

CONDA = "/opt/conda/envs/tf"


def three_cuda_machine() -> tuple[FakeSystem, list[object]]:
    fs = FakeSystem(
        env_vars={
            "PATH": "/usr/local/cuda/bin:/usr/bin",
            "CUDA_HOME": "/usr/local/cuda",
            "CONDA_PREFIX": CONDA,
        }
    )
    system_toolkit(fs, "/usr/local/cuda-11.8", "11.8.89")
    system_toolkit(fs, "/usr/local/cuda-12.2", "12.2.140")
    fs.add_symlink("/usr/local/cuda", "/usr/local/cuda-12.2")
    conda_cuda(fs, CONDA, "11.8.0")
    runtime = pip_wheel(
        fs, "nvidia-cuda-runtime-cu12", "12.1.105", ["nvidia/cuda_runtime/lib/libcudart.so.12"]
    )
    return fs, [runtime]


def test_three_cuda_machine_finds_each_toolkit_once_with_every_way_it_was_found() -> None:
    fs, dists = three_cuda_machine()
    facts = collect_cuda(fs, target(*dists))  # type: ignore[arg-type]
    lib122 = "/usr/local/cuda/lib64"
    assert facts.toolkits == [
        CudaToolkit(
            path="/usr/local/cuda",
            version="12.2.140",
            version_source="version.json",
            kind="system",
            found_by=["CUDA_HOME", "PATH (nvcc)", "/usr/local/cuda", "/usr/local/cuda-12.2"],
            nvcc="/usr/local/cuda/bin/nvcc",
            cudart=[f"{lib122}/libcudart.so.12"],
            realpath="/usr/local/cuda-12.2",
        ),
        CudaToolkit(
            path="/usr/local/cuda-11.8",
            version="11.8.89",
            version_source="version.json",
            kind="system",
            found_by=["/usr/local/cuda-11.8"],
            nvcc="/usr/local/cuda-11.8/bin/nvcc",
            cudart=["/usr/local/cuda-11.8/lib64/libcudart.so.11.0"],
        ),
        CudaToolkit(
            path=CONDA,
            version="11.8.0",
            version_source="conda-meta (cudatoolkit)",
            kind="conda",
            found_by=["CONDA_PREFIX"],
            cudart=[f"{CONDA}/lib/libcudart.so.11.0", f"{CONDA}/lib/libcudart.so.11.8.89"],
        ),
        CudaToolkit(
            path=f"{SITE}/nvidia/cuda_runtime",
            version="12.1.105",
            version_source="dist-info (nvidia-cuda-runtime-cu12)",
            kind="pip",
            found_by=["pip wheel nvidia-cuda-runtime-cu12"],
            cudart=[f"{SITE}/nvidia/cuda_runtime/lib/libcudart.so.12"],
            package="nvidia-cuda-runtime-cu12 12.1.105",
        ),
    ]
    assert facts.pip_packages == [
        PipCudaPackage(
            name="nvidia-cuda-runtime-cu12",
            version="12.1.105",
            location=SITE,
            libraries=[f"{SITE}/nvidia/cuda_runtime/lib/libcudart.so.12"],
        )
    ]
    assert facts.cuda_home == "/usr/local/cuda"
    assert facts.nvcc_on_path == "/usr/local/cuda/bin/nvcc"
    assert facts.unknown == {}
    assert fs.calls == []  # every version came from a file: no nvcc subprocess


def test_cuda_home_pointing_at_a_missing_directory_is_reported_not_counted() -> None:
    fs = FakeSystem(env_vars={"CUDA_HOME": "/usr/local/cuda-12.4", "PATH": "/usr/bin"})
    system_toolkit(fs, "/usr/local/cuda-12.2", "12.2.140", nvcc=False)
    facts = collect_cuda(fs, target())
    assert [t.path for t in facts.toolkits] == ["/usr/local/cuda-12.2"]
    assert facts.cuda_home == "/usr/local/cuda-12.4"
    assert facts.unknown == {"CUDA_HOME": "CUDA_HOME=/usr/local/cuda-12.4 is not a directory"}
    assert facts.nvcc_on_path is None


def test_symlinked_toolkit_elsewhere_is_one_toolkit_with_its_realpath() -> None:
    fs = FakeSystem(env_vars={"CUDA_PATH": "/opt/cuda"})
    system_toolkit(fs, "/data/toolkits/cuda-12.4", "12.4.131")
    fs.add_symlink("/opt/cuda", "/data/toolkits/cuda-12.4")
    facts = collect_cuda(fs, target())
    assert len(facts.toolkits) == 1
    toolkit = facts.toolkits[0]
    assert (toolkit.path, toolkit.realpath, toolkit.found_by) == (
        "/opt/cuda",
        "/data/toolkits/cuda-12.4",
        ["CUDA_PATH", "/opt/cuda"],
    )
    assert toolkit.version == "12.4.131"


def _version_of(fs: FakeSystem) -> tuple[str | None, str | None]:
    toolkit = collect_cuda(fs, target()).toolkits[0]
    return toolkit.version, toolkit.version_source


def test_version_from_each_source() -> None:
    cases = {
        "json": ("12.2.140", "version.json"),
        "txt": ("10.2.89", "version.txt"),
        "header": ("12.2", "cuda.h"),
        "filename": ("11.7.99", "libcudart.so.11.7.99"),
    }
    versions = {"json": "12.2.140", "txt": "10.2.89", "header": "12.2.0", "filename": "11.7.99"}
    for source, expected in cases.items():
        fs = FakeSystem()
        system_toolkit(fs, "/usr/local/cuda-x", versions[source], source=source)
        assert _version_of(fs) == expected, source
        assert fs.calls == []


def test_version_json_wins_over_header_and_file_name() -> None:
    fs = FakeSystem()
    system_toolkit(
        fs, "/usr/local/cuda-12.2", "12.2.140", source="json", cudart_file="libcudart.so.12.2.999"
    )
    fs.add_file(
        "/usr/local/cuda-12.2/targets/x86_64-linux/include/cuda.h", "#define CUDA_VERSION 12010\n"
    )
    assert _version_of(fs) == ("12.2.140", "version.json")


def test_corrupt_version_json_falls_through_to_the_next_source() -> None:
    fs = FakeSystem()
    system_toolkit(fs, "/usr/local/cuda-12.2", "12.2.0", source="header")
    fs.add_file("/usr/local/cuda-12.2/version.json", "{not json")
    assert _version_of(fs) == ("12.2", "cuda.h")


def test_nvcc_is_asked_once_and_only_when_no_file_answers() -> None:
    fs = FakeSystem()
    system_toolkit(fs, "/usr/local/cuda-12.1", "12.1.0", source="none")
    fs.add_command(
        "/usr/local/cuda-12.1/bin/nvcc --version",
        Command(
            stdout="nvcc: NVIDIA (R) Cuda compiler driver\nCuda compilation tools, "
            "release 12.1, V12.1.105\nBuild cuda_12.1.r12.1/compiler.32688072_0\n"
        ),
    )
    toolkit = collect_cuda(fs, target()).toolkits[0]
    assert (toolkit.version, toolkit.version_source, toolkit.nvcc_version) == (
        "12.1.105",
        "nvcc --version",
        "12.1.105",
    )
    assert fs.calls == [("/usr/local/cuda-12.1/bin/nvcc", "--version")]


def test_no_version_anywhere_says_where_it_looked() -> None:
    fs = FakeSystem()
    system_toolkit(fs, "/usr/local/cuda-12.1", "12.1.0", source="none", nvcc=False)
    toolkit = collect_cuda(fs, target()).toolkits[0]
    assert toolkit.version is None
    assert toolkit.unknown == {
        "version": "no version.json, version.txt, cuda.h or versioned libcudart under "
        "/usr/local/cuda-12.1, and no nvcc to ask"
    }


def test_nvcc_wrapper_script_on_path_points_at_its_real_toolkit() -> None:
    fs = FakeSystem(env_vars={"PATH": "/usr/local/bin:/usr/bin"})
    system_toolkit(fs, "/usr/local/cuda-13.0", "13.0.96")
    fs.add_file("/usr/local/bin/nvcc", '#!/bin/sh\nexec /usr/local/cuda-13.0/bin/nvcc "$@"\n')
    facts = collect_cuda(fs, target())
    assert [(t.path, t.found_by) for t in facts.toolkits] == [
        ("/usr/local/cuda-13.0", ["PATH (nvcc)", "/usr/local/cuda-13.0"])
    ]
    assert facts.nvcc_on_path == "/usr/local/bin/nvcc"


def test_debian_nvidia_cuda_toolkit_layout() -> None:
    fs = FakeSystem(env_vars={"PATH": "/usr/bin"})
    fs.add_executable("/usr/bin/nvcc")
    add_libs(fs, "/usr/lib/x86_64-linux-gnu", "libcudart.so.12.0.146", "libc.so.6")
    fs.add_symlink("/usr/lib/x86_64-linux-gnu/libcudart.so.12", "libcudart.so.12.0.146")
    fs.add_symlink("/usr/lib/cuda/include", "/usr/include")  # what the package ships there
    facts = collect_cuda(fs, target())
    assert facts.toolkits == [
        CudaToolkit(
            path="/usr",
            version="12.0.146",
            version_source="libcudart.so.12.0.146",
            kind="system",
            found_by=["PATH (nvcc)", "Debian package layout", "/usr/lib/cuda"],
            nvcc="/usr/bin/nvcc",
            cudart=[
                "/usr/lib/x86_64-linux-gnu/libcudart.so.12",
                "/usr/lib/x86_64-linux-gnu/libcudart.so.12.0.146",
            ],
        )
    ]


def test_cuda13_wheels_share_nvidia_cu13_and_make_one_toolkit() -> None:
    fs = FakeSystem()
    runtime = pip_wheel(fs, "nvidia-cuda-runtime", "13.0.96", ["nvidia/cu13/lib/libcudart.so.13"])
    nvcc = pip_wheel(fs, "nvidia-cuda-nvcc", "13.0.88", ["nvidia/cu13/bin/nvcc"])
    facts = collect_cuda(fs, target(runtime, nvcc))
    assert [(t.path, t.kind, t.version, t.found_by, t.nvcc) for t in facts.toolkits] == [
        (
            f"{SITE}/nvidia/cu13",
            "pip",
            "13.0.96",
            ["pip wheel nvidia-cuda-runtime", "pip wheel nvidia-cuda-nvcc"],
            f"{SITE}/nvidia/cu13/bin/nvcc",
        )
    ]
    assert [p.libraries for p in facts.pip_packages] == [
        [f"{SITE}/nvidia/cu13/lib/libcudart.so.13"],
        [],
    ]


def test_conda_env_of_the_target_counts_without_conda_prefix_set() -> None:
    fs = FakeSystem()
    conda_cuda(fs, CONDA, "11.8.0")
    t = target(kind="conda", prefix=CONDA)
    facts = collect_cuda(fs, t)
    assert [(x.path, x.found_by, x.version) for x in facts.toolkits] == [
        (CONDA, ["conda env of the target interpreter"], "11.8.0")
    ]


def test_conda_env_without_cuda_is_no_toolkit() -> None:
    fs = FakeSystem(env_vars={"CONDA_PREFIX": CONDA})
    fs.add_file(f"{CONDA}/conda-meta/python-3.11.7-h955ad1f_0.json", "{}")
    assert collect_cuda(fs, target()).toolkits == []


def test_windows_toolkits_from_cuda_path_vars_and_program_files() -> None:
    base = "C:/Program Files/NVIDIA GPU Computing Toolkit/CUDA"
    fs = FakeSystem(
        platform_name="win32",
        env_vars={
            "CUDA_PATH": "C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v12.4",
            "CUDA_PATH_V12_4": "C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v12.4",
            "CUDA_PATH_V11_8": "D:\\gone\\v11.8",
        },
    )
    fs.add_file(f"{base}/v12.4/version.json", json.dumps({"cuda": {"version": "12.4.131"}}))
    fs.add_file(f"{base}/v12.4/bin/cudart64_12.dll", b"MZ")
    fs.add_file(f"{base}/v11.8/version.json", json.dumps({"cuda": {"version": "11.8.89"}}))
    facts = collect_cuda(fs, target())
    assert [(t.path, t.version, t.found_by, t.cudart) for t in facts.toolkits] == [
        (
            f"{base}/v12.4",
            "12.4.131",
            ["CUDA_PATH", "CUDA_PATH_V12_4", base],
            [f"{base}/v12.4/bin/cudart64_12.dll"],
        ),
        (f"{base}/v11.8", "11.8.89", [base], []),
    ]
    assert facts.unknown == {"CUDA_PATH_V11_8": "CUDA_PATH_V11_8=D:/gone/v11.8 is not a directory"}


def test_real_machine_cuda_tree_is_seen_when_present_and_absence_reported_otherwise() -> None:
    system = RealSystem(env={"PATH": "/usr/bin:/bin"})
    facts = collect_cuda(system, target(site="/nonexistent-site", prefix="/nonexistent"))
    root = os.path.realpath("/usr/local/cuda")
    found = [t for t in facts.toolkits if (t.realpath or t.path) == root]
    if os.path.isdir("/usr/local/cuda"):
        assert len(found) == 1
        toolkit = found[0]
        assert "/usr/local/cuda" in toolkit.found_by
        assert toolkit.version is not None and toolkit.version_source is not None
        major = toolkit.version.split(".")[0]
        # the tree's own files must agree with what was read
        if os.path.exists(f"{root}/version.json"):
            with open(f"{root}/version.json") as fh:
                assert toolkit.version == json.load(fh)["cuda"]["version"]
        assert any(os.path.basename(p).startswith(f"libcudart.so.{major}") for p in toolkit.cudart)
        assert all(os.path.exists(p) for p in toolkit.cudart)
    else:
        assert found == []
        assert all(not t.path.startswith("/usr/local/cuda") for t in facts.toolkits)

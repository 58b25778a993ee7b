"""Tests for dlenv.probes.cudnn: cuDNN from headers, libraries, wheels, conda, Debian packages."""

from __future__ import annotations

from dlenv.probes.cuda import collect_cuda
from dlenv.snapshot.model import CudnnInstall
from dlenv.system.fake import FakeSystem
from tests.machines.cuda import (
    SITE,
    add_libs,
    conda_cuda,
    cudnn_header,
    pip_wheel,
    system_toolkit,
    target,
)

MULTIARCH = "/usr/lib/x86_64-linux-gnu"


def test_cudnn8_copied_into_a_toolkit_header_and_libs() -> None:
    fs = FakeSystem()
    system_toolkit(fs, "/usr/local/cuda-11.8", "11.8.89")
    lib = "/usr/local/cuda-11.8/targets/x86_64-linux/lib"
    add_libs(fs, lib, "libcudnn.so.8.9.7", "libcudnn_ops_infer.so.8", "libcudnn_cnn_infer.so.8")
    fs.add_symlink(f"{lib}/libcudnn.so.8", "libcudnn.so.8.9.7")
    fs.add_symlink(f"{lib}/libcudnn.so", "libcudnn.so.8")
    fs.add_file(
        "/usr/local/cuda-11.8/targets/x86_64-linux/include/cudnn_version.h", cudnn_header(8, 9, 7)
    )
    facts = collect_cuda(fs, target())
    libdir = "/usr/local/cuda-11.8/lib64"
    assert facts.cudnn == [
        CudnnInstall(
            path=libdir,
            version="8.9.7",
            major=8,
            kind="system",
            header="/usr/local/cuda-11.8/include/cudnn_version.h",
            libraries=[
                f"{libdir}/libcudnn.so",
                f"{libdir}/libcudnn.so.8",
                f"{libdir}/libcudnn.so.8.9.7",
                f"{libdir}/libcudnn_cnn_infer.so.8",
                f"{libdir}/libcudnn_ops_infer.so.8",
            ],
            cuda_major=11,
            version_source="cudnn_version.h",
        )
    ]


def test_cudnn9_split_libraries_in_a_pip_wheel() -> None:
    fs = FakeSystem()
    names = [
        "libcudnn.so.9",
        "libcudnn_adv.so.9",
        "libcudnn_cnn.so.9",
        "libcudnn_engines_precompiled.so.9",
        "libcudnn_engines_runtime_compiled.so.9",
        "libcudnn_graph.so.9",
        "libcudnn_heuristic.so.9",
        "libcudnn_ops.so.9",
    ]
    dist = pip_wheel(
        fs,
        "nvidia-cudnn-cu12",
        "9.1.0.70",
        [f"nvidia/cudnn/lib/{n}" for n in names] + ["nvidia/cudnn/include/cudnn_version.h"],
    )
    fs.add_file(f"{SITE}/nvidia/cudnn/include/cudnn_version.h", cudnn_header(9, 1, 0))
    facts = collect_cuda(fs, target(dist))
    assert facts.cudnn == [
        CudnnInstall(
            path=f"{SITE}/nvidia/cudnn/lib",
            version="9.1.0.70",
            major=9,
            kind="pip",
            header=f"{SITE}/nvidia/cudnn/include/cudnn_version.h",
            libraries=[f"{SITE}/nvidia/cudnn/lib/{n}" for n in names],
            package="nvidia-cudnn-cu12 9.1.0.70",
            cuda_major=12,
            version_source="dist-info",
        )
    ]


def test_conda_cudnn_version_from_conda_meta() -> None:
    prefix = "/opt/conda/envs/tf"
    fs = FakeSystem(env_vars={"CONDA_PREFIX": prefix})
    conda_cuda(fs, prefix, "11.8.0", cudnn="8.9.2.26")
    facts = collect_cuda(fs, target())
    assert facts.cudnn == [
        CudnnInstall(
            path=f"{prefix}/lib",
            version="8.9.2.26",
            major=8,
            kind="conda",
            header=f"{prefix}/include/cudnn_version.h",
            libraries=[
                f"{prefix}/lib/libcudnn.so.8",
                f"{prefix}/lib/libcudnn.so.8.9.2",
                f"{prefix}/lib/libcudnn_ops_infer.so.8",
            ],
            version_source="conda-meta (cudnn)",
        )
    ]


def test_debian_packages_two_majors_side_by_side_and_alternatives_header() -> None:
    fs = FakeSystem()
    add_libs(fs, MULTIARCH, "libcudnn.so.8.9.7", "libcudnn.so.9.1.0", "libcudnn_graph.so.9.1.0")
    fs.add_symlink(f"{MULTIARCH}/libcudnn.so.8", "libcudnn.so.8.9.7")
    fs.add_symlink(f"{MULTIARCH}/libcudnn.so.9", "libcudnn.so.9.1.0")
    fs.add_file("/usr/include/x86_64-linux-gnu/cudnn_version_v9.h", cudnn_header(9, 1, 0))
    fs.add_symlink(
        "/etc/alternatives/cudnn_version_h", "/usr/include/x86_64-linux-gnu/cudnn_version_v9.h"
    )
    fs.add_symlink("/usr/include/cudnn_version.h", "/etc/alternatives/cudnn_version_h")
    facts = collect_cuda(fs, target())
    assert facts.cudnn == [
        CudnnInstall(
            path=MULTIARCH,
            version="8.9.7",
            major=8,
            kind="system",
            libraries=[f"{MULTIARCH}/libcudnn.so.8", f"{MULTIARCH}/libcudnn.so.8.9.7"],
            version_source="file name",
        ),
        CudnnInstall(
            path=MULTIARCH,
            version="9.1.0",
            major=9,
            kind="system",
            header="/usr/include/cudnn_version.h",
            libraries=[
                f"{MULTIARCH}/libcudnn.so.9",
                f"{MULTIARCH}/libcudnn.so.9.1.0",
                f"{MULTIARCH}/libcudnn_graph.so.9.1.0",
            ],
            version_source="cudnn_version.h",
        ),
    ]


def test_old_cudnn_h_header_without_library_is_recorded_as_header_only() -> None:
    fs = FakeSystem()
    fs.add_file(
        "/usr/include/cudnn.h", cudnn_header(7, 6, 5) + "cudnnStatus_t cudnnCreate(void);\n"
    )
    facts = collect_cuda(fs, target())
    assert facts.cudnn == [
        CudnnInstall(
            path="/usr/include",
            version="7.6.5",
            major=7,
            kind="system",
            header="/usr/include/cudnn.h",
            version_source="cudnn.h",
        )
    ]


def test_near_miss_files_are_not_cudnn() -> None:
    fs = FakeSystem()
    add_libs(fs, MULTIARCH, "libcudnn_frontend_notes.txt", "libcudnnx.so.8", "libcudart.so.12")
    fs.add_file("/usr/include/cudnn_version.h", "/* empty: no macros */\n")
    assert collect_cuda(fs, target()).cudnn == []

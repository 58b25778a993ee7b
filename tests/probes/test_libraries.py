"""Tests for dlenv.probes.libraries and .ldcache: the loader's choice, predicted without loading."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from dlenv.probes.cuda import collect_cuda
from dlenv.probes.ldcache import LdCacheEntry, parse_ld_so_cache, parse_ldconfig_p, read_ld_cache
from dlenv.probes.libraries import read_elf_dynamic, resolve_libraries
from dlenv.snapshot.model import FrameworkFacts, LibraryResolution, ResolvedLibrary
from dlenv.system.fake import Command, FakeSystem
from dlenv.system.real import RealSystem
from tests.machines.cuda import (
    SITE,
    add_libs,
    elf_with_dynamic,
    ld_so_cache,
    pip_cuda_wheels,
    system_toolkit,
    target,
)

TORCH_RPATH = ":".join(
    f"$ORIGIN/../../nvidia/{d}/lib" for d in ("cublas", "cuda_runtime", "cudnn", "nccl")
)
TORCH = FrameworkFacts(
    name="torch",
    distribution="torch",
    version="2.1.2+cu121",
    location=f"{SITE}/torch",
    cuda_build=True,
    cuda_version="12.1",
    cudnn_version="8.9.2",
    variant="cu121",
)
TF = FrameworkFacts(
    name="tensorflow",
    distribution="tensorflow",
    version="2.15.0",
    location=f"{SITE}/tensorflow",
    cuda_build=True,
    cuda_version="12.2",
    cudnn_version="8",
)
CUDA118 = "/usr/local/cuda-11.8/lib64"


def torch_machine(*, runpath: bool = False, env: dict[str, str] | None = None) -> FakeSystem:
    fs = FakeSystem(env_vars=env or {})
    deps = f"{SITE}/torch/lib/libtorch_global_deps.so"
    rpath = f"{TORCH_RPATH}:$ORIGIN"
    fs.add_file(deps, elf_with_dynamic(runpath=rpath) if runpath else elf_with_dynamic(rpath=rpath))
    system_toolkit(fs, "/usr/local/cuda-11.8", "11.8.89")
    add_libs(fs, "/usr/local/cuda-11.8/targets/x86_64-linux/lib", "libcudnn.so.8")
    return fs


def resolve(fs: FakeSystem, frameworks: list[FrameworkFacts]) -> list[LibraryResolution]:
    dists = pip_cuda_wheels(fs) if fs.exists(f"{SITE}/torch") else []
    t = target(*dists)
    return resolve_libraries(fs, t, frameworks, collect_cuda(fs, t))


def wheel(name: str, soname: str, package: str, version: str) -> ResolvedLibrary:
    return ResolvedLibrary(
        name=name,
        soname=soname,
        path=f"{SITE}/nvidia/{name if name != 'cudart' else 'cuda_runtime'}/lib/{soname}",
        version=version,
        via=f"pip wheel {package}",
    )


def test_torch_cu121_wheel_resolves_every_library_to_the_nvidia_wheels() -> None:
    assert resolve(torch_machine(), [TORCH]) == [
        LibraryResolution(
            framework="torch",
            libraries=[
                wheel("cudart", "libcudart.so.12", "nvidia-cuda-runtime-cu12", "12.1.105"),
                wheel("cublas", "libcublas.so.12", "nvidia-cublas-cu12", "12.1.3.1"),
                wheel("cudnn", "libcudnn.so.8", "nvidia-cudnn-cu12", "8.9.2.26"),
                wheel("nccl", "libnccl.so.2", "nvidia-nccl-cu12", "2.18.1"),
            ],
        )
    ]


def test_ld_library_path_cannot_shadow_torch_rpath_but_shadows_a_runpath_build() -> None:
    env = {"LD_LIBRARY_PATH": CUDA118}
    cudnn_rpath = resolve(torch_machine(env=env), [TORCH])[0].libraries[2]
    assert cudnn_rpath == ResolvedLibrary(
        name="cudnn",
        soname="libcudnn.so.8",
        path=f"{SITE}/nvidia/cudnn/lib/libcudnn.so.8",
        version="8.9.2.26",
        via="pip wheel nvidia-cudnn-cu12",
        candidates=[f"{CUDA118}/libcudnn.so.8"],
    )
    cudnn_runpath = resolve(torch_machine(runpath=True, env=env), [TORCH])[0].libraries[2]
    assert cudnn_runpath == ResolvedLibrary(
        name="cudnn",
        soname="libcudnn.so.8",
        path=f"{CUDA118}/libcudnn.so.8",
        version="8",
        via="LD_LIBRARY_PATH",
        candidates=[f"{SITE}/nvidia/cudnn/lib/libcudnn.so.8"],
    )
    # libcudart.so.11.0 in the same dir is a different soname: no effect on CUDA 12's runtime
    assert resolve(torch_machine(runpath=True, env=env), [TORCH])[0].libraries[0].via == (
        "pip wheel nvidia-cuda-runtime-cu12"
    )


def test_torch_without_a_readable_elf_uses_the_documented_wheel_layout() -> None:
    fs = FakeSystem()
    fs.add_dir(f"{SITE}/torch/lib")
    fs.add_file(f"{SITE}/torch/__init__.py", "")
    libs = resolve(fs, [TORCH])[0].libraries
    assert [(lib.name, lib.via) for lib in libs] == [
        ("cudart", "pip wheel nvidia-cuda-runtime-cu12"),
        ("cublas", "pip wheel nvidia-cublas-cu12"),
        ("cudnn", "pip wheel nvidia-cudnn-cu12"),
        ("nccl", "pip wheel nvidia-nccl-cu12"),
    ]


def test_tensorflow_gpu_build_with_no_cuda_anywhere_is_not_found_with_reasons() -> None:
    fs = FakeSystem()
    add_libs(fs, "/usr/lib/x86_64-linux-gnu", "libc.so.6")
    fs.add_file(f"{SITE}/tensorflow/__init__.py", "")
    [resolution] = resolve(fs, [TF])
    assert [(lib.name, lib.soname, lib.path) for lib in resolution.libraries] == [
        ("cudart", "libcudart.so.12", None),
        ("cublas", "libcublas.so.12", None),
        ("cufft", "libcufft.so.11", None),
        ("cusparse", "libcusparse.so.12", None),
        ("cusolver", "libcusolver.so.11", None),
        ("cudnn", "libcudnn.so.8", None),
        ("nccl", "libnccl.so.2", None),
    ]
    assert resolution.libraries[0].reason == (
        "libcudart.so.12 not found; looked in LD_LIBRARY_PATH (unset); "
        f"DT_RUNPATH ({SITE}/tensorflow and 25 missing); ld.so.cache (no /etc/ld.so.cache); "
        "default dirs (/usr/lib/x86_64-linux-gnu, /usr/lib)"
    )


def test_tensorflow_with_libraries_only_in_the_ld_cache() -> None:
    fs = FakeSystem()
    system_toolkit(fs, "/usr/local/cuda-12.2", "12.2.140")
    lib = "/usr/local/cuda-12.2/targets/x86_64-linux/lib"
    add_libs(fs, lib, "libcublas.so.12", "libcudnn.so.8")
    fs.add_file(f"{SITE}/tensorflow/__init__.py", "")
    fs.add_file(
        "/etc/ld.so.cache",
        ld_so_cache(
            [
                ("libcudnn.so.8", f"{lib}/libcudnn.so.8"),
                ("libcudart.so.12", f"{lib}/libcudart.so.12"),
                ("libcublas.so.12", f"{lib}/libcublas.so.12"),
                ("libcufft.so.11", f"{lib}/libcufft.so.11"),  # stale entry: the file is gone
            ]
        ),
    )
    libs = {lib.name: lib for lib in resolve(fs, [TF])[0].libraries}
    assert libs["cudart"] == ResolvedLibrary(
        name="cudart",
        soname="libcudart.so.12",
        path=f"{lib}/libcudart.so.12",
        version="12.2.140",
        via="ld.so.cache",
    )
    assert (libs["cublas"].path, libs["cublas"].via) == (f"{lib}/libcublas.so.12", "ld.so.cache")
    assert (libs["cudnn"].path, libs["cudnn"].via) == (f"{lib}/libcudnn.so.8", "ld.so.cache")
    assert libs["cufft"].path is None
    assert "ld.so.cache (/etc/ld.so.cache: 1 entries for libcufft.so.11)" in (
        libs["cufft"].reason or ""
    )


def test_cpu_builds_and_other_frameworks_are_not_resolved() -> None:
    cpu = FrameworkFacts(name="torch", distribution="torch", version="2.3.0+cpu", cuda_build=False)
    keras = FrameworkFacts(name="keras", distribution="keras", version="3.3.3", cuda_build=None)
    assert resolve(FakeSystem(), [cpu, keras]) == []


def test_unknown_cuda_and_cudnn_versions_say_so() -> None:
    fw = FrameworkFacts(name="jax", distribution="jaxlib", version="0.4.30", cuda_build=True)
    [resolution] = resolve(FakeSystem(), [fw])
    assert [(lib.name, lib.reason) for lib in resolution.libraries][:2] == [
        ("cudart", "jax was built for an unknown CUDA version: no soname known"),
        ("cublas", "jax was built for an unknown CUDA version: no soname known"),
    ]
    assert resolution.libraries[5].reason == "the cuDNN version jax was built for is unknown"


# -- ld.so.cache --------------------------------------------------------------------------------
def test_ld_so_cache_round_trip_and_architecture_filter() -> None:
    data = ld_so_cache([("libcudart.so.12", "/usr/lib/x86_64-linux-gnu/libcudart.so.12")])
    assert parse_ld_so_cache(data) == [
        LdCacheEntry("libcudart.so.12", "/usr/lib/x86_64-linux-gnu/libcudart.so.12", 0x0303)
    ]
    fs = FakeSystem(files={"/etc/ld.so.cache": data})
    cache = read_ld_cache(fs)
    assert len(cache.lookup("libcudart.so.12", "x86_64")) == 1
    assert cache.lookup("libcudart.so.12", "aarch64") == []
    assert fs.calls == []


def test_corrupt_ld_so_cache_falls_back_to_ldconfig() -> None:
    fs = FakeSystem(files={"/etc/ld.so.cache": b"garbage"})
    fs.add_command(
        "ldconfig -p",
        Command(stdout="2 libs found in cache\n\tlibz.so.1 (libc6,x86-64) => /lib/libz.so.1\n"),
    )
    cache = read_ld_cache(fs)
    assert (cache.source, cache.entries) == (
        "ldconfig -p",
        (LdCacheEntry("libz.so.1", "/lib/libz.so.1", 0x0303),),
    )
    broken = FakeSystem(files={"/etc/ld.so.cache": b"glibc-ld.so.cache1.1" + b"\xff" * 30})
    assert read_ld_cache(broken).error == (
        "/etc/ld.so.cache: header claims 4294967295 entries, file too short; ldconfig: not found"
    )


def test_real_ld_so_cache_parses_like_ldconfig_p_when_present() -> None:
    cache = read_ld_cache(RealSystem())
    ldconfig = shutil.which("ldconfig") or "/sbin/ldconfig"
    if os.path.exists("/etc/ld.so.cache") and os.path.exists(ldconfig):
        out = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, check=True).stdout
        assert (cache.source, cache.error) == ("/etc/ld.so.cache", None)
        assert list(cache.entries) == parse_ldconfig_p(out)
    else:
        assert cache.entries == ()


# -- ELF ----------------------------------------------------------------------------------------
def test_elf_reader_on_real_gcc_output(tmp_path: Path) -> None:
    source = tmp_path / "x.c"
    source.write_text("#include <string.h>\nint x(const char *s) { return (int)strlen(s); }\n")
    results = {}
    for tags in ("--disable-new-dtags", "--enable-new-dtags"):
        out = tmp_path / f"lib{tags.strip('-')}.so"
        subprocess.run(
            [
                "gcc",
                "-shared",
                "-fPIC",
                "-o",
                str(out),
                str(source),
                f"-Wl,{tags},-rpath,$ORIGIN/../nvidia/cublas/lib:/opt/x",
                "-Wl,-soname,libx.so.1",
            ],
            check=True,
        )
        results[tags] = read_elf_dynamic(RealSystem(), str(out))
    old, new = results["--disable-new-dtags"], results["--enable-new-dtags"]
    assert old is not None and new is not None
    assert (old.rpath, old.runpath, old.soname) == (
        ["$ORIGIN/../nvidia/cublas/lib", "/opt/x"],
        [],
        "libx.so.1",
    )
    assert (new.rpath, new.runpath) == ([], ["$ORIGIN/../nvidia/cublas/lib", "/opt/x"])
    assert "libc.so.6" in old.needed


def test_elf_reader_rejects_non_elf_and_far_dynamic_sections() -> None:
    fs = FakeSystem(
        files={"/a.so": b"not an elf at all" * 10, "/b.so": elf_with_dynamic(rpath="/x")}
    )
    assert read_elf_dynamic(fs, "/a.so") is None
    assert read_elf_dynamic(fs, "/b.so", limit=200) is None
    dyn = read_elf_dynamic(fs, "/b.so")
    assert dyn is not None and dyn.rpath == ["/x"]

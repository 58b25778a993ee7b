"""collect_frameworks: build facts read from files, on machines as data and on the real venv."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from dlenv.probes.frameworks import (
    collect_frameworks,
    normalise_tf_version,
    parse_assignments,
    torch_variant,
)
from dlenv.probes.pythonenv import collect_python
from dlenv.probes.target import TargetInterpreter
from dlenv.snapshot.model import FrameworkFacts
from dlenv.system.fake import FakeSystem
from dlenv.system.real import RealSystem
from tests.machines.python import (
    HOME,
    TF_CPU_BUILD,
    TORCH_CU121_REQUIRES,
    add_dist,
    add_keras,
    add_python,
    add_tensorflow,
    add_torch,
    python_env,
    site_of,
)

SITE = site_of("venv")
Builder = Callable[[FakeSystem], Sequence[dict[str, Any]]]


def machine(
    build: Builder,
    env: Mapping[str, str] | None = None,
    modules: Mapping[str, str | None] | None = None,
) -> tuple[FakeSystem, TargetInterpreter]:
    system = FakeSystem(env_vars={"PATH": f"{HOME}/venv/bin", "HOME": HOME, **(env or {})})
    system.add_dir(HOME)
    dists = build(system)
    add_python(system, python_env(dists=dists, modules=modules))
    return system, collect_python(system, None)


def frameworks(
    build: Builder,
    env: Mapping[str, str] | None = None,
    modules: Mapping[str, str | None] | None = None,
) -> list[FrameworkFacts]:
    system, target = machine(build, env, modules)
    return collect_frameworks(system, target)


# -- PyTorch ----------------------------------------------------------------------------------
def test_pypi_torch_cuda_wheel() -> None:
    facts = frameworks(lambda s: [add_torch(s, "2.3.1+cu121", "12.1", dist_version="2.3.1")])
    assert facts == [
        FrameworkFacts(
            name="torch",
            distribution="torch",
            version="2.3.1+cu121",
            location=f"{SITE}/torch",
            cuda_build=True,
            rocm_build=False,
            cuda_version="12.1",
            variant="cu121",
            build_source="torch/version.py",
            requires=[
                'nvidia-cuda-runtime-cu12==12.1.105; platform_system == "Linux" and '
                'platform_machine == "x86_64"',
                'nvidia-cudnn-cu12==8.9.2.26; platform_system == "Linux" and '
                'platform_machine == "x86_64"',
                'triton==2.3.1; platform_system == "Linux" and platform_machine == "x86_64" and '
                'python_version < "3.12"',
            ],
            details={
                "distribution_version": "2.3.1",
                "git_version": "0" * 40,
                "debug": "False",
            },
            unknown={"nccl_version": TORCH_NCCL_LINKED_IN},
        )
    ]


TORCH_NCCL_LINKED_IN = (
    "no nvidia-nccl wheel required and no versioned libnccl in torch/lib: NCCL is linked into "
    "libtorch_cuda.so (the live probe reads its version)"
)
NCCL_WHEEL = 'nvidia-nccl-cu12==2.20.5; platform_system == "Linux" and platform_machine == "x86_64"'


def test_torch_ships_the_nccl_of_its_nvidia_nccl_wheel() -> None:
    def build(system: FakeSystem) -> list[dict[str, Any]]:
        return [
            add_torch(system, "2.3.1+cu121", "12.1", requires=(*TORCH_CU121_REQUIRES, NCCL_WHEEL)),
            add_dist(system, "nvidia-nccl-cu12", "2.20.5"),
        ]

    [torch] = frameworks(build)
    assert (torch.nccl_version, torch.nccl_source) == ("2.20.5", "nvidia-nccl-cu12 wheel")
    assert "nccl_version" not in torch.unknown


def test_torch_requiring_an_nccl_wheel_that_is_not_installed() -> None:
    [torch] = frameworks(
        lambda s: [add_torch(s, "2.3.1+cu121", "12.1", requires=(*TORCH_CU121_REQUIRES, NCCL_WHEEL))]
    )
    assert (torch.nccl_version, torch.nccl_source) == (None, None)
    assert torch.unknown["nccl_version"] == "nvidia-nccl-cu12 required but not installed"


def test_torch_with_libnccl_in_its_own_lib_directory() -> None:
    """conda-forge's pytorch and older wheels keep libnccl beside libtorch_cuda.so."""

    def build(system: FakeSystem) -> list[dict[str, Any]]:
        torch = add_torch(system, "1.13.1+cu117", "11.7", requires=())
        system.add_file(f"{SITE}/torch/lib/libnccl.so.2.14.3", b"\x7fELF")
        system.add_symlink(f"{SITE}/torch/lib/libnccl.so.2", "libnccl.so.2.14.3")
        return [torch]

    [torch] = frameworks(build)
    assert (torch.nccl_version, torch.nccl_source) == ("2.14.3", "torch/lib/libnccl.so.2.14.3")


def test_jax_cuda_plugin_with_cuda_extra_brings_the_nccl_wheel() -> None:
    def build(system: FakeSystem) -> list[dict[str, Any]]:
        return [
            add_dist(system, "jax", "0.4.30", requires=("jaxlib<=0.4.30,>=0.4.27",)),
            add_dist(system, "jaxlib", "0.4.30"),
            add_dist(
                system,
                "jax-cuda12-plugin",
                "0.4.30",
                requires=('nvidia-nccl-cu12>=2.18.1; extra == "with-cuda"',),
            ),
            add_dist(system, "nvidia-nccl-cu12", "2.22.3"),
        ]

    [jax] = frameworks(build)
    assert (jax.nccl_version, jax.nccl_source) == ("2.22.3", "nvidia-nccl-cu12 wheel")


def test_cpu_builds_ship_no_nccl_and_say_nothing_about_it() -> None:
    [torch] = frameworks(lambda s: [add_torch(s, "2.3.1+cpu", None, requires=())])
    [tf] = frameworks(lambda s: [add_tensorflow(s, "tensorflow-cpu", build=TF_CPU_BUILD)])
    for fact in (torch, tf):
        assert (fact.nccl_version, fact.nccl_source) == (None, None)
        assert "nccl_version" not in fact.unknown


def test_torch_rocm_and_cpu_builds() -> None:
    [rocm] = frameworks(
        lambda s: [add_torch(s, "2.3.1+rocm6.0", None, hip="6.0.32830-d62f6a171", requires=())]
    )
    assert (rocm.cuda_build, rocm.rocm_build, rocm.variant, rocm.details["hip"]) == (
        False,
        True,
        "rocm6.0",
        "6.0.32830-d62f6a171",
    )
    [cpu] = frameworks(lambda s: [add_torch(s, "2.2.1", None, requires=("filelock",))])
    assert (cpu.cuda_build, cpu.variant, cpu.requires, cpu.cuda_version) == (
        False,
        "cpu",
        [],
        None,
    )


@pytest.mark.parametrize(
    ("version", "cuda", "hip", "variant"),
    [
        ("2.3.1+cu118", "11.8", None, "cu118"),
        ("2.3.1", "12.1", None, "cu121"),
        ("2.4.0", None, None, "cpu"),
        ("2.3.1", None, "6.0.32830-d62f6a171", "rocm6.0"),
        ("2.5.0+xpu", None, None, "xpu"),
        ("2.4.0a0+git1234", "12.4", None, "cu124"),
    ],
)
def test_torch_variant(version: str, cuda: str | None, hip: str | None, variant: str) -> None:
    assert torch_variant(version, cuda, hip) == variant


def test_corrupt_torch_version_py_is_a_fact_not_a_crash() -> None:
    [torch] = frameworks(
        lambda s: [add_torch(s, "2.3.1", version_py="__version__ = '2.3.1\ncuda = (\n")]
    )
    assert torch == FrameworkFacts(
        name="torch",
        distribution="torch",
        version="2.3.1",
        location=f"{SITE}/torch",
        build_source="METADATA",
        requires=[r for r in TORCH_CU121_REQUIRES if r.startswith(("nvidia-", "triton"))],
        unknown={
            "cuda_version": "torch/version.py is not valid Python "
            "(line 1: unterminated string literal (detected at line 1))"
        },
    )


def test_missing_torch_version_py_and_metadata() -> None:
    def build(system: FakeSystem) -> list[dict[str, Any]]:
        dist = add_torch(system, "2.3.1")
        del system.files[f"{SITE}/torch/version.py"]
        del system.files[f"{SITE}/torch-2.3.1.dist-info/METADATA"]
        return [dist]

    [torch] = frameworks(build)
    assert torch.unknown == {
        "cuda_version": f"torch/version.py not found or unreadable ({SITE}/torch/version.py)",
        "requires": f"METADATA of torch 2.3.1 not found in {SITE}",
    }
    assert (torch.version, torch.cuda_build, torch.variant) == ("2.3.1", None, None)


def test_shadowing_torch_package_is_the_one_read() -> None:
    def build(system: FakeSystem) -> list[dict[str, Any]]:
        system.add_file("/opt/old/torch/version.py", "__version__ = '1.13.1+cu117'\ncuda = '11.7'")
        return [add_torch(system, "2.3.1+cu121")]

    [torch] = frameworks(build, modules={"torch": "/opt/old/torch"})
    assert (torch.version, torch.cuda_version, torch.location, torch.details) == (
        "1.13.1+cu117",
        "11.7",
        "/opt/old/torch",
        {"distribution_version": "2.3.1+cu121"},
    )


def test_parse_assignments_never_executes() -> None:
    source = "import os\nx = os.system('touch /tmp/pwned')\n__version__ = '1'\ncuda: str = None\n"
    assert parse_assignments(source) == {"__version__": "1", "cuda": None}


# -- TensorFlow -------------------------------------------------------------------------------
def test_tensorflow_cuda_build() -> None:
    [tf] = frameworks(lambda s: [add_tensorflow(s)])
    assert tf == FrameworkFacts(
        name="tensorflow",
        distribution="tensorflow",
        version="2.15.0",
        location=f"{SITE}/tensorflow",
        cuda_build=True,
        rocm_build=False,
        cuda_version="12.2",
        cudnn_version="8",
        variant="cuda",
        build_source="build_info.py",
        requires=[
            "keras<2.16,>=2.15.0",
            'nvidia-cuda-runtime-cu12==12.2.140; extra == "and-cuda"',
            'nvidia-cudnn-cu12==8.9.4.25; extra == "and-cuda"',
        ],
        details={
            "cpu_compiler": "/usr/lib/llvm-17/bin/clang",
            "cuda_compute_capabilities": "sm_50,sm_60,sm_70,sm_80,compute_90",
            "is_tensorrt_build": "True",
        },
        unknown={
            "nccl_version": "tensorflow requires no nvidia-nccl wheel: NCCL is linked into the build"
        },
    )


def test_tensorflow_cpu_distribution_name_and_cpu_build() -> None:
    [tf] = frameworks(
        lambda s: [add_tensorflow(s, "tensorflow-cpu", "2.16.1", TF_CPU_BUILD, requires=())]
    )
    assert (tf.distribution, tf.cuda_build, tf.cuda_version, tf.variant, tf.requires) == (
        "tensorflow-cpu",
        False,
        None,
        "cpu",
        [],
    )


# A real Windows build_info.py (tensorflow-gpu 2.4 era, MSVC 2019), from
# https://github.com/Maxi1324/DeepLearningInANutshell Env/Lib/site-packages/tensorflow/python/
# platform/build_info.py: CUDA and cuDNN are written as "64_112" and "64_8".
WINDOWS_BUILD_INFO = (
    '"""Auto-generated module providing information about the build."""\n'
    "import collections\n\n"
    "build_info = collections.OrderedDict([('cpu_compiler', 'C:/Program Files (x86)/Microsoft "
    "Visual Studio/2019/Community/VC/Tools/MSVC/14.27.29110/bin/HostX64/x64/cl.exe'), "
    "('cuda_compute_capabilities', ['sm_35', 'sm_50', 'sm_60', 'sm_70', 'sm_75', 'compute_80']),"
    " ('cuda_version', '64_112'), ('cudart_dll_name', 'cudart64_112.dll'), ('cudnn_dll_name', "
    "'cudnn64_8.dll'), ('cudnn_version', '64_8'), ('is_cuda_build', True), ('is_rocm_build', "
    "False), ('is_tensorrt_build', False), ('msvcp_dll_names', 'msvcp140.dll,msvcp140_1.dll'), "
    "('nvcuda_dll_name', 'nvcuda.dll')])\n"
)


def test_windows_build_info_versions_are_normalised() -> None:
    [tf] = frameworks(
        lambda s: [add_tensorflow(s, "tensorflow", "2.5.0", build_info_py=WINDOWS_BUILD_INFO)]
    )
    assert (tf.cuda_version, tf.cudnn_version, tf.details["cuda_version_raw"]) == (
        "11.2",
        "8",
        "64_112",
    )
    assert tf.details["cudart_dll_name"] == "cudart64_112.dll"


@pytest.mark.parametrize(
    ("raw", "normal"), [("64_112", "11.2"), ("64_8", "8"), ("12.3", "12.3"), (None, None)]
)
def test_normalise_tf_version(raw: str | None, normal: str | None) -> None:
    assert normalise_tf_version(raw) == normal


def test_old_tensorflow_module_constants() -> None:
    text = "is_cuda_build = True\ncuda_version_number = '10.1'\ncudnn_version_number = '7'\n"
    [tf] = frameworks(lambda s: [add_tensorflow(s, "tensorflow-gpu", "2.2.0", build_info_py=text)])
    assert (tf.cuda_build, tf.cuda_version, tf.cudnn_version, tf.variant) == (
        True,
        "10.1",
        "7",
        "cuda",
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("build_info = compute()\n", "tensorflow/python/platform/build_info.py has no build_info"),
        (
            "build_info = collections.OrderedDict([('is_cuda_build', True\n",
            "tensorflow/python/platform/build_info.py is not valid Python "
            "(line 1: '(' was never closed)",
        ),
    ],
)
def test_unusable_build_info(text: str, reason: str) -> None:
    [tf] = frameworks(lambda s: [add_tensorflow(s, build_info_py=text)])
    assert (tf.cuda_build, tf.variant, tf.build_source, tf.unknown) == (
        None,
        None,
        None,
        {"cuda_build": reason},
    )
    assert tf.version == "2.15.0"


# -- Keras ------------------------------------------------------------------------------------
def _keras(env: Mapping[str, str] | None = None, files: Mapping[str, str] | None = None) -> Any:
    def build(system: FakeSystem) -> list[dict[str, Any]]:
        for path, text in (files or {}).items():
            system.add_file(path, text)
        return [add_keras(system, "3.3.3")]

    [keras] = frameworks(build, env)
    return (keras.backend, keras.backend_source, keras.unknown)


def test_keras_backend_sources() -> None:
    config = f"{HOME}/.keras/keras.json"
    assert _keras() == ("tensorflow", "default", {})
    assert _keras(files={config: '{"backend": "jax"}'}) == ("jax", config, {})
    assert _keras({"KERAS_BACKEND": "torch"}, {config: '{"backend": "jax"}'}) == (
        "torch",
        "KERAS_BACKEND",
        {},
    )
    # an empty KERAS_BACKEND is ignored by Keras itself
    assert _keras({"KERAS_BACKEND": ""}, {config: '{"backend": "jax"}'}) == ("jax", config, {})
    assert _keras({"KERAS_HOME": "/cfg"}, {"/cfg/keras.json": '{"backend": "torch"}'}) == (
        "torch",
        "/cfg/keras.json",
        {},
    )
    assert _keras(files={config: '{"backend": '}) == (
        "tensorflow",
        "default",
        {"backend_config": f"{config} is not valid JSON (Expecting value, line 1)"},
    )


def test_keras_2_always_uses_tensorflow() -> None:
    def build(system: FakeSystem) -> list[dict[str, Any]]:
        return [add_keras(system, "2.15.0")]

    [keras] = frameworks(build, {"KERAS_BACKEND": "jax"})
    assert (keras.version, keras.backend, keras.backend_source, keras.details) == (
        "2.15.0",
        "tensorflow",
        "keras 2",
        {"major": "2"},
    )


def test_tf_keras() -> None:
    [tfk] = frameworks(lambda s: [add_dist(s, "tf-keras", "2.16.0")])
    assert tfk == FrameworkFacts(
        name="tf-keras",
        distribution="tf-keras",
        version="2.16.0",
        location=f"{SITE}/tf_keras",
        build_source="METADATA",
        backend="tensorflow",
        backend_source="tf-keras",
    )


# -- JAX --------------------------------------------------------------------------------------
def test_jax_with_cuda12_plugins() -> None:
    def build(system: FakeSystem) -> list[dict[str, Any]]:
        return [
            add_dist(system, "jax", "0.4.30", requires=("jaxlib<=0.4.30,>=0.4.27", "numpy")),
            add_dist(system, "jaxlib", "0.4.30"),
            add_dist(
                system,
                "jax-cuda12-plugin",
                "0.4.30",
                requires=(
                    "jax-cuda12-pjrt==0.4.30",
                    'nvidia-cudnn-cu12<10.0,>=9.0; extra == "with-cuda"',
                ),
            ),
            add_dist(system, "jax-cuda12-pjrt", "0.4.30"),
        ]

    [jax] = frameworks(build)
    assert jax == FrameworkFacts(
        name="jax",
        distribution="jax",
        version="0.4.30",
        location=f"{SITE}/jax",
        cuda_build=True,
        cuda_version="12",
        variant="cuda12",
        build_source="METADATA",
        requires=[
            "jaxlib<=0.4.30,>=0.4.27",
            "jax-cuda12-pjrt==0.4.30",
            'nvidia-cudnn-cu12<10.0,>=9.0; extra == "with-cuda"',
        ],
        details={"jaxlib": "0.4.30", "jax-cuda12-plugin": "0.4.30", "jax-cuda12-pjrt": "0.4.30"},
        unknown={"nccl_version": "jax requires no nvidia-nccl wheel: NCCL is linked into the build"},
    )


def test_old_jaxlib_cuda_local_version_and_cpu_jax() -> None:
    [old] = frameworks(
        lambda s: [add_dist(s, "jax", "0.4.23"), add_dist(s, "jaxlib", "0.4.23+cuda12.cudnn89")]
    )
    assert (old.cuda_build, old.cuda_version, old.cudnn_version, old.variant) == (
        True,
        "12",
        "8.9",
        "cuda12",
    )
    [cpu] = frameworks(lambda s: [add_dist(s, "jax", "0.4.30"), add_dist(s, "jaxlib", "0.4.30")])
    assert (cpu.cuda_build, cpu.variant) == (False, "cpu")


def test_no_frameworks_installed() -> None:
    assert frameworks(lambda s: [add_dist(s, "numpy", "1.26.4")]) == []


# -- the real framework venv ------------------------------------------------------------------
TRUTH = """
import json, torch, tensorflow as tf, keras
build = tf.sysconfig.get_build_info()
print(json.dumps({
    "torch": torch.__version__, "torch_cuda": torch.version.cuda, "torch_hip": torch.version.hip,
    "tf": tf.__version__, "tf_cuda_build": build.get("is_cuda_build"),
    "tf_rocm_build": build.get("is_rocm_build"), "tf_cuda": build.get("cuda_version"),
    "tf_cudnn": build.get("cudnn_version"),
    "keras": keras.__version__, "backend": keras.backend.backend(),
}))
"""


@pytest.mark.integration
def test_static_facts_match_what_the_frameworks_report(framework_python: str) -> None:
    system = RealSystem()
    target = collect_python(system, framework_python)
    facts = {f.name: f for f in collect_frameworks(system, target)}
    proc = subprocess.run(
        [framework_python, "-c", TRUTH], capture_output=True, text=True, timeout=120, check=True
    )
    truth = json.loads(proc.stdout.strip().splitlines()[-1])
    torch, tf, keras = facts["torch"], facts["tensorflow"], facts["keras"]
    assert (torch.version, torch.cuda_version, torch.cuda_build, torch.rocm_build) == (
        truth["torch"],
        truth["torch_cuda"],
        truth["torch_cuda"] is not None,
        truth["torch_hip"] is not None,
    )
    assert torch.variant == torch_variant(truth["torch"], truth["torch_cuda"], truth["torch_hip"])
    assert (tf.version, tf.cuda_build, tf.rocm_build, tf.cuda_version, tf.cudnn_version) == (
        truth["tf"],
        truth["tf_cuda_build"],
        truth["tf_rocm_build"],
        truth["tf_cuda"],
        truth["tf_cudnn"],
    )
    assert (keras.version, keras.backend) == (truth["keras"], truth["backend"])
    assert target.facts.unknown == {}
    assert target.facts.shadowing == []
    assert target.module_origins["torch"] == torch.location

from __future__ import annotations

from dataclasses import replace

from dlenv.fix.actions import InstallPackages, ManualStep, RemoveFromPath, SetEnv, UnsetEnv
from dlenv.rules.cuda import cudnn_compatible
from dlenv.rules.findings import Evidence, Finding
from dlenv.snapshot.model import (
    CudaFacts,
    CudaToolkit,
    Distribution,
    FrameworkFacts,
    LibraryResolution,
    LiveProbe,
    LoadedLibrary,
    ReportedError,
    ResolvedLibrary,
)
from tests.rules.snapshots import (
    SITE,
    cpu_machine,
    fired,
    gpu,
    gpu_machine,
    only,
    pasted_codes,
    tensorflow,
    torch,
    with_dists,
    with_env,
    with_live,
    with_pip_cudnn,
)


def _libs(s, framework: str, *libs: ResolvedLibrary):  # type: ignore[no-untyped-def]
    others = [r for r in s.libraries if r.framework != framework]
    return replace(
        s, libraries=[*others, LibraryResolution(framework=framework, libraries=list(libs))]
    )


MISSING_CUDNN = ResolvedLibrary(
    name="cudnn",
    soname="libcudnn.so.9",
    path=None,
    reason="searched LD_LIBRARY_PATH, ld.so.cache, nvidia wheels",
)


# -- DL201 ---------------------------------------------------------------------------------
def test_dl201_tensorflow_without_cuda_libraries() -> None:
    bad = _libs(
        gpu_machine(frameworks=[tensorflow("2.16.1", "12.3", "8")]),
        "tensorflow",
        replace(MISSING_CUDNN, soname="libcudnn.so.8"),
    )
    f = only(bad, "DL201")
    assert f.title == "tensorflow 2.16.1 cannot find libcudnn.so.8"
    assert f.fixes == [
        InstallPackages(
            packages=["tensorflow[and-cuda]==2.16.*"],
            reason="install the CUDA libraries tensorflow 2.16.1 was built against",
        )
    ]
    good = gpu_machine(frameworks=[tensorflow("2.16.1", "12.3", "8")])
    assert fired(good, "DL201") == []


def test_dl201_near_misses() -> None:
    # no GPU: TensorFlow just runs on the CPU, nothing to report
    cpu = _libs(cpu_machine(), "tensorflow", MISSING_CUDNN)
    cpu = replace(cpu, frameworks=[tensorflow()])
    assert fired(cpu, "DL201") == []
    # the live probe found the GPU working: the prediction was wrong
    bad = _libs(gpu_machine(), "torch", MISSING_CUDNN)
    assert (
        fired(
            with_live(bad, LiveProbe(framework="torch", status="ok", gpu_available=True)), "DL201"
        )
        == []
    )
    assert only(bad, "DL201").fixes[0] == InstallPackages(
        packages=["torch==2.5.1"],
        uninstall=["torch"],
        index_url="https://download.pytorch.org/whl/cu124",
        reason="install the CUDA libraries torch 2.5.1+cu124 was built against",
    )


# -- DL202 ---------------------------------------------------------------------------------
def test_dl202_cudnn_8_for_a_cudnn_9_build() -> None:
    stale = ResolvedLibrary(
        name="cudnn",
        soname="libcudnn.so.9",
        path="/opt/old/lib64/libcudnn.so.9",
        version="8.9.7",
        via="LD_LIBRARY_PATH",
    )
    bad = _libs(gpu_machine(frameworks=[tensorflow()]), "tensorflow", stale)
    f = only(bad, "DL202")
    assert f.evidence == [
        Evidence(
            fact="libraries.tensorflow.cudnn.version",
            found="8.9.7",
            needed="9.x",
            note="needed by tensorflow 2.18.0",
        )
    ]
    assert f.fixes[0] == RemoveFromPath(
        name="LD_LIBRARY_PATH", entries=["/opt/old/lib64"], reason="it holds cudnn 8.9.7"
    )
    assert fired(gpu_machine(frameworks=[tensorflow()]), "DL202") == []
    nccl = ResolvedLibrary(
        name="nccl", soname="libnccl.so.2", path="/x/libnccl.so.2", version="2.21.5"
    )
    assert fired(_libs(gpu_machine(), "torch", nccl), "DL202") == []  # NCCL has its own versions


def _math(name: str, soname: str, version: str, via: str = "DT_RUNPATH") -> ResolvedLibrary:
    return ResolvedLibrary(
        name=name, soname=soname, path=f"/lib/{soname}", version=version, via=via
    )


def test_dl202_math_libraries_carry_their_own_major() -> None:
    # the nvidia-*-cu12 wheels jax[cuda12] installs: cuFFT 11.x and cuSOLVER 11.x for CUDA 12
    jax = FrameworkFacts(
        name="jax", distribution="jax", version="0.4.33", cuda_build=True, cuda_version="12"
    )
    good = _libs(
        gpu_machine(frameworks=[jax]),
        "jax",
        _math("cufft", "libcufft.so.11", "11.3.0.4"),
        _math("cusolver", "libcusolver.so.11", "11.7.1.2"),
        _math("cusparse", "libcusparse.so.12", "12.5.4.2"),
    )
    assert fired(good, "DL202") == []
    # TensorFlow 2.6 (CUDA 11.2) opens libcufft.so.10 from a CUDA 11 toolkit: healthy
    tf26 = _libs(
        gpu_machine(frameworks=[tensorflow("2.6.0", "11.2", "8")]),
        "tensorflow",
        _math("cufft", "libcufft.so.10", "10.4.1.152"),
    )
    assert fired(tf26, "DL202") == []
    # CUDA 13's cuFFT 12 on LD_LIBRARY_PATH under a CUDA 12 build is the wrong major
    bad = _libs(
        gpu_machine(frameworks=[jax]),
        "jax",
        _math("cufft", "libcufft.so.11", "12.0.0.15", via="LD_LIBRARY_PATH"),
    )
    f = only(bad, "DL202")
    assert f.evidence[0].needed == "11.x" and f.evidence[0].found == "12.0.0.15"


# -- DL203 ---------------------------------------------------------------------------------
def test_dl203_torch_cudnn9_and_tensorflow_cudnn8() -> None:
    both = [torch("2.4.1+cu121", cudnn="9.1"), tensorflow("2.15.1", "12.2", "8.9")]
    bad = with_pip_cudnn(gpu_machine(frameworks=both), "9.1.0.70")
    f = only(bad, "DL203")
    assert f.subject == "tensorflow"
    assert f.evidence[2] == Evidence(
        fact="cuda.pip_packages.nvidia-cudnn-cu12",
        found="9.1.0.70",
        needed="8.x",
        note="needed by tensorflow 2.15.1",
    )
    agree = [torch("2.5.1+cu124", cudnn="9.1"), tensorflow("2.18.0", "12.5.1", "9")]
    assert fired(with_pip_cudnn(gpu_machine(frameworks=agree), "9.1.0.70"), "DL203") == []
    # different CUDA majors take different wheels (cu11 vs cu12): no conflict
    apart = [torch("2.4.1+cu118", cudnn="9.1"), tensorflow("2.15.1", "12.2", "8.9")]
    assert fired(gpu_machine(frameworks=apart), "DL203") == []


def test_dl203_same_major_older_minor_pinned_by_the_other() -> None:
    # https://github.com/AI-Hypercomputer/maxtext/pull/1509: torch 2.6.0+cu124 pins
    # nvidia-cudnn-cu12==9.1.0.70, JAX 0.6.0 needs >=9.8 ("Loaded runtime CuDNN library: 9.1.0
    # but source was compiled with: 9.8.0")
    pinned = replace(
        torch("2.6.0+cu124", cudnn=None),
        requires=['nvidia-cudnn-cu12==9.1.0.70; platform_system == "Linux"'],
    )
    jax = FrameworkFacts(
        name="jax",
        distribution="jax",
        version="0.6.0",
        cuda_build=True,
        cuda_version="12",
        requires=['nvidia-cudnn-cu12>=9.8,<10.0; extra == "with-cuda"'],
    )
    bad = with_pip_cudnn(gpu_machine(frameworks=[pinned, jax]), "9.1.0.70")
    bad = _libs(
        bad,
        "jax",
        ResolvedLibrary(
            name="cudnn",
            soname="libcudnn.so.9",
            path=f"{SITE}/nvidia/cudnn/lib/libcudnn.so.9",
            version="9.1.0.70",
            via="pip wheel nvidia-cudnn-cu12",
        ),
    )
    f = only(bad, "DL203")
    assert f.subject == "jax"
    assert f.evidence[0].found == "9.1.0.70" and f.evidence[0].needed == ">=9.8"
    assert f.fixes
    # the environment holds cuDNN 9.8, which suits both: no conflict
    libs = next(r for r in bad.libraries if r.framework == "jax").libraries
    good = _libs(bad, "jax", replace(libs[0], version="9.8.0.87"))
    assert fired(good, "DL203") == []


# -- DL204 ---------------------------------------------------------------------------------
def test_dl204_ld_library_path_shadows_the_wheel() -> None:
    wheel = f"{SITE}/nvidia/cuda_runtime/lib/libcudart.so.12"
    shadow = ResolvedLibrary(
        name="cudart",
        soname="libcudart.so.12",
        path="/usr/local/cuda-12.1/lib64/libcudart.so.12",
        version="12.1.105",
        via="LD_LIBRARY_PATH",
        candidates=[wheel],
    )
    f = only(_libs(gpu_machine(), "torch", shadow), "DL204")
    assert f.fixes == [
        RemoveFromPath(
            name="LD_LIBRARY_PATH",
            entries=["/usr/local/cuda-12.1/lib64"],
            reason="let the framework load the CUDA libraries it was tested with",
        )
    ]
    assert fired(gpu_machine(), "DL204") == []
    # LD_LIBRARY_PATH as the only source (no wheel to shadow): not this rule's business
    alone = replace(shadow, candidates=[])
    assert fired(_libs(gpu_machine(), "torch", alone), "DL204") == []


# -- DL205 ---------------------------------------------------------------------------------
def _home(s, *toolkits: CudaToolkit, home: str):  # type: ignore[no-untyped-def]
    return replace(s, cuda=replace(s.cuda, toolkits=list(toolkits), cuda_home=home))


def test_dl205_cuda_home_other_major() -> None:
    t118 = CudaToolkit(
        path="/usr/local/cuda-11.8", version="11.8.89", nvcc="/usr/local/cuda-11.8/bin/nvcc"
    )
    t124 = CudaToolkit(
        path="/usr/local/cuda-12.4", version="12.4.131", nvcc="/usr/local/cuda-12.4/bin/nvcc"
    )
    f = only(_home(gpu_machine(), t118, t124, home="/usr/local/cuda-11.8"), "DL205")
    assert f.fixes == [
        SetEnv(name="CUDA_HOME", value="/usr/local/cuda-12.4", reason="CUDA 12.4.131")
    ]
    assert f.evidence[0].found == "/usr/local/cuda-11.8 (CUDA 11.8.89)"
    assert fired(_home(gpu_machine(), t118, t124, home="/usr/local/cuda-12.4"), "DL205") == []
    # a CPU torch does not compile CUDA extensions
    cpu = _home(gpu_machine(frameworks=[torch("2.5.1+cpu")]), t118, home="/usr/local/cuda-11.8")
    assert fired(cpu, "DL205") == []


# -- DL206 ---------------------------------------------------------------------------------
def _loaded_cudnn(s, framework: str, version: str, path: str = "libcudnn"):  # type: ignore[no-untyped-def]
    lib = LoadedLibrary(name="cudnn", path=path, version=version)
    return with_live(s, LiveProbe(framework=framework, status="ok", loaded_libraries=[lib]))


def test_dl206_tensorflow_loads_an_older_cudnn_minor() -> None:
    tf = tensorflow("2.18.0", "12.5.1", "9.3.0")
    f = only(_loaded_cudnn(gpu_machine(frameworks=[tf, torch()]), "tensorflow", "9.1.0"), "DL206")
    assert f.severity == "error"
    assert f.title == "tensorflow 2.18.0 is built with cuDNN 9.3.0 but loads cuDNN 9.1.0"
    assert f.evidence == [
        Evidence(
            fact="live.tensorflow.loaded_libraries.cudnn",
            found="9.1.0",
            needed=">=9.3, <10",
            note="tensorflow 2.18.0 is built with cuDNN 9.3.0",
        )
    ]
    assert f.fixes == [
        InstallPackages(
            packages=["nvidia-cudnn-cu12>=9.3"],
            reason="tensorflow 2.18.0 needs cuDNN 9.3 or newer",
        )
    ]
    assert f.hint == (
        "torch in the same environment may pin the older cuDNN wheel; keep the frameworks in "
        "separate environments."
    )


def test_dl206_torch_cudnn_from_ld_library_path() -> None:
    t = torch("1.13.0+cu117", cudnn="8.5.0")
    probe = LiveProbe(
        framework="torch",
        status="ok",
        loaded_libraries=[LoadedLibrary(name="cudnn", path="libcudnn", version="8.4.1")],
        details={"cudnn_source": "LD_LIBRARY_PATH"},
    )
    s = with_env(with_live(gpu_machine(frameworks=[t]), probe), LD_LIBRARY_PATH="/opt/cudnn/lib:/x")
    f = only(s, "DL206")
    assert f.fixes == [
        RemoveFromPath(
            name="LD_LIBRARY_PATH",
            entries=["/opt/cudnn/lib"],
            reason="it supplies cuDNN 8.4.1 ahead of the one torch ships with",
        )
    ]


def test_dl206_predicted_older_minor_and_near_misses() -> None:
    tf = tensorflow("2.18.0", "12.5.1", "9.3.0")
    old = ResolvedLibrary(
        name="cudnn",
        soname="libcudnn.so.9",
        path="/usr/lib/x86_64-linux-gnu/libcudnn.so.9",
        version="9.1.0",
        via="ld.so.cache",
    )
    f = only(_libs(gpu_machine(frameworks=[tf]), "tensorflow", old), "DL206")
    assert f.title == "tensorflow 2.18.0 is built with cuDNN 9.3.0 but would load cuDNN 9.1.0"
    # a newer minor of the same major is fine; a predicted other major is DL202's finding
    newer = replace(old, version="9.5.1")
    assert fired(_libs(gpu_machine(frameworks=[tf]), "tensorflow", newer), "DL206") == []
    other_major = replace(old, version="8.9.7", soname="libcudnn.so.8")
    assert fired(_libs(gpu_machine(frameworks=[tf]), "tensorflow", other_major), "DL206") == []
    # a loaded other major is an error
    assert fired(_loaded_cudnn(gpu_machine(frameworks=[tf]), "tensorflow", "8.9.7"), "DL206") == [
        "DL206"
    ]
    # build_info states only the major ("9"): the release's tested build configuration
    # (cuDNN 9.3 for 2.18) gives the minor that TensorFlow's own check compares
    major_only = tensorflow("2.18.0", "12.5.1", "9")
    assert fired(
        _loaded_cudnn(gpu_machine(frameworks=[major_only]), "tensorflow", "9.1.0"), "DL206"
    ) == ["DL206"]
    assert (
        fired(_loaded_cudnn(gpu_machine(frameworks=[major_only]), "tensorflow", "9.3.0"), "DL206")
        == []
    )
    # the healthy machine (pip cuDNN 9.1 for torch built with 9.1)
    assert fired(gpu_machine(), "DL206") == []
    assert fired(cpu_machine(), "DL206") == []


def test_dl206_tensorflow_26_built_with_cudnn_81_loads_804() -> None:
    # https://github.com/google-research/deeplab2/issues/66: "Loaded runtime CuDNN library:
    # 8.0.4 but source was compiled with: 8.1.0"; build_info.py says cudnn_version "8"
    tf26 = tensorflow("2.6.0", "11.2", "8")
    old = ResolvedLibrary(
        name="cudnn",
        soname="libcudnn.so.8",
        path="/usr/local/cuda/lib64/libcudnn.so.8",
        version="8.0.4",
        via="LD_LIBRARY_PATH",
    )
    bad = _libs(gpu_machine(frameworks=[tf26]), "tensorflow", old)
    f = only(bad, "DL206")
    assert f.evidence[0].needed == ">=8.1, <9"
    assert f.fixes[0] == RemoveFromPath(
        name="LD_LIBRARY_PATH",
        entries=["/usr/local/cuda/lib64"],
        reason="it supplies cuDNN 8.0.4 ahead of the one tensorflow ships with",
    )
    good = _libs(gpu_machine(frameworks=[tf26]), "tensorflow", replace(old, version="8.1.1"))
    assert fired(good, "DL206") == []


def test_dl206_cudnn_compatibility_semantics() -> None:
    assert cudnn_compatible("8.5.0", "8.4.1") is False
    assert cudnn_compatible("8.5.0", "8.9.7") is True
    assert cudnn_compatible("9.3.0", "8.9.7") is False
    assert cudnn_compatible("6.0.21", "6.1.0") is False  # before cuDNN 7 the minor must match
    assert cudnn_compatible("8", "8.1.0") is True
    assert cudnn_compatible(None, "8.1.0") is None


# -- DL207 ---------------------------------------------------------------------------------
def _stale_home(s, value: str, *toolkits: CudaToolkit, var: str = "CUDA_HOME"):  # type: ignore[no-untyped-def]
    cuda = replace(
        s.cuda,
        toolkits=list(toolkits),
        cuda_home=value,
        unknown={var: f"{var}={value} is not a directory"}
        if not any(t.path == value for t in toolkits)
        else {},
    )
    return with_env(replace(s, cuda=cuda), **{var: value})


T124 = CudaToolkit(
    path="/usr/local/cuda-12.4", version="12.4.131", nvcc="/usr/local/cuda-12.4/bin/nvcc"
)
T130 = CudaToolkit(
    path="/usr/local/cuda-13.0", version="13.0.96", nvcc="/usr/local/cuda-13.0/bin/nvcc"
)


def test_dl207_cuda_home_removed_toolkit() -> None:
    f = only(_stale_home(gpu_machine(), "/usr/local/cuda-11.8", T130, T124), "DL207")
    assert (f.severity, f.title) == (
        "warning",
        "CUDA_HOME points at /usr/local/cuda-11.8, which does not exist",
    )
    # torch 2.5.1+cu124 builds extensions against CUDA 12: the 12.4 toolkit, not the newest
    assert f.fixes == [
        SetEnv(name="CUDA_HOME", value="/usr/local/cuda-12.4", reason="CUDA 12.4.131")
    ]
    assert f.evidence == [
        Evidence(
            fact="env.CUDA_HOME",
            found="/usr/local/cuda-11.8 (does not exist)",
            needed="an installed CUDA toolkit",
            note="used by torch 2.5.1+cu124 to build extensions",
        )
    ]


def test_dl207_no_toolkit_left_unsets_and_cpu_builds_get_a_note() -> None:
    f = only(_stale_home(cpu_machine(), "/opt/cuda", var="CUDA_PATH"), "DL207")
    assert (f.severity, f.fixes) == (
        "info",
        [UnsetEnv(name="CUDA_PATH", reason="/opt/cuda does not exist")],
    )


def test_dl207_directory_without_a_toolkit() -> None:
    empty = CudaToolkit(path="/home/me/cuda", version=None, nvcc=None)
    f = only(_stale_home(gpu_machine(), "/home/me/cuda", empty, T124), "DL207")
    assert f.title == (
        "CUDA_HOME points at /home/me/cuda, which holds no CUDA toolkit (no nvcc, no version)"
    )


def test_dl207_near_misses() -> None:
    assert fired(_stale_home(gpu_machine(), "/usr/local/cuda-12.4", T124), "DL207") == []
    assert fired(gpu_machine(), "DL207") == []
    # a toolkit without nvcc but with a version (runtime-only conda package) is a toolkit
    runtime = CudaToolkit(path="/opt/conda", version="12.4.127", nvcc=None)
    assert fired(_stale_home(gpu_machine(), "/opt/conda", runtime), "DL207") == []


# -- DL201 from a quoted failed load ---------------------------------------------------------
def test_dl201_a_quoted_failed_cudnn_load_proves_a_gpu_set_up() -> None:
    """TensorFlow/torch only try cuDNN after finding a GPU: a paste quoting that failure needs
    no GPU fact; the loader's prediction alone on a CPU machine stays quiet."""
    from dlenv.snapshot.model import ReportedError

    missing = ResolvedLibrary(name="cudnn", soname="libcudnn.so.8", path=None)
    cudart = ResolvedLibrary(name="cudart", soname="libcudart.so.11.0", path=None)
    base = replace(
        cpu_machine(),
        libraries=[LibraryResolution(framework="tensorflow", libraries=[cudart, missing])],
    )

    def quoted(text: str):  # type: ignore[no-untyped-def]
        err = ReportedError(signature="tf-library-not-loaded", text=text, meaning="not loaded")
        return replace(base, reported_errors=[err])

    line = "Could not load dynamic library 'libcudnn.so.8'; dlerror: libcudnn.so.8: cannot open"
    assert fired(quoted(line), "DL201") == ["DL201"]
    assert fired(base, "DL201") == []  # prediction only, no GPU: CPU machines are fine
    # cudart alone is tried by CPU set-ups too ("Ignore above cudart dlerror..."): a warning
    soft = only(quoted("Could not load dynamic library 'libcudart.so.11.0'"), "DL201")
    assert soft.severity == "warning"


def test_dl201_windows_cudart_is_the_same_soft_warning_with_windows_commands() -> None:
    """cudart64_110.dll is cudart too (TensorFlow on Windows tries it without a GPU); a DLL is
    found through PATH, so the fix names `where` and PATH, never ldconfig or LD_LIBRARY_PATH."""
    from dlenv.snapshot.model import ReportedError

    dll = ResolvedLibrary(name="cudart", soname="cudart64_110.dll", path=None)
    line = "Could not load dynamic library 'cudart64_110.dll'; dlerror: cudart64_110.dll not found"
    err = ReportedError(signature="tf-library-not-loaded", text=line, meaning="not loaded")
    soft = replace(
        cpu_machine(),
        frameworks=[],  # a bare log line: the TensorFlow release is not stated
        libraries=[LibraryResolution(framework="tensorflow", libraries=[dll])],
        reported_errors=[err],
    )
    f = only(soft, "DL201")
    assert f.severity == "warning"
    step = next(a for a in f.fixes if isinstance(a, ManualStep))
    assert step.commands[0].startswith("where cudart64_110.dll")
    assert "CUDA\\v11.0\\bin" in step.commands[1]
    assert not any("ldconfig" in c or "LD_LIBRARY_PATH" in c for c in step.commands)
    # with a GPU on the machine the same line is an error: the GPU build falls back to the CPU
    gpu = replace(gpu_machine(), frameworks=[], libraries=soft.libraries, reported_errors=[err])
    assert only(gpu, "DL201").severity == "error"


def test_dl201_a_library_no_framework_was_named_for() -> None:
    """Paddle's and onnxruntime's loaders, or a bare ImportError: the quoted soname is the fact."""
    from dlenv.snapshot.model import ReportedError

    def quoted(signature: str, text: str):  # type: ignore[no-untyped-def]
        err = ReportedError(signature=signature, text=text, meaning="not loaded")
        # no CUDA shown either: another major beside the missing one would be DL202's finding
        return replace(cpu_machine(), frameworks=[], cuda=CudaFacts(), reported_errors=[err])

    paddle = quoted(
        "cuda-library-not-found",
        "(error code is /usr/local/cuda/lib64/libcudnn.so: cannot open shared object file: No "
        "such file or directory)",
    )
    f = only(paddle, "DL201")
    assert (f.severity, f.subject, f.title) == (
        "error",
        "libcudnn.so",
        "libcudnn.so cannot be loaded",
    )
    hard = only(
        quoted(
            "import-error-missing-library",
            "ImportError: libcudart.so.11.0: cannot open shared object file: No such file",
        ),
        "DL201",
    )
    assert hard.severity == "error"
    assert "pip install nvidia-cuda-runtime-cu11" in hard.fixes[0].commands
    cudnn8 = only(
        quoted("cuda-library-not-found", "libcudnn.so.8: cannot open shared object file"), "DL201"
    )
    assert (
        'pip install "nvidia-cudnn-cu12==8.*"   # cu11 for CUDA 11 builds'
        in cudnn8.fixes[0].commands
    )
    assert fired(quoted("tf-loaded-cudnn", "Loaded cuDNN version 8904"), "DL201") == []


def test_dl206_tensorflow_1x_compatibility_versions_must_match() -> None:
    """TF 1.x printed 'compatibility version 7300 … 7000' only when they differed: its verdict."""
    tf = tensorflow("1.12.0", "9.0", "7.0.3")

    def loaded(compat: str | None):  # type: ignore[no-untyped-def]
        lib = LoadedLibrary(name="cudnn", path="libcudnn", version="7.3.1")
        details = {"cudnn_compat": compat} if compat else {}
        probe = LiveProbe(
            framework="tensorflow", status="ok", loaded_libraries=[lib], details=details
        )
        return with_live(gpu_machine(frameworks=[tf]), probe)

    f = only(loaded("7300/7000"), "DL206")
    assert f.evidence[0].needed == "7.0.x (this tensorflow release requires the same minor)"
    assert f.fixes[0].kind == "manual"
    assert fired(loaded(None), "DL206") == []  # today's rule: a newer 7.x minor is fine
    assert fired(loaded("7000/7000"), "DL206") == []


# -- DL208 -----------------------------------------------------------------------------------
def test_dl208_an_older_cuda_library_lacks_a_symbol() -> None:
    probe = LiveProbe(
        framework="torch",
        status="import-error",
        details={"undefined_symbol": "__nvJitLinkAddData_12_1"},
    )
    f = only(with_live(gpu_machine(), probe), "DL208")
    assert (
        f.title
        == "torch 2.5.1+cu124 loads an older libnvJitLink that lacks __nvJitLinkAddData_12_1"
    )
    assert f.fixes[0].kind == "manual"
    assert f.fixes[0].commands[-1] == "python -m pip install --force-reinstall torch==2.5.1"
    # DL403's generic "import failed" gives way to the named cause
    assert fired(with_live(gpu_machine(), probe), "DL403") == []
    assert fired(gpu_machine(), "DL208") == []


def test_dl208_a_pasted_symbol_with_no_framework_named() -> None:
    """nccl-tests against an old system libnccl: no framework in the paste, the symbol decides."""
    from dlenv.snapshot.model import ReportedError

    err = ReportedError(
        signature="cuda-library-undefined-symbol",
        text='[BUG]: undefined symbol: "ncclCommWindowRegister"',
        meaning="older copy",
    )
    f = only(replace(cpu_machine(), frameworks=[], reported_errors=[err]), "DL208")
    assert f.title == "the program loads an older libnccl that lacks ncclCommWindowRegister"
    assert f.evidence[0].fact == "reported_errors.cuda-library-undefined-symbol"
    assert not any("--force-reinstall" in c for c in f.fixes[0].commands)
    assert fired(cpu_machine(), "DL208") == []


# -- DL209 ---------------------------------------------------------------------------------
def test_dl209_two_frameworks_pin_different_cuda_wheels() -> None:
    from dlenv.fix.actions import ManualStep

    tf = replace(tensorflow("2.15.1", "12.2", "8.9"), requires=["nvidia-nccl-cu12==2.16.5"])
    jax = FrameworkFacts(
        name="jax",
        distribution="jax",
        version="0.4.23",
        requires=['nvidia-nccl-cu12>=2.18.3; extra == "cuda12"'],
    )
    # jax's cuda12 extra is installed: its wheel is there
    nccl = Distribution(name="nvidia-nccl-cu12", version="2.16.5", location=SITE)
    f = only(with_dists(gpu_machine(frameworks=[tf, jax]), nccl), "DL209")
    assert f.title == "tensorflow 2.15.1 and jax 0.4.23 pin different nvidia-nccl-cu12 versions"
    assert [e.found for e in f.evidence[:2]] == [
        "nvidia-nccl-cu12==2.16.5",
        "nvidia-nccl-cu12>=2.18.3",
    ]
    assert isinstance(f.fixes[0], ManualStep)
    assert f.fixes[0].commands[0] == (
        "python -m venv .venv-tensorflow && .venv-tensorflow/bin/pip install "
        "tensorflow[and-cuda]==2.15.1"
    )
    # the extra not installed (pip records none: none of its wheels is there): nothing pinned
    assert fired(gpu_machine(frameworks=[tf, jax]), "DL209") == []
    agree = replace(jax, requires=["nvidia-nccl-cu12>=2.16"])
    assert fired(gpu_machine(frameworks=[tf, agree]), "DL209") == []
    assert fired(gpu_machine(frameworks=[tf]), "DL209") == []


def test_dl209_an_extra_counts_only_when_it_was_installed() -> None:
    """`pip install tensorflow` beside torch 2.5.1: the probe reads tensorflow's `and-cuda`
    lines too, but that extra was not installed (its nvidia-cuda-nvcc-cu12 is absent), so
    tensorflow pins nothing and the two do not conflict. With every wheel of the extra
    installed, its pins count."""
    t = replace(torch("2.5.1"), requires=["nvidia-cudnn-cu12==9.1.0.70"])
    tf = replace(
        tensorflow("2.15.0"),
        requires=[
            'nvidia-cudnn-cu12==8.9.4.25; extra == "and-cuda"',
            'nvidia-cuda-nvcc-cu12==12.2.140; extra == "and-cuda"',
        ],
    )
    cudnn = Distribution(name="nvidia-cudnn-cu12", version="9.1.0.70", location=SITE)
    plain = with_dists(gpu_machine(frameworks=[t, tf]), cudnn)
    assert fired(plain, "DL209") == []
    nvcc = Distribution(name="nvidia-cuda-nvcc-cu12", version="12.2.140", location=SITE)
    assert fired(with_dists(plain, nvcc), "DL209") == ["DL209"]


def test_dl209_a_pinned_wheel_replaced_by_another_frameworks_version() -> None:
    t = replace(torch("2.3.0+cu121", "8.9"), requires=["nvidia-cudnn-cu12==8.9.2.26"])
    tf = replace(tensorflow("2.18.0"), requires=["nvidia-cudnn-cu12<10.0,>=9.3.0"])
    bad = with_pip_cudnn(gpu_machine(frameworks=[t]), "9.3.0.75")
    alone = only(bad, "DL209")
    assert alone.severity == "warning"  # who replaced it is not known
    assert alone.evidence[0].needed == "==8.9.2.26"
    f = only(
        replace(bad, frameworks=[t, replace(tf, requires=["nvidia-cudnn-cu12>=9.3.0"])]), "DL209"
    )
    assert f.code == "DL209" and f.severity == "error"
    assert fired(with_pip_cudnn(gpu_machine(frameworks=[t]), "8.9.2.26"), "DL209") == []


def test_dl209_from_resolver_messages() -> None:
    from dlenv.importers.explain import explain_text

    def codes(text: str) -> list[str]:
        found = explain_text(text, "paste.txt", probe=False).report.findings
        return [f.code for f in found if f.severity == "error"]

    pip = (
        "The conflict is caused by:\n"
        '    torch 2.5.1 depends on nvidia-cuda-runtime-cu12==12.4.127; platform_system == "Linux"\n'
        '    paddlepaddle-gpu 3.1.0 depends on nvidia-cuda-runtime-cu12==12.3.101; platform_system == "Linux"\n'
    )
    assert codes(pip) == ["DL209"]
    uv = (
        "  ╰─▶ Because torch==2.5.1 depends on nvidia-cudnn-cu12==9.1.0.70 and "
        "tensorflow[and-cuda]==2.15.1 depends on nvidia-cudnn-cu12==8.9.4.25, we can conclude "
        "that torch==2.5.1 and tensorflow[and-cuda]==2.15.1 are incompatible.\n"
    )
    assert codes(uv) == ["DL209"]
    same = pip.replace("12.3.101", "12.4.127")
    assert "DL209" not in codes(same)


# -- DL203 / DL206: which framework's cuDNN is loaded -------------------------------------------
def _jax(cudnn: str = "8.8") -> FrameworkFacts:
    return FrameworkFacts(
        name="jax", distribution="jax", version="0.4.23", cuda_build=True, cudnn_version=cudnn
    )


def test_dl203_a_framework_runs_with_the_cudnn_another_loaded_first() -> None:
    cudnn87 = LiveProbe(
        framework="jax",
        status="ok",
        loaded_libraries=[LoadedLibrary(name="cudnn", path="libcudnn", version="8.7.0")],
    )
    bad = with_live(gpu_machine(frameworks=[torch("2.1.2+cu118", "8.7"), _jax()]), cudnn87)
    f = only(bad, "DL203")
    assert f.subject == "jax" and f.evidence[0].found == "8.7.0"
    from dlenv.rules import diagnose

    # DL206 stays beside it: a newer cuDNN minor often suits both frameworks
    assert [x.code for x in diagnose(bad, select=["DL203", "DL206"])] == ["DL203", "DL206"]
    alone = with_live(gpu_machine(frameworks=[_jax()]), cudnn87)
    assert fired(alone, "DL203") == [] and fired(alone, "DL206") == ["DL206"]
    good = replace(
        cudnn87, loaded_libraries=[LoadedLibrary(name="cudnn", path="x", version="8.9.0")]
    )
    assert (
        fired(
            with_live(gpu_machine(frameworks=[torch("2.1.2+cu118", "8.7"), _jax()]), good), "DL203"
        )
        == []
    )


def test_dl203_a_report_of_import_order_or_a_replaced_cudnn() -> None:
    from dlenv.importers.explain import explain_text

    def codes(text: str) -> dict[str, str]:
        found = explain_text(text, "paste.txt", probe=False).report.findings
        return {f.code: f.severity for f in found}

    assert codes("CUDA error when importing torch before creating any jax.numpy.array") == {
        "DL203": "warning"
    }
    said = codes(
        "JAX cannot create cudnn handle (CUDNN_STATUS_INTERNAL_ERROR)\n"
        "`jax` will first install its own `cudnn` and `torch` would overwrite it.\n"
    )
    assert said == {"DL203": "warning"}


def test_dl206_the_frameworks_own_mismatch_verdict_and_dnn_library_not_found() -> None:
    from dlenv.importers.explain import explain_text

    def findings(text: str):  # type: ignore[no-untyped-def]
        return explain_text(text, "paste.txt", probe=False).report.findings

    # old PyTorch demanded the exact version: a newer minor is still its verdict
    old = findings(
        "RuntimeError: cuDNN version mismatch: PyTorch was compiled against 7003 but linked against 7300"
    )
    assert [(f.code, f.severity) for f in old] == [("DL206", "error")]
    assert old[0].evidence[0].needed == "7.0.x (this torch release requires the same minor)"
    tf = findings("tensorflow 2.8.0\nNode: 'conv2d/Conv2D'\nDNN library is not found.")
    assert [(f.code, f.severity) for f in tf] == [("DL206", "warning")]
    assert tf[0].evidence[0].needed == "cuDNN 8.1"
    missing = findings(
        "Could not load dynamic library 'libcudnn.so.8'; dlerror: libcudnn.so.8: cannot open "
        "shared object file\nDNN library is not found."
    )
    assert "DL206" not in [f.code for f in missing]


def test_dl201_library_loaders_that_name_no_framework() -> None:
    from dlenv.fix.actions import ManualStep
    from dlenv.importers.explain import explain_text

    def dl201(text: str) -> list[object]:
        found = explain_text(text, "paste.txt", probe=False).report.findings
        return [f for f in found if f.code == "DL201" and f.severity == "error"]

    # cuDNN 9's own loader (CTranslate2 / faster-whisper), then the abort
    (f,) = dl201(
        "Unable to load any of {libcudnn_ops.so.9.1.0, libcudnn_ops.so.9.1, libcudnn_ops.so.9, "
        "libcudnn_ops.so}\nInvalid handle. Cannot load symbol cudnnCreateTensorDescriptor\n"
    )
    step = f.fixes[0]  # type: ignore[attr-defined]
    assert isinstance(step, ManualStep)
    assert any("nvidia-cudnn-cu12==9.*" in c for c in step.commands)
    # TensorFlow before 1.1: dso_loader's "Couldn't open CUDA library"
    assert dl201(
        "I tensorflow/stream_executor/dso_loader.cc:99] Couldn't open CUDA library libcudnn.so. "
        "LD_LIBRARY_PATH: /usr/local/cuda/lib64\n"
    )


def test_dl208_a_cudnn_sublibrary_from_another_release() -> None:
    from dlenv.importers.explain import explain_text

    text = (
        "ImportError: /usr/local/lib/python3.10/dist-packages/torch/lib/../../nvidia/cudnn/lib/"
        "libcudnn_cnn_infer.so.8: undefined symbol: _ZN11nvrtcHelper4loadEb, version "
        "libcudnn_ops_infer.so.8"
    )
    found = explain_text(text, "paste.txt", probe=False).report.findings
    (f,) = [x for x in found if x.code == "DL208"]
    assert f.severity == "error" and "libcudnn" in f.title
    # a non-CUDA library's missing symbol is not this
    other = "ImportError: /venv/torch/lib/libtorch_cpu.so: undefined symbol: iJIT_NotifyEvent"
    assert not [
        x for x in explain_text(other, "p.txt", probe=False).report.findings if x.code == "DL208"
    ]


def test_dl209_the_users_own_pin_against_a_frameworks() -> None:
    """pip's "The user requested nvidia-nccl-cu12==2.18.1" against "torch 2.2.2 depends on
    nvidia-nccl-cu12==2.19.3" (Vision-CAIR/MiniGPT4-video#45): the fix is the user's pin; a
    compatible pin is no conflict."""
    from dlenv.importers.explain import explain_text

    def dl209(user: str) -> list[Finding]:
        text = (
            "The conflict is caused by:\n"
            f"    The user requested nvidia-nccl-cu12{user}\n"
            '    torch 2.2.2 depends on nvidia-nccl-cu12==2.19.3; platform_system == "Linux"\n'
        )
        report = explain_text(text, "t", probe=False).report
        return [f for f in report.findings if f.code == "DL209"]

    [f] = dl209("==2.18.1")
    assert f.severity == "error"
    assert isinstance(f.fixes[0], ManualStep)
    assert "nvidia-nccl-cu12==2.19.3" in f.fixes[0].text
    assert dl209(">=2.19") == []


def _quoting(text: str, signature: str = "import-error-missing-library", **cuda: object):  # type: ignore[no-untyped-def]
    """A paste that quotes one failed library load, on a machine whose CUDA facts are `cuda`."""
    from dlenv.snapshot.model import ReportedError

    err = ReportedError(signature=signature, text=text, meaning="not loaded")
    return replace(
        cpu_machine(),
        frameworks=[],
        cuda=CudaFacts(**cuda),
        reported_errors=[err],  # type: ignore[arg-type]
    )


def test_dl202_a_missing_library_beside_another_cuda_major_in_the_paste() -> None:
    """d4ichi/PassGAN#33: "ImportError: libcublas.so.10.0" with CUDA 12.2 installed: the KB's
    sonames say CUDA 12 gives libcublas.so.12, so the build wants another major (DL202, not a
    path problem); the same message beside CUDA 10.0 is DL201's."""
    text = "ImportError: libcublas.so.10.0: cannot open shared object file: No such file"
    cuda12 = [CudaToolkit(path="(stated in the report)", version="12.2")]
    f = only(_quoting(text, toolkits=cuda12), "DL202")
    assert f.severity == "error" and "libcublas.so.10.0" in f.title
    assert any("libcublas.so.12" in (e.found or "") for e in f.evidence)
    assert fired(_quoting(text, toolkits=cuda12), "DL201") == []
    cuda10 = [CudaToolkit(path="/usr/local/cuda-10.0", version="10.0")]
    assert fired(_quoting(text, toolkits=cuda10), "DL202") == []
    assert fired(_quoting(text, toolkits=cuda10), "DL201") == ["DL201"]


def test_dl202_from_listed_files_wheels_and_windows_dlls() -> None:
    """A listed file (whisperX#788: /usr/local/cuda/lib64/libcublas.so.11 while CTranslate2
    asks for .so.12), an nvidia-* wheel, or a cuDNN install of another major."""
    from dlenv.snapshot.model import CudnnInstall, PipCudaPackage

    listed = replace(
        _quoting(
            "RuntimeError: Library libcublas.so.12 is not found or cannot be loaded",
            "ctranslate2-library-not-loaded",
        ),
        libraries=[
            LibraryResolution(
                framework="listed",
                libraries=[
                    ResolvedLibrary(
                        "cublas", "libcublas.so.11", "/usr/local/cuda/lib64/libcublas.so.11"
                    )
                ],
            )
        ],
    )
    assert fired(listed, "DL202") == ["DL202"]
    wheel = [PipCudaPackage("nvidia-cudnn-cu12", "9.1.0.70", "site-packages")]
    text = "OSError: libcudnn_ops_infer.so.8: cannot open shared object file: No such file"
    assert fired(_quoting(text, pip_packages=wheel), "DL202") == ["DL202"]
    cudnn8 = [CudnnInstall(path="/usr/lib/x86_64-linux-gnu", version="8.9.7", major=8)]
    assert fired(_quoting(text, cudnn=cudnn8), "DL202") == []
    dll = "Could not load dynamic library 'cudart64_110.dll'; dlerror: cudart64_110.dll not found"
    tk = [CudaToolkit(path=r"C:\CUDA\v10.1", version="10.1")]
    assert fired(
        replace(_quoting(dll, "cuda-library-not-found", toolkits=tk), gpus=[gpu()]), "DL202"
    ) == ["DL202"]


def _explained_dl201(text: str) -> list[Finding]:
    from dlenv.errors import DlenvError
    from dlenv.importers.explain import explain_text

    try:
        report = explain_text(text, "paste.txt", probe=False).report
    except DlenvError:  # nothing recognised at all
        return []
    return [f for f in report.findings if f.code == "DL201"]


def test_dl201_from_ldd_lines_and_cudarc_names_the_driver_library_fix() -> None:
    """ldd's "=> not found" (any case, as a report's title says it) and cudarc's "Unable to
    find cuda lib under the names" (chelsea0x3b/cudarc#255, WSL): libcuda is the driver's, so
    the fix points at the driver and /usr/lib/wsl/lib, not at a CUDA wheel."""
    [ldd] = _explained_dl201("import tensorflow\n\tlibcudnn.so.8 => not found\n")
    assert "libcudnn.so.8" in ldd.title
    [title] = _explained_dl201("Tensorflow GPU libarary Libcudart.so.11.0 not found\n")
    assert "libcudart.so.11.0" in title.title
    for text in (
        'Unable to find cuda lib under the names ["cuda", "nvcuda"]. Please open GitHub issue.\n',
        'Unable to dynamically load the "cuda" shared library - searched for library names: '
        '["cuda", "nvcuda"].\n',
    ):
        [f] = _explained_dl201(text)
        assert "libcuda.so" in f.title
        commands = [c for a in f.fixes if isinstance(a, ManualStep) for c in a.commands]
        assert any("/usr/lib/wsl/lib" in c for c in commands)
        assert not any("pip install" in c for c in commands)
    # the loader resolving the library, or a pattern that is not a file, is no finding
    assert _explained_dl201("\tlibcudnn.so.8 => /usr/lib/x86_64-linux-gnu/libcudnn.so.8\n") == []
    assert _explained_dl201("Unable to find the model under the names given\n") == []


def test_dl205_from_a_pasted_extension_build_log() -> None:
    # torch.utils.cpp_extension's own check, quoted in a build log (its format string runs
    # "compile" and "PyTorch" together)
    text = (
        "The detected CUDA version (11.8) mismatches the version that was used to "
        "compilePyTorch (12.1). Please make sure to use the same CUDA versions."
    )
    err = ReportedError(signature="torch-extension-cuda-mismatch", text=text, meaning="m")
    f = only(replace(cpu_machine(), reported_errors=[err]), "DL205")
    assert f.title == (
        "The CUDA toolkit building the extension is CUDA 11.8, torch is built with CUDA 12.1"
    )
    assert f.evidence[0].needed == "CUDA 12.x"
    assert isinstance(f.fixes[0], ManualStep)
    # another message, or one without versions, says nothing
    other = ReportedError(signature="torch-extension-no-cuda-toolkit", text=text, meaning="m")
    assert fired(replace(cpu_machine(), reported_errors=[other]), "DL205") == []


def test_dl202_cffi_dlopen_of_another_cuda_major_than_the_stated_one() -> None:
    """NVIDIA/cudf#869: cffi's "OSError: cannot load library '.../librmm.so': libcudart.so.9.2:
    cannot open" (the terminal wrapped the line) on "a CUDA 10 system": the package was built
    for CUDA 9.2, the machine has 10 (DL202); without the stated CUDA it is a missing library."""
    from dlenv.importers.explain import explain_text

    def codes(text: str) -> list[str]:
        found = explain_text(text, "paste.txt", probe=False).report.findings
        return sorted({f.code for f in found if f.severity in ("error", "warning")})

    error = (
        "OSError: cannot load library '/home/u/env/lib/python3.6/site-packages/librmm.so': "
        "libcudart.so.9.2: cannot open \nshared object file: No such file or directory\n"
    )
    assert codes("Importing cudf on a CUDA 10 system fails:\n" + error) == ["DL202"]
    assert codes("Importing cudf fails:\n" + error) == ["DL201"]


def test_dl206_below_jaxs_own_minimum_even_when_built_against_it() -> None:
    """conda-forge/jax-feedstock#149: jax built against cuDNN 8907 whose own check demands
    9100 ("Minimum supported"): the installed 8907 is below JAX's floor (DL206). The same
    numbers with the installed cuDNN at the floor are not a mismatch."""
    from dlenv.importers.explain import explain_text

    def dl206(installed: str) -> list[Finding]:
        text = (
            "CUDA backend failed to initialize: Unable to use CUDA because of the following "
            "issues with CUDA components:\nOutdated cuDNN installation found.\n"
            "Version JAX was built against: 8907\nMinimum supported: 9100\n"
            f"Installed version: {installed}\n"
        )
        found = explain_text(text, "paste.txt", probe=False).report.findings
        return [f for f in found if f.code == "DL206"]

    [f] = dl206("8907")
    assert f.severity == "error"
    assert f.evidence[0].found == "8.9.7" and f.evidence[0].needed == ">=9.1.0"
    assert dl206("9100") == []


def test_dl201_onnxruntime_cuda_provider_could_not_load_its_libraries() -> None:
    """MixLabPro/comfyui-liveportrait#20: "CUDA_PATH is set but CUDA wasnt able to be loaded"
    is ONNX Runtime's CUDA provider failing to load the CUDA/cuDNN libraries it links (DL201);
    where the paste names the missing library, that finding is the only one."""
    from dlenv.importers.explain import explain_text

    def findings(text: str) -> list[Finding]:
        found = explain_text(text, "paste.txt", probe=False).report.findings
        return [f for f in found if f.code in ("DL201", "DL202", "DL901")]

    said = (
        "D:\\a\\_work\\1\\s\\onnxruntime\\python\\onnxruntime_pybind_state.cc:891 "
        "onnxruntime::python::CreateExecutionProviderInstance CUDA_PATH is set but CUDA wasnt "
        "able to be loaded. Please install the correct version of CUDA and cuDNN\n"
    )
    [f] = findings(said)
    assert f.code == "DL201" and f.subject == "onnxruntime"
    required = (
        "[W:onnxruntime:Default, onnxruntime_pybind_state.cc:965 CreateExecutionProviderInstance]"
        " Failed to create CUDAExecutionProvider. Require cuDNN 9.* and CUDA 12.*, and the "
        "latest MSVC runtime.\n"
    )
    [g] = findings(required)
    assert g.evidence[0].needed == "cuDNN 9.x and CUDA 12.x"
    named = said + (
        "Failed to load library libonnxruntime_providers_cuda.so with error: libcudnn_adv.so.9: "
        "cannot open shared object file: No such file or directory\n"
    )
    assert [x.title for x in findings(named)] == ["libcudnn_adv.so.9 cannot be loaded"]


def test_dl202_torch7_cudnn_major_beside_another_listed() -> None:
    """floydhub/dl-docker#33: cudnn.torch asks for "libcudnn (R4)" (libcudnn.so.4) while the
    reporter's `find` lists only libcudnn.so.5 (DL202); with no listing it is missing (DL201)."""
    from dlenv.importers.explain import explain_text

    def codes(text: str) -> list[str]:
        found = explain_text(text, "paste.txt", probe=False).report.findings
        return sorted({f.code for f in found if f.severity in ("error", "warning")})

    error = (
        "/root/torch/install/bin/luajit: /root/torch/install/share/lua/5.1/cudnn/ffi.lua:1278: "
        "'libcudnn (R4) not found in library path.\nPlease install CuDNN from "
        "https://developer.nvidia.com/cuDNN\nThen make sure files named as libcudnn.so.4 or "
        "libcudnn.4.dylib are placed in your library load path\n"
    )
    listing = (
        'root@eaf76f30fb69:~/torch# find / -name "libcudnn*"\n'
        "/usr/local/cuda-8.0/targets/x86_64-linux/lib/libcudnn.so.5.1.5\n"
        "/usr/local/cuda-8.0/targets/x86_64-linux/lib/libcudnn.so.5\n"
    )
    assert codes(error + listing) == ["DL202"]
    assert codes(error) == ["DL201"]


def test_dl205_from_deepspeeds_op_builder() -> None:
    # DeepSpeed's op_builder/builder.py assert_no_cuda_mismatch() checks the same
    text = (
        "deepspeed.ops.op_builder.builder.CUDAMismatchException: >- DeepSpeed Op Builder: "
        "Installed CUDA version 11.8 does not match the version torch was compiled with 12.1, "
        "unable to compile cuda/cpp extensions without a matching cuda version."
    )
    err = ReportedError(signature="deepspeed-cuda-mismatch", text=text, meaning="m")
    f = only(replace(cpu_machine(), reported_errors=[err]), "DL205")
    assert f.title == (
        "The CUDA toolkit building the extension is CUDA 11.8, torch is built with CUDA 12.1"
    )
    assert f.message.startswith("DeepSpeed's op builder found a CUDA 11.8 toolkit")
    assert f.evidence[0].needed == "CUDA 12.x"


def test_dl202_a_missing_major_beside_the_cuda_the_reporter_has() -> None:
    """ISEE-Laboratory/LLMDet: libcudart.so.10.1 missing on "ubuntu20.04+nvidia530.30+cuda12.1"
    (an mmcv built for CUDA 10.1); ClementPinard's correlation extension: libcudart.so.9.2
    missing after "I updated the cuda from 9.2 to 10.1". The stated CUDA is another major of
    the same library: DL202. With the same major stated, only the library is missing: DL201."""
    from dlenv.importers.explain import explain_text

    def codes(text: str) -> list[str]:
        found = explain_text(text, "paste.txt", probe=False).report.findings
        return sorted({f.code for f in found if f.code.startswith("DL20")})

    error = "ImportError: libcudart.so.10.1: cannot open shared object file: No such file\n"
    assert codes(error + "我的系统ubuntu20.04+nvidia530.30+cuda12.1+cudnn\n") == ["DL202"]
    assert codes(error + "Ps: I updated the cuda from 9.2 to 12.1.\n") == ["DL202"]
    assert codes(error + "Ps: I updated the cuda from 9.2 to 10.1.\n") == ["DL201"]


def test_dl203_warning_when_the_reporter_names_two_programs_and_their_cudnns() -> None:
    """Theano/Theano#5581 ("torch is using cudnn 5110 while theano 0.9.0b1 can only support
    5005"), m-bain/whisperX#954 ("torch and ctranslate require different version of cudnn"):
    two programs in one environment, two cuDNNs; one program alone is no conflict."""
    from dlenv.snapshot.model import Snapshot

    def said(text: str) -> Snapshot:
        return Snapshot(
            reported_errors=[
                ReportedError(
                    signature="said-two-programs-cudnn",
                    text=text,
                    meaning="two cuDNNs",
                    harmless=True,
                )
            ]
        )

    theano = "Currently, torch is using cudnn 5110 while theano can only support 5005."
    f = only(said(theano), "DL203")
    assert f.severity == "warning"
    assert f.evidence[0].fact == "reported_errors.said-two-programs-cudnn"
    assert fired(said("pytorch needs a newer cudnn than torch had while training"), "DL203") == []
    assert fired(said("torch uses cudnn 9 while my old cudnn 8 is in /usr/local"), "DL203") == []


def test_dl206_from_paddle_mxnet_and_caffe2_checks() -> None:
    """Programs that compare the cuDNN they load with the one they were built with, each in its
    own words (PaddlePaddle/Paddle#37349, Detectron#574 for Caffe2, MXNet's utils.cc); the same
    versions on both sides say nothing."""
    from dlenv.snapshot.model import Snapshot

    paddle = (
        "W1118 gpu_resources.cc:201] WARNING: device: 0. The installed Paddle is compiled with "
        "CUDNN 8.2, but CUDNN version in your machine is 8.1, which may cause serious "
        "incompatible bug. Please recompile or reinstall Paddle with compatible CUDNN version."
    )
    bad = Snapshot(
        reported_errors=[
            ReportedError(signature="paddle-cudnn-version-mismatch", text=paddle, meaning="m")
        ]
    )
    f = only(bad, "DL206")
    assert (f.evidence[0].needed, f.evidence[0].found) == ("8.2", "8.1")
    assert any("paddlepaddle-gpu" in a.text for a in f.fixes if isinstance(a, ManualStep))
    assert fired(Snapshot(), "DL206") == []
    mxnet = "cuDNN lib mismatch: linked-against version 7605 != compiled-against version 7501."
    assert pasted_codes(mxnet + "\n") == {"DL206": "error"}
    caffe2 = (
        "RuntimeError: [enforce fail at common_cudnn.h:108] version_match || "
        "backwards_compatible_7 || patch_compatible. cuDNN compiled (7102) and runtime (7005) "
        "versions mismatch\n"
    )
    assert pasted_codes(caffe2).get("DL206") == "error"


def test_dl202_from_a_cudnn_major_the_reporter_states() -> None:
    """ "Could not load library cudnn_ops_infer64_8.dll" beside "I have cuDNN 9.1 installed"
    (linyqh/NarratoAI#74's reading), "libcudnn.so.9: cannot open" beside "cuDNN 8.9.7": the
    library asked for is another major than the one the machine has; with the same major
    stated, or only a requirement, it is a missing library (DL201)."""
    dll = "Could not load library cudnn_ops_infer64_8.dll. Error code 126\n"
    assert pasted_codes(dll + "I have cuDNN 9.1 installed.\n") == {"DL202": "error"}
    so = "ImportError: libcudnn.so.9: cannot open shared object file: No such file or directory\n"
    assert pasted_codes(so + "CUDA 12.1, cuDNN 8.9.7\n").get("DL202") == "error"
    assert "DL202" not in pasted_codes(so + "CUDA 12.1, cuDNN 9.1.0\n")
    assert "DL202" not in pasted_codes(dll + "the model requires cuDNN 9.1\n")
    # cuDNN's sonames carry the major alone: libcudnn_ops.so.9.1.0 is what cuDNN 9.2 provides
    ops = "Unable to load any of {libcudnn_ops.so.9.1.0, libcudnn_ops.so.9.1, libcudnn_ops.so.9}\n"
    assert "DL202" not in pasted_codes(ops + "I have cuDNN 9.2 installed\n")


def test_dl202_cudart_beside_a_stated_toolkit_of_another_major() -> None:
    """tanjeffreyz/auto-maple#34's reading: TensorFlow cannot load cudart64_110.dll (CUDA 11)
    and the reporter uses CUDA 10.1: the installed toolkit says the GPU is wanted, so the
    cudart message is the wrong major, not CPU-set-up noise; alone it stays DL201's warning."""
    tf = (
        "W tensorflow/stream_executor/platform/default/dso_loader.cc:64] Could not load dynamic "
        "library 'cudart64_110.dll'; dlerror: cudart64_110.dll not found\n"
    )
    assert pasted_codes(tf + "Im using CUDA v10.1.\n").get("DL202") == "error"
    assert pasted_codes(tf) == {"DL201": "warning"}


# -- a program's cuDNN/CUDA majors (ctranslate2, onnxruntime-gpu) against the paste's ----------
def _program_paste(*lines: str):  # type: ignore[no-untyped-def]
    """A snapshot of what a paste states: each (signature, text) a reported message."""
    from dlenv.snapshot.model import Snapshot

    return Snapshot(
        reported_errors=[
            ReportedError(
                signature=sig, text=text, meaning="m", harmless=sig.startswith("cuda-program")
            )
            for sig, text in (line.split("|", 1) for line in lines)
        ]
    )


def test_dl203_ctranslate2_failed_cudnn_major_against_torch_in_the_paste() -> None:
    """lenML/Speech-AI-Forge#139 (torch 2.4.0+cu121 beside faster-whisper's "Could not load
    library libcudnn_ops_infer.so.8"), m-bain/whisperX#899: torch 2.4 brings cuDNN 9, the
    program asks for cuDNN 8; with torch 2.3.1 (cuDNN 8) the same failure is no conflict."""
    failed = (
        "cudnn-sublibrary-load-failed|Could not load library libcudnn_ops_infer.so.8. Error: "
        "libcudnn_ops_infer.so.8: cannot open shared object file: No such file or directory"
    )
    named = "cuda-program-named|faster_whisper - INFO - Processing audio"
    bad = replace(_program_paste(failed, named), frameworks=[torch("2.4.0+cu121", "9.1")])
    f = only(bad, "DL203")
    assert f.severity == "warning"
    assert f.title == "libcudnn_ops_infer.so.8 asks for cuDNN 8, torch 2.4.0+cu121 brings cuDNN 9"
    assert (f.evidence[0].needed, f.evidence[1].found) == ("cuDNN 8", "cuDNN 9")
    assert (
        any(
            isinstance(a, InstallPackages) and a.packages == ["ctranslate2==4.4.0"] for a in f.fixes
        )
        is False
    )  # torch brings cuDNN 9: the matching CTranslate2 line is 4.5 or newer
    assert any(
        isinstance(a, InstallPackages) and a.packages == ["ctranslate2>=4.5"] for a in f.fixes
    )
    good = replace(bad, frameworks=[torch("2.3.1+cu121", "8.9")])
    assert fired(good, "DL203") == []
    # no program but torch named: torch asking for its own cuDNN is DL201's, not a conflict
    assert fired(replace(bad, reported_errors=bad.reported_errors[:1]), "DL203") == []


def test_dl203_a_stated_ctranslate2_release_against_torchs_cudnn() -> None:
    """OpenNMT/CTranslate2#1826 ("ctranslate2==4.5.0, torch==2.5.1" works; 4.4.0 with torch
    2.5 asks for libcudnn_ops_infer.so.8): the release states the cuDNN major (the knowledge
    base's library_majors.json); a failure must be in the paste."""
    from dlenv.importers.explain import explain_text

    def codes(text: str) -> dict[str, str]:
        found = explain_text(text, "paste.txt", probe=False).report.findings
        return {f.code: f.severity for f in found if f.code in ("DL202", "DL203")}

    failure = "Invalid handle. Cannot load symbol cudnnCreateTensorDescriptor\n"
    assert codes("ctranslate2==4.5.0\ntorch==2.3.1+cu121\n" + failure) == {"DL203": "warning"}
    assert codes("ctranslate2==4.5.0\ntorch==2.5.1+cu124\n" + failure) == {}
    assert codes("ctranslate2==4.5.0\ntorch==2.3.1+cu121\n") == {}  # nothing failed
    # a version after "install" is what was tried, not what failed
    assert codes("pip install ctranslate2==4.5.0\ntorch==2.3.1+cu121\n" + failure) == {}


def test_dl202_a_programs_release_against_the_majors_the_paste_states() -> None:
    """microsoft/onnxruntime#21825 ("Failed to create CUDAExecutionProvider. Require cuDNN 9.*
    and CUDA 12.*"), SYSTRAN/faster-whisper#885 (ctranslate2 built for cuDNN 8, "I have
    installed cudnn-9.2"): the program's majors against the installed ones, no file named."""
    from dlenv.snapshot.model import CudnnInstall

    ort = (
        "ort-cuda-provider-not-created|Failed to create CUDAExecutionProvider. Require cuDNN 9.* "
        "and CUDA 12.*, and the latest MSVC runtime."
    )
    installed = CudaFacts(cudnn=[CudnnInstall(path="(stated in prose)", version="8.9", major=8)])
    bad = replace(_program_paste(ort), cuda=installed)
    f = only(bad, "DL202")
    assert f.severity == "warning"
    assert f.title == "ONNX Runtime needs cuDNN 9, the paste shows cuDNN 8.9 (stated in prose)"
    good = replace(
        bad, cuda=CudaFacts(cudnn=[CudnnInstall(path="(stated in prose)", version="9.1", major=9)])
    )
    assert fired(good, "DL202") == []
    assert fired(replace(bad, cuda=CudaFacts()), "DL202") == []  # nothing stated installed
    ct2 = replace(
        _program_paste(
            "cuda-program-version-stated|ctranslate2 4.4.0",
            "cuda-sublibrary-unable-to-load-any|Invalid handle. Cannot load symbol cudnnCreate",
        ),
        cuda=CudaFacts(cudnn=[CudnnInstall(path="(stated in prose)", version="9.2", major=9)]),
    )
    f = only(ct2, "DL202")
    assert f.title.startswith("ctranslate2 4.4.0 needs cuDNN 8")


def test_dl203_two_frameworks_and_their_cudnns_joined_by_where() -> None:
    """AspirinCode/GENiPPI#1: "torch==1.7.1 requires cuda version 11.0 and cudnn 0.8.2 where
    tensorflow=2.5.0 requires cuda 11.2 and cudnn 8.1" (the maintainer: install them apart)."""
    from dlenv.importers.explain import explain_text

    def codes(text: str) -> dict[str, str]:
        found = explain_text(text, "paste.txt", probe=False).report.findings
        return {f.code: f.severity for f in found if f.code == "DL203"}

    said = (
        "torch==1.7.1 requires cuda version 11.0 and cudnn 0.8.2 where tensorflow=2.5.0 "
        "requires cuda 11.2 and cudnn 8.1.\n"
    )
    assert codes(said) == {"DL203": "warning"}
    assert codes("where is the cudnn that torch installs?\n") == {}


def test_dl203_loaded_cudnn_is_the_release_torch_pins_and_torch_is_named() -> None:
    """AI-Hypercomputer/maxtext#1509: "Loaded runtime CuDNN library: 9.1.0 but source was
    compiled with: 9.8.0" under "Remove torch dependency to avoid conflict": 9.1.0 is the cuDNN
    torch 2.4-2.6 pins (nvidia-cudnn-cu12==9.1.0.70). Without torch named, or with a loaded
    cuDNN no torch release pins, it stays DL206 alone."""
    from dlenv.importers.explain import explain_text

    def codes(text: str) -> dict[str, str]:
        found = explain_text(text, "paste.txt", probe=False).report.findings
        return {f.code: f.severity for f in found if f.code in ("DL203", "DL206")}

    def mismatch(loaded: str) -> str:
        return (
            f"Loaded runtime CuDNN library: {loaded} but source was compiled with: 9.8.0.  "
            "CuDNN library needs to have matching major version and equal or higher minor "
            "version.\n"
        )

    title = "Remove torch dependency to avoid conflict\n"
    assert codes(title + mismatch("9.1.0")) == {"DL206": "error", "DL203": "warning"}
    assert codes(mismatch("9.1.0")) == {"DL206": "error"}
    assert codes(title + mismatch("9.3.0")) == {"DL206": "error"}


def test_dl202_cudart_of_another_major_than_the_issue_templates_cuda() -> None:
    """ina-foss/inaSpeechSegmenter#49: TensorFlow 2.3.1 asks for libcudart.so.10.1 while the
    issue template states "CUDA 11.1.1-1": stating the CUDA in use is wanting the GPU, so the
    missing cudart is weighed like any other library (without it, a CPU set-up's harmless try)."""
    from dlenv.importers.explain import explain_text

    def codes(text: str) -> list[str]:
        found = explain_text(text, "paste.txt", probe=False).report.findings
        return sorted({f.code for f in found if f.code in ("DL201", "DL202")})

    template = (
        "## System information\n"
        "- OS Platform and Distribution (e.g., Linux Ubuntu 16.04): Ubuntu 18.04.5 LTS\n"
        "- TensorFlow version: tensorflow-gpu 2.3.1\n"
        "- CUDA/cuDNN version (if GPU is used): CUDA {cuda}\n"
    )
    log = (
        "2020-12-06 09:47:53.035831: W tensorflow/stream_executor/platform/default/"
        "dso_loader.cc:59] Could not load dynamic library 'libcudart.so.10.1'; dlerror: "
        "libcudart.so.10.1: cannot open shared object file: No such file or directory\n"
    )
    assert codes(template.format(cuda="11.1.1-1") + log) == ["DL202"]
    assert codes(template.format(cuda="10.1") + log) == ["DL201"]


def test_dl203_or_dl202_from_a_stated_fix_that_goes_back_to_an_older_ctranslate2() -> None:
    """KoljaB/RealtimeSTT#138 ("Downgrading ctranslate to version 4.4.0 is enough", quoting
    whisperX#901), Softcatala/whisper-ctranslate2#115 ("pip install ctranslate2==4.4.0"): the
    release gone back to is built for cuDNN 8, the failing one asked for cuDNN 9. With torch in
    the process (named, or whisperX that runs it) its cuDNN is the environment's: DL203;
    otherwise the installed cuDNN is the other major: DL202. Both warnings."""
    from dlenv.importers.explain import explain_text

    def codes(text: str) -> dict[str, str]:
        found = explain_text(text, "paste.txt", probe=False).report.findings
        return {f.code: f.severity for f in found if f.code in ("DL202", "DL203")}

    failed = (
        "Unable to load any of {libcudnn_ops.so.9.1.0, libcudnn_ops.so.9.1, libcudnn_ops.so.9, "
        "libcudnn_ops.so}\nInvalid handle. Cannot load symbol cudnnCreateTensorDescriptor\n"
    )
    fix = "Downgrading ctranslate to version 4.4.0 is enough to fix the problem\n"
    assert codes(failed + fix + "From: https://github.com/m-bain/whisperX/issues/901\n") == {
        "DL203": "warning"
    }
    assert codes(failed + "I solved it with: pip install ctranslate2==4.4.0\n") == {
        "DL202": "warning"
    }
    assert codes(fix) == {}  # nothing failed
    # a fix to the very major the failing load asked for says nothing about another major
    assert codes(failed + "pip install ctranslate2==4.5.0 fixed it, torch 2.5\n") == {}


def test_dl201_windows_loader_126_on_a_cuda_dll_or_the_ort_provider() -> None:
    """dje-dev/Ceres#88 (a title: "LoadLibrary failed with error 126 when trying to load
    onnxruntime_providers_cuda.dll", fixed by reinstalling the NVIDIA software), and torch's
    "[WinError 126] ... Error loading ...cudnn_cnn_infer64_8.dll or one of its dependencies":
    Windows error 126 is a module not found, so a CUDA library (or one it needs) is missing.
    127 (a procedure missing) and a non-CUDA DLL are no such proof."""
    from dlenv.importers.explain import explain_text

    def codes(text: str) -> set[str]:
        found = explain_text(text, "paste.txt", probe=False).report.findings
        return {f.code for f in found if f.severity == "error"}

    title = (
        "ONNXRuntimeError:1:FAIL:LoadLibrary failed with error 126 when trying to load "
        "onnxruntime_providers_cuda.dll\n"
    )
    assert "DL201" in codes(title)
    assert "DL201" not in codes(title.replace("error 126", "error 193"))
    torch_dll = (
        'OSError: [WinError 126] The specified module could not be found. Error loading "C:\\v'
        '\\lib\\site-packages\\torch\\lib\\cudnn_cnn_infer64_8.dll" or one of its dependencies.\n'
    )
    assert "DL201" in codes(torch_dll)
    assert "DL201" not in codes(torch_dll.replace("cudnn_cnn_infer64_8", "fbgemm"))
    assert "DL201" not in codes(
        torch_dll.replace(
            "[WinError 126] The specified module", "[WinError 127] The specified procedure"
        )
    )


def test_dl202_a_windows_dependency_list_names_a_dll_of_another_major() -> None:
    """dougeeai/llama-cpp-python-wheels#3: ntldd on a "cuda12.1" wheel's ggml-cuda.dll shows
    "cublas64_13.dll => not found" (the maintainer: the wheel was linked against CUDA 13):
    the DLL's major against the CUDA the paste states."""
    from dlenv.importers.explain import explain_text

    def codes(text: str) -> set[str]:
        found = explain_text(text, "paste.txt", probe=False).report.findings
        return {f.code for f in found if f.severity in ("error", "warning")}

    said = "I have CUDA 12.1 installed.\n"
    assert "DL202" in codes(said + "        cublas64_13.dll => not found\n")
    same = codes(said + "        cublas64_12.dll => not found\n")
    assert "DL202" not in same and "DL201" in same


def test_dl203_cudnn9_fails_beside_a_torch_whose_release_is_unstated() -> None:
    """KoljaB/LocalEmotionalAIVoiceChat#1 ("Could not locate cudnn_ops64_9.dll … Cannot load
    symbol cudnnCreateTensorDescriptor" after installing the CUDA torch; the maintainer: `pip
    install "ctranslate2<4.5.0"`), erew123/alltalk_tts#391 (XTTS fine-tuning, "Successfully
    loaded cudnn_ops64_9.dll without its dependencies"): cuDNN 9 asked for beside torch."""
    from dlenv.importers.explain import explain_text

    def titles(text: str) -> list[str]:
        found = explain_text(text, "paste.txt", probe=False).report.findings
        return [f.title for f in found if f.code == "DL203" and f.severity == "warning"]

    failure = (
        "Could not locate cudnn_ops64_9.dll. Please make sure it is in your library path!\n"
        "Invalid handle. Cannot load symbol cudnnCreateTensorDescriptor\n"
    )
    assert any(
        "probably CTranslate2" in t
        for t in titles(
            "I installed the proper torch version but now I get this error:\n" + failure
        )
    )
    xtts = (
        "Successfully loaded cudnn_ops64_9.dll without its dependencies. Successfully loaded "
        "zlib independently. Unknown dll missing.\nInvalid handle. Cannot load symbol "
        "cudnnCreateTensorDescriptor\nI have used xtts to train models in the past\n"
    )
    assert any("probably CTranslate2" in t for t in titles(xtts))
    assert titles(failure) == []  # torch not in the report
    # torch 2.5 brings cuDNN 9 itself: no conflict to reason about here
    assert not any("probably" in t for t in titles("torch==2.5.1+cu124\n" + failure))


def test_dl206_cudnn_fails_to_start_and_the_stated_cudnn_is_an_older_minor() -> None:
    """TensorFlow 2.5-2.11 were built and tested with cuDNN 8.1 (the knowledge base's tested
    configurations): "Failed to get convolution algorithm" beside a stated cuDNN 8.0.5 is the
    older minor TensorFlow refuses; 8.1.1, another major, or no failure are not."""
    from dlenv.importers.explain import explain_text

    def titles(text: str) -> list[str]:
        found = explain_text(text, "paste.txt", probe=False).report.findings
        return [f.title for f in found if f.code == "DL206" and f.severity == "warning"]

    failure = (
        "UnknownError: Failed to get convolution algorithm. This is probably because cuDNN "
        "failed to initialize, so try looking to see if a warning log message was printed above.\n"
    )
    assert titles("tensorflow 2.5.0, CUDA 11.2, cuDNN 8.0.5\n" + failure) == [
        "tensorflow 2.5.0 is built with cuDNN 8.1, the report states cuDNN 8.0.5"
    ]
    assert titles("tensorflow 2.5.0, CUDA 11.2, cuDNN 8.1.1\n" + failure) == []
    assert titles("tensorflow 2.5.0, CUDA 11.2, cuDNN 7.6.5\n" + failure) == []
    assert titles("tensorflow 2.5.0, CUDA 11.2, cuDNN 8.0.5\n") == []


def test_dl201_taichi_names_the_driver_library_it_could_not_open() -> None:
    """taichi-dev/taichi-nerfs#94: Taichi's own "[cuda_driver.cpp:load_lib@36] libcuda.so lib not
    found." is a missing library (the driver's: the message and the fix say so, WSL's directory
    included); the fallback line alone on a Linux host names no cause."""
    from dlenv.importers.explain import explain_text

    line = "[W 03/03/24 17:05:31.950 2179169] [cuda_driver.cpp:load_lib@36] libcuda.so lib not found.\n"
    [f] = [f for f in explain_text(line, "t", probe=False).report.findings if f.code == "DL201"]
    assert f.severity == "error" and "NVIDIA driver's own library" in f.message
    assert any("/usr/lib/wsl/lib" in c for a in f.fixes for c in getattr(a, "commands", []))
    fallback = (
        "[W 06/24/21 15:54:08.105 4009] [__init__.py:adaptive_arch_select@656] "
        "Arch=[<Arch.cuda: 5>] is not supported, falling back to CPU\n"
    )
    on_linux = explain_text("Ubuntu 20.04\n" + fallback, "t", probe=False).report.findings
    assert not [f for f in on_linux if f.code == "DL201" and "Taichi" in f.title]


def test_dl201_taichi_falling_back_on_wsl_is_the_driver_library_path() -> None:
    """taichi-dev/taichi#2460: on WSL ("Windows Subsytem for Linux", misspelt) Taichi's fallback
    to the CPU with no other error is probably libcuda.so off the loader path (a warning); the
    misspelt name is WSL, not native Windows."""
    from dlenv.importers.explain import explain_text

    text = (
        "ti.init reports that CUDA 11.0 is not supported on Windows Subsytem for Linux (WSL)\n"
        "[W 06/24/21 15:54:08.105 4009] [__init__.py:adaptive_arch_select@656] "
        "Arch=[<Arch.cuda: 5>] is not supported, falling back to CPU\n"
    )
    explained = explain_text(text, "t", probe=False)
    assert explained.imported.snapshot.host.wsl == 2
    [f] = [f for f in explained.report.findings if f.code == "DL201"]
    assert f.severity == "warning" and "WSL" in f.title


def test_dl202_nvrtc_dll_names_carry_a_build_number() -> None:
    """NVRTC's DLL is nvrtc64_112_0.dll (CUDA 11.2), not nvrtc64_112.dll: beside a stated CUDA
    10.2 it is the other major's file (DL202), as cublas64_11.dll would be."""
    from dlenv.importers.explain import explain_text

    text = "I have installed CUDA Toolkit 10.2.\nCould not load library nvrtc64_112_0.dll\n"
    codes = [f.code for f in explain_text(text, "p", probe=False).report.findings]
    assert codes[0] == "DL202"
    same = text.replace("10.2", "11.2")
    assert "DL202" not in [f.code for f in explain_text(same, "p", probe=False).report.findings]


def test_jvm_cuda_bindings_name_the_binding_not_the_library() -> None:
    """jcuda/jcuda#34 and deeplearning4j#8193: Java reports the binding that failed to load
    ('Error while loading native library "JNvrtc-11.2.0-windows-x86_64"', ND4J's CUDA backend
    failing in its static initialiser). JCuda's release is the CUDA it needs: beside CUDA 10.2
    that is DL202, beside CUDA 11.2 (or none stated) the libraries are not on PATH (DL201)."""
    from dlenv.importers.explain import explain_text

    def codes(text: str) -> list[str]:
        return [f.code for f in explain_text(text, "p", probe=False).report.findings]

    jcuda = (
        'Exception in thread "main" java.lang.UnsatisfiedLinkError: Error while loading native '
        'library "JNvrtc-11.2.0-windows-x86_64"\n'
    )
    assert codes(jcuda + "I have installed CUDA Toolkit 10.2\n")[0] == "DL202"
    assert codes(jcuda + "I have installed CUDA Toolkit 11.2\n")[0] == "DL201"
    [f] = _explained_dl201(jcuda)
    assert "CUDA 11.2" in f.message
    nd4j = (
        "java.lang.ExceptionInInitializerError\n\tat org.nd4j.jita.concurrency."
        "CudaAffinityManager.getNumberOfDevices(CudaAffinityManager.java:130)\n"
    )
    assert codes(nd4j)[0] == "DL201"
    assert (
        _explained_dl201(
            "java.lang.ExceptionInInitializerError\n\tat com.example.Main.main(Main.java:10)\n"
        )
        == []
    )


def test_dl201_a_tensorrt_library_an_extension_links() -> None:
    """pytorch/TensorRT: `import trtorch` fails with "libnvinfer_plugin.so.8: cannot open shared
    object file": TensorRT's library, which the extension links, is not on the loader path
    (DL201, named). TensorFlow's own optional "Could not load dynamic library 'libnvinfer.so.7'"
    warning stays harmless noise."""
    [f] = _explained_dl201(
        "import trtorch\nImportError: libnvinfer_plugin.so.8: cannot open shared object file: "
        "No such file or directory\n"
    )
    assert "libnvinfer_plugin.so.8" in f.title
    tf = (
        "2023-01-01 10:00:00.000000: W tensorflow/compiler/xla/stream_executor/platform/default/"
        "dso_loader.cc:64] Could not load dynamic library 'libnvinfer.so.7'; dlerror: "
        "libnvinfer.so.7: cannot open shared object file: No such file or directory\n"
    )
    assert _explained_dl201(tf) == []


def test_dl201_the_drivers_video_codec_library_in_a_container() -> None:
    """styler00dollar/VSGAN-tensorrt-docker#42: FFmpeg's "Cannot load libnvidia-encode.so.1"
    in a container: NVENC's library comes with the driver and the NVIDIA runtime mounts it only
    with the `video` driver capability (DL201, with that fix, not a CUDA release to install).
    The same file listed on disk is no failure."""
    [f] = _explained_dl201(
        "[hevc_nvenc @ 0x55ca461fa380] Cannot load libnvidia-encode.so.1\n"
        "[hevc_nvenc @ 0x55ca461fa380] The minimum required Nvidia driver for nvenc is (unknown) "
        "or newer\n"
    )
    assert f.severity == "error" and "libnvidia-encode.so.1" in f.title
    assert "video" in f.message
    commands = " ".join(c for a in f.fixes for c in getattr(a, "commands", []))
    assert "NVIDIA_DRIVER_CAPABILITIES" in commands and "cuda-toolkit-archive" not in str(f.fixes)
    [g] = _explained_dl201(
        "OSError: libnvcuvid.so.1: cannot open shared object file: No such file or directory\n"
    )
    assert "libnvcuvid.so.1" in g.title
    assert _explained_dl201("/usr/lib/x86_64-linux-gnu/libnvidia-encode.so.1\n") == []


def test_dl202_the_other_major_the_reporter_says_is_there() -> None:
    """qdrant/fastembed#238: ONNX Runtime could not load libcublasLt.so.11, "however only
    `libcublasLt.so.12` was available": the reporter names the major that is installed, so
    the library is there in another major (DL202), not missing (DL201). Saying the same
    major is there leaves a path problem (DL201); saying another is absent proves nothing."""
    from dlenv.importers.explain import explain_text

    def codes(text: str) -> list[str]:
        return [f.code for f in explain_text(text, "p", probe=False).report.findings]

    failed = (
        "Failed to load library libonnxruntime_providers_cuda.so with error: libcublasLt.so.11: "
        "cannot open shared object file: No such file or directory\n"
    )
    assert codes(failed + "However only `libcublasLt.so.12` was available.\n")[0] == "DL202"
    assert codes(failed + "I have libcublasLt.so.11 installed.\n")[0] == "DL201"
    assert codes(failed + "There is no libcublasLt.so.12 either.\n")[0] == "DL201"


def test_dl202_the_other_major_from_nvcc_or_a_one_column_listing() -> None:
    """TensorFlow's optional "Could not load dynamic library 'libcudart.so.11.0'" beside a
    pasted `nvcc --version` of CUDA 12.2: a toolkit installed for the GPU, of another major
    (DL202), not the harmless cudart probe of a CPU set-up. An ImportError on libcublas.so.9.0
    beside a one-column `ls | grep cublas` that lists libcublas.so.10: DL202 too; the missing
    file's own name alone on a line is no listing."""
    from dlenv.importers.explain import explain_text

    def codes(text: str) -> list[str]:
        return [f.code for f in explain_text(text, "p", probe=False).report.findings]

    tf = (
        "W tensorflow/compiler/xla/stream_executor/platform/default/dso_loader.cc:64] Could not "
        "load dynamic library 'libcudart.so.11.0'; dlerror: libcudart.so.11.0: cannot open "
        "shared object file: No such file or directory\n"
    )
    nvcc = "$ nvcc --version\nCuda compilation tools, release 12.2, V12.2.140\n"
    assert codes(tf + nvcc)[0] == "DL202"
    assert "DL202" not in codes(tf)
    failed = "ImportError: libcublas.so.9.0: cannot open shared object file: No such file\n"
    listing = "$ ls /usr/local/cuda/lib64 | grep cublas\nlibcublas.so\nlibcublas.so.10\nlibcublas.so.10.2.1.243\n"
    assert codes(failed + listing)[0] == "DL202"
    assert codes(failed + "libcublas.so.9.0\n")[0] == "DL201"


def test_dl201_names_jax_for_jaxlibs_own_xla_lines() -> None:
    """jaxlib logs from its own XLA build ("external/xla/xla/stream_executor/cuda/cuda_dnn.cc"),
    the same files TensorFlow logs from "external/local_xla/…": a cuDNN load failure there is
    JAX's, not TensorFlow's; TensorFlow's own path still names TensorFlow."""
    jax = (
        "E external/xla/xla/stream_executor/cuda/cuda_dnn.cc:535] Could not load cudnn library: "
        "libcudnn.so.9: cannot open shared object file\n"
    )
    [f] = _explained_dl201(jax)
    assert f.title.startswith("jax ")
    [g] = _explained_dl201(jax.replace("external/xla/xla", "external/local_xla/xla"))
    assert g.title.startswith("tensorflow ")


def test_dl201_an_exception_on_the_loaders_message_is_a_hard_failure() -> None:
    """llama-cpp-python's "RuntimeError: Failed to load shared library '…/libllama.so':
    libcudart.so.12: cannot open shared object file": the import stopped, so the missing cudart
    is an error even with no GPU in the paste; the loader's line alone stays a warning."""
    [f] = _explained_dl201(
        "RuntimeError: Failed to load shared library '/v/lib/python3.10/site-packages/llama_cpp/"
        "lib/libllama.so': libcudart.so.12: cannot open shared object file: No such file or "
        "directory\n"
    )
    assert f.severity == "error"
    [g] = _explained_dl201(
        "libllama.so: libcudart.so.12: cannot open shared object file: No such file or directory\n"
    )
    assert g.severity == "warning"


def test_dl201_from_the_reporter_saying_the_cuda_runtime_was_not_installed() -> None:
    """janhq/jan#3355: "Problem was that I didn't have CUDA toolkit installed ... I installed
    CUDA Toolkit and it's back to working": the engine loads the system's CUDA runtime (a
    warning); beside torch (its wheels bring their own), or a sentence that only says the
    toolkit does not come with the driver, nothing."""
    from tests.rules.snapshots import pasted_codes

    cause = "Jan wasn't able to start the model. Problem was that I didn't have CUDA toolkit installed.\n"
    assert pasted_codes(cause).get("DL201") == "warning"
    fixed = (
        "GPU acceleration failed. I installed CUDA Toolkit and it's back to working like magic.\n"
    )
    assert pasted_codes(fixed).get("DL201") == "warning"
    assert "DL201" not in pasted_codes(cause + "torch 2.3.0+cu121\n")
    healthy = "The CUDA_VERSION is the newest the driver supports. The 11.0 CUDA toolkit is not installed with the driver.\n"
    assert "DL201" not in pasted_codes(healthy)


def test_dl201_for_tensorrts_runtime_a_program_cannot_load() -> None:
    """onnx/onnx-tensorrt#775: "onnx2trt: error while loading shared libraries: libnvinfer.so.5:
    cannot open shared object file": TensorRT's runtime is missing (an error), and the fix names
    TensorRT, not a CUDA release."""
    from dlenv.importers.explain import explain_text

    said = (
        "onnx2trt: error while loading shared libraries: libnvinfer.so.5: cannot open shared "
        "object file: No such file or directory\n"
    )
    found = explain_text(said, "paste.txt", probe=False).report.findings
    f = next(f for f in found if f.code == "DL201")
    assert f.severity == "error" and "libnvinfer.so.5" in f.title
    assert "TensorRT" in f.message and any("TensorRT" in a.text for a in f.fixes)


def test_dl201_a_cuda_dll_named_bare_as_missing() -> None:
    """hyperfield/ai-file-sorter#39: "it halts with needing cublas64_13 and other dlls": the
    CUDA 13 cuBLAS DLL, named without ".dll", is missing (DL201, the DLL named); a DLL said to
    be in place is not."""
    from dlenv.importers.explain import explain_text

    said = "on run of both installer and standalone, it halts with needing cublas64_13 and other dls.\n"
    found = explain_text(said, "paste.txt", probe=False).report.findings
    f = next(f for f in found if f.code == "DL201")
    assert f.severity == "error" and "cublas64_13.dll" in f.title
    from tests.rules.snapshots import pasted_codes

    assert "DL201" not in pasted_codes("I copied cublas64_13.dll next to the exe and it works\n")

"""DL507 (the system's C runtime is older than a wheel needs) and DL508 (the CPU lacks the
instructions a wheel was compiled for): each judged from a paste and from a live machine."""

from __future__ import annotations

from dataclasses import replace

from dlenv.importers.explain import explain_text
from dlenv.snapshot.model import LiveProbe, Snapshot
from tests.rules.snapshots import cpu_machine, fired, only, tensorflow, with_live


def _codes(text: str) -> dict[str, str]:
    return {f.code: f.severity for f in explain_text(text, "paste", probe=False).report.findings}


def _host(s: Snapshot, **changes: object) -> Snapshot:
    return replace(s, host=replace(s.host, **changes))


GLIBC_228 = (
    "ImportError: /lib64/libc.so.6: version `GLIBC_2.28' not found (required by "
    "/home/u/venv/lib/python3.9/site-packages/torch/lib/libtorch_cpu.so)\n"
)


def test_dl507_glibc_older_than_the_wheel_needs() -> None:
    """The loader's words from glibc's elf/dl-version.c: a torch wheel tagged manylinux_2_28 on
    a glibc 2.17 system (CentOS 7)."""
    assert _codes(GLIBC_228) == {"DL507": "error"}
    # the same, judged with the system's glibc stated: needed beside found
    s = _host(cpu_machine(), glibc_version="2.17")
    said = explain_text(GLIBC_228, "paste", probe=False).report.snapshot.reported_errors
    f = only(replace(s, reported_errors=said), "DL507")
    assert f.evidence[0].found == "2.17" and f.evidence[0].needed == ">=2.28"
    assert "torch<2.7" in (f.hint or "") + " ".join(
        c for a in f.fixes for c in getattr(a, "commands", [])
    ) or any("manylinux2014" in getattr(a, "text", "") for a in f.fixes)
    # good: a system whose glibc is new enough (another, older libc copy was loaded): silent
    new = _host(cpu_machine(), glibc_version="2.35")
    assert fired(replace(new, reported_errors=said), "DL507") == []
    assert fired(cpu_machine(), "DL507") == []


WHEEL = "ale_py-0.8.0-cp310-cp310-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl"


def test_dl507_manylinux_wheel_refused_on_an_older_glibc() -> None:
    """pip refuses a wheel tagged manylinux_2_27 on CentOS 7 (glibc 2.17): its glibc tag is why
    (Farama-Foundation/Arcade-Learning-Environment#478), not a platform the package lacks; on
    Ubuntu 22.04 (glibc 2.35) the same refusal is not a glibc matter, and a wheel for another
    CPU (aarch64 on x86_64) is not one either."""
    refused = f"ERROR: {WHEEL} is not a supported wheel on this platform.\n"
    centos = "When installing 0.8.0 with python 3.10 on a CentOS 7 machine it fails.\n"
    codes = _codes(centos + refused)
    assert codes.get("DL507") == "error" and "DL506" not in codes
    ubuntu = "When installing 0.8.0 with python 3.10 on an Ubuntu 22.04 machine it fails.\n"
    assert "DL507" not in _codes(ubuntu + refused)
    pasted = explain_text(centos + refused, "paste", probe=False).report.snapshot
    assert fired(_host(pasted, arch="x86_64"), "DL507") != []
    assert fired(_host(pasted, arch="aarch64"), "DL507") == []


def test_dl507_pip_lists_only_the_releases_before_the_glibc_floor() -> None:
    """pip lists onnxruntime only up to 1.16.3 and 1.18.0 is asked: from 1.17 its Linux wheels
    need glibc 2.28 (meteofrance/py4cast#89, RHEL 7.9): a warning. A list that reaches past
    the floor, a Mac (whose wheels have no glibc tag), or Ubuntu 22.04 (glibc 2.35), is not."""
    listing = (
        "ERROR: Could not find a version that satisfies the requirement onnxruntime==1.18.0 "
        "(from versions: 1.15.0, 1.15.1, 1.16.0, 1.16.1, 1.16.2, 1.16.3)\n"
        "ERROR: No matching distribution found for onnxruntime==1.18.0\n"
    )
    assert _codes(listing).get("DL507") == "warning"
    past = listing.replace("1.16.3)", "1.16.3, 1.17.0, 1.17.1)")
    assert "DL507" not in _codes(past)
    assert "DL507" not in _codes("On my MacBook (macOS 14):\n" + listing)
    assert "DL507" not in _codes("OS: Ubuntu 22.04.3 LTS (x86_64)\n" + listing)


def test_dl507_libstdcxx_older_than_the_module_needs() -> None:
    text = (
        "ImportError: /usr/lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.29' not "
        "found (required by /env/lib/python3.10/site-packages/scipy/_lib/_uarray/_uarray.so)\n"
    )
    report = explain_text(text, "paste", probe=False).report
    [f] = [f for f in report.findings if f.code == "DL507"]
    assert "GLIBCXX_3.4.29" in f.title
    assert any("libstdcxx-ng" in c for a in f.fixes for c in getattr(a, "commands", []))


def test_dl507_from_a_live_import_that_failed() -> None:
    probe = LiveProbe(framework="torch", status="import-error", error=GLIBC_228.strip())
    bad = with_live(_host(cpu_machine(), glibc_version="2.17"), probe)
    assert only(bad, "DL507").evidence[0].needed == ">=2.28"
    good = with_live(cpu_machine(), LiveProbe(framework="torch", status="ok"))
    assert fired(good, "DL507") == []


def test_dl508_cpu_without_avx_under_tensorflow() -> None:
    """TensorFlow's cpu_feature_guard.cc, jaxlib's and NumPy's own checks name the missing
    instructions; zsh's "illegal hardware instruction" is Rosetta 2 on Apple Silicon."""
    tf = (
        "2018-03-01 10:00:00.000000: F tensorflow/core/platform/cpu_feature_guard.cc:37] The "
        "TensorFlow library was compiled to use AVX instructions, but these aren't available "
        "on your machine.\n"
    )
    assert _codes(tf).get("DL508") == "error"
    rosetta = 'zsh: illegal hardware instruction  python -c "import tensorflow"\n'
    report = explain_text(rosetta, "paste", probe=False).report
    [f] = [f for f in report.findings if f.code == "DL508"]
    assert "Rosetta" in f.title
    # a bare "Illegal instruction" (SIGILL: the CPU met an instruction it lacks) is a warning
    # while the CPU's flags are unknown (deeprec-ai/DeepRec, IBM/MAX-Weather-Forecaster,
    # immich-app/immich: a prebuilt image needing AVX or AVX-512); with Apple Silicon stated it
    # is Rosetta's, an error
    assert _codes("Illegal instruction (core dumped)\n").get("DL508") == "warning"
    assert _codes("On my M1 Mac:\nIllegal instruction (core dumped)\n").get("DL508") == "error"
    # the crash is explained: no "import tensorflow crashed" beside it
    crash = _codes(">>> import tensorflow as tf\nIllegal instruction (core dumped)\n")
    assert crash.get("DL508") == "warning" and "DL403" not in crash, crash
    # near misses: TensorFlow's start-up note that the CPU has more than the build uses
    note = (
        "Your CPU supports instructions that this TensorFlow binary was not compiled to use: "
        "AVX2 FMA\n"
    )
    assert "DL508" not in _codes(note)


def test_dl508_live_machine_without_avx() -> None:
    """`dlenv doctor` reads the CPU's flags from /proc/cpuinfo: TensorFlow installed on a
    Pentium without AVX is an error before anything is imported."""
    old_cpu = _host(cpu_machine(), cpu_flags=["sse4_1", "sse4_2", "popcnt"], cpu_model="Pentium")
    f = only(old_cpu, "DL508")
    assert "tensorflow 2.21.0" in f.message and "Pentium" in f.message
    # a crash of the import with SIGILL is evidence too
    crashed = with_live(old_cpu, LiveProbe(framework="tensorflow", status="crashed", returncode=-4))
    assert any(e.fact == "live.tensorflow.returncode" for e in only(crashed, "DL508").evidence)
    # good: the CPU has AVX, or no framework that needs it is installed, or the flags are unknown
    avx = _host(cpu_machine(), cpu_flags=["sse4_2", "avx", "avx2", "fma"])
    assert fired(avx, "DL508") == []
    torch_only = replace(old_cpu, frameworks=[f for f in old_cpu.frameworks if f.name == "torch"])
    assert fired(torch_only, "DL508") == []
    assert fired(cpu_machine(), "DL508") == []
    # TensorFlow 1.5, built without AVX, runs there
    tf15 = replace(old_cpu, frameworks=[tensorflow("1.5.0", cuda=None, cudnn=None)])
    assert fired(tf15, "DL508") == []


SDIST = (
    "Collecting nutpie\n"
    "  Using cached nutpie-0.13.2.tar.gz (183 kB)\n"
    "  Running command Preparing metadata (pyproject.toml)\n"
)


def test_dl507_source_build_on_an_old_glibc() -> None:
    """https://github.com/pymc-devs/nutpie/issues/162: pip builds nutpie's sdist on CentOS 7
    (glibc 2.17), whose manylinux_2_28 wheels it must skip; a warning (the tag is inferred)."""
    said = explain_text(SDIST, "paste", probe=False).report.snapshot.reported_errors
    old = _host(cpu_machine(), os="Linux", glibc_version="2.17")
    f = only(replace(old, reported_errors=said), "DL507")
    assert f.severity == "warning" and "nutpie 0.13.2" in f.message
    centos = _host(
        cpu_machine(), os="Linux", glibc_version=None, distro="CentOS", distro_version="7"
    )
    assert only(replace(centos, reported_errors=said), "DL507").evidence[0].found == "2.17"
    # good: the same source build on glibc 2.35 (the package may simply publish no wheel)
    new = _host(cpu_machine(), os="Linux", glibc_version="2.35")
    assert fired(replace(new, reported_errors=said), "DL507") == []
    # and an old glibc with no source build in the paste
    assert fired(old, "DL507") == []


def test_dl507_from_the_loaders_words_quoted_in_part() -> None:
    """ElofssonLab/PconsC4#8: a title quotes the loader's message without its "version" and
    library ("python 3.7 using CentOS7 may cause `GLIBC_2.23' not found"): still glibc 2.23
    needed. Without the quote, nothing."""
    from tests.rules.snapshots import pasted_codes

    assert pasted_codes("python 3.7 using CentOS7 may cause `GLIBC_2.23' not found\n") == {
        "DL507": "error"
    }
    assert "DL507" not in pasted_codes("the GLIBC_2.28 symbol was found after the upgrade\n")


def test_dl508_from_a_named_cpu_the_kb_lists_without_avx() -> None:
    """notAI-tech/NudeNet, nextcloud/recognize, NVIDIA's container check: the CPU model the
    paste names (Xeon X5650, Pentium G4400T) has no AVX by the KB; with a SIGILL that is an
    error, with the reporter's "core dumped" or "no AVX" a warning."""
    sigill = "CPU: Intel(R) Xeon(R) CPU X5650 @ 2.67GHz\nIllegal instruction (core dumped)\n"
    assert _codes(sigill).get("DL508") == "error"
    [f] = [
        f for f in explain_text(sigill, "paste", probe=False).report.findings if f.code == "DL508"
    ]
    assert f.evidence[0].fact == "host.cpu_model" and "X5650" in (f.evidence[0].found or "")
    dumped = "I got core dumped error running the docker image.\n\nSystem Specs:\nCPU: Intel Xeon X5650\n"
    assert _codes(dumped).get("DL508") == "warning"
    said = "The app recognized the missing AVX instruction set on my Pentium G4400T.\n"
    assert _codes(said).get("DL508") == "warning"
    container = (
        "ERROR: This container was built for CPUs supporting at least the AVX instruction set, "
        "but\n       the CPU detected was Intel(R) Xeon(R) CPU           X3470  @ 2.93GHz, "
        "which does not report\n       support for AVX.\n"
    )
    assert _codes(container).get("DL508") == "error"
    # a CPU with AVX, or no crash and no statement: nothing from the model
    newer = "CPU: Intel(R) Xeon(R) CPU E5-2670 v3\nI got core dumped error running the image.\n"
    assert "DL508" not in _codes(newer)
    quiet = "CPU: Intel Xeon X5650\nPython 3.10.4\n"
    assert "DL508" not in _codes(quiet)


def test_kb_cpus_without_avx() -> None:
    from dlenv.kb.wheels import cpu_without_avx, cpus_without_avx

    assert all(row.source.startswith("https://") for row in cpus_without_avx())
    for model in (
        "Intel(R) Xeon(R) CPU X5650 @ 2.67GHz",
        "Intel(R) Core(TM) i3 CPU       M 330  @ 2.13GHz",
        "Intel(R) Pentium(R) CPU G4560 @ 3.50GHz",
        "Intel(R) Celeron(R) N4505 @ 2.00GHz",
        "QEMU Virtual CPU version 1.5.3",
    ):
        assert cpu_without_avx(model) is not None, model
    for model in (
        "Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz",
        "Intel(R) Core(TM) i5-3230M CPU @ 2.60GHz",
        "Intel(R) Pentium(R) Gold G7400",
        "Intel Celeron 7305",
        "AMD Ryzen 9 5950X",
        None,
    ):
        assert cpu_without_avx(model) is None, model


def test_dl508_exit_status_132_and_the_reporters_no_avx() -> None:
    """Containers dying with status 132 (128 + SIGILL), and the reporter's "the CPU has no AVX"
    beside a failure (a warning); the same words with no failure are a question, not a cause."""
    compose = "flowsint-api-prod exited with code 132\nCPU: Intel Celeron J4125\n"
    assert _codes(compose).get("DL508") == "error"
    assert _codes("flowsint-api-prod exited with code 132\n").get("DL508") == "warning"
    failing = "import tensorflow fails right away.\nMy old CPU does not support AVX.\n"
    assert _codes(failing).get("DL508") == "warning"
    question = "My CPU does not support AVX, which build should I install?\nPython 3.10.4\n"
    assert "DL508" not in _codes(question)


def test_dl508_a_named_bobcat_apu_and_a_tensorflow_failure() -> None:
    """boy1dr/SpleeterGui#123: an AMD E-350 (Bobcat, no AVX) named in prose beside the
    reporter's "TensorFlow error" on Windows is a probable DL508 (a warning); so is TensorFlow's
    "DLL load failed" beside it; a CPU with AVX, or the CPU with no failure, gives none."""
    said = "On my AMD (2 Core E350E) PC with Windows 10 the GUI runs into a TensorFlow error.\n"
    assert _codes(said).get("DL508") == "warning"
    dll = (
        "CPU: AMD E-450 APU\nImportError: DLL load failed while importing "
        "_pywrap_tensorflow_internal: The specified module could not be found.\n"
    )
    assert _codes(dll).get("DL508") == "warning"
    ryzen = "On my AMD Ryzen 5 3600 PC with Windows 10 the GUI runs into a TensorFlow error.\n"
    assert "DL508" not in _codes(ryzen)
    quiet = "On my AMD E-350 PC with Windows 10 spleeter separates songs fine.\nTraceback (x)\n"
    assert "DL508" not in _codes(quiet)


def test_dl507_the_reporter_says_the_wheel_needs_a_newer_glibc() -> None:
    """mind/wheels#7, pymc-devs/nutpie#162: the reporter says the wheel is built for a newer
    glibc than the system's (or asks for an older-glibc build) beside a failing import: a
    probable DL507 (a warning); the same words on a Mac, or a remark that the wheels need only
    glibc 2.17, give none."""
    tb = (
        "Traceback (most recent call last):\n"
        '  File "/home/u/venv/lib/python3.6/site-packages/tensorflow/python/pywrap_tensorflow.py"'
        ", line 58, in <module>\n"
        "    from tensorflow.python.pywrap_tensorflow_internal import *\n"
    )
    said = "The glibc of this wheel is 2.23. Is it possible to provide a whl with lower glibc?\n"
    assert _codes(said + tb).get("DL507") == "warning"
    fine = "manylinux2014 wheels work with glibc 2.17 and newer, so you should be fine.\n"
    assert "DL507" not in _codes(fine + tb)
    mac = "On my MacBook (macOS 14) the wheel needs a newer glibc, it says.\n"
    assert "DL507" not in _codes(mac + tb)


def test_dl508_tensorflow_dll_initialization_failed_on_windows() -> None:
    """tensorflow/tensorflow#46788, fo40225/tensorflow-windows-wheel#48: the DLL loads and its
    initialization fails, how a CPU without the build's AVX shows on Windows (a warning); a
    missing DLL is another failure, and a CPU whose flags show AVX rules it out."""
    init = (
        "ImportError: DLL load failed while importing _pywrap_tensorflow_internal: A dynamic link "
        "library (DLL) initialization routine failed.\n"
    )
    assert _codes(init).get("DL508") == "warning"
    missing = init.replace(
        "A dynamic link library (DLL) initialization routine failed",
        "The specified module could not be found",
    )
    assert "DL508" not in _codes(missing)


def test_dl508_ollama_turns_the_gpu_off_on_a_cpu_without_avx() -> None:
    """Ollama's own check (gpu/gpu.go): "CPU does not have minimum vector extensions, GPU
    inference disabled": the GPU runner was built for AVX, which this CPU lacks (DL508)."""
    from dlenv.importers.explain import explain_text

    report = explain_text(
        'time=2024-06-01T10:00:00.000Z level=WARN source=gpu.go:251 msg="CPU does not have '
        'minimum vector extensions, GPU inference disabled" required=avx detected="no vector '
        'extensions"\n',
        "p",
        probe=False,
    ).report
    assert report.findings[0].code == "DL508"

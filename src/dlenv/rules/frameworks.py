"""Rules about framework builds: CPU-only builds on GPU machines, TensorFlow on native Windows,
and what the live probes said (crashes, GPU unavailable). Codes DL4xx.
"""

from __future__ import annotations

from collections.abc import Iterator

from packaging.version import Version

from dlenv.fix.actions import Action, InstallPackages, ManualStep
from dlenv.fix.render import format_argv
from dlenv.kb.queries import parse_version, tensorflow_fact, version_at_least
from dlenv.rules.derived import (
    LIVE_WINS,
    base_version,
    cpu_only_build,
    cuda_build,
    gpu_seen_in_messages,
    label,
    live,
    native_windows,
    nvidia_gpu_present,
    os_name,
    reported,
    usable_gpus,
)
from dlenv.rules.findings import Evidence, Finding
from dlenv.rules.fixes import tensorflow_and_cuda_fix, torch_variant_fix
from dlenv.rules.registry import ANY, finding, rule
from dlenv.snapshot.model import FrameworkFacts, Snapshot


def _jax_cuda_fix(s: Snapshot, jax: FrameworkFacts) -> Action:
    if native_windows(s) or os_name(s) == "Darwin":
        return ManualStep(
            text="JAX's CUDA support is for Linux (and WSL2): install it there.",
            commands=['pip install -U "jax[cuda12]"  # inside WSL2 or on Linux'],
            url="https://docs.jax.dev/en/latest/installation.html",
        )
    # since jaxlib 0.4.30 CUDA comes only as a plugin: `pip install jax[cuda12]`
    # (https://github.com/jax-ml/jax/releases/tag/jax-v0.4.29)
    found = parse_version(jax.version)
    pinned = found is not None and found >= Version("0.4.30") and jax.distribution == "jax"
    return InstallPackages(
        packages=[f"jax[cuda12]=={base_version(jax.version)}" if pinned else "jax[cuda12]"],
        uninstall=[] if pinned else ["jax", "jaxlib"],
        reason="jaxlib runs on the CPU only; the jax-cuda12-plugin wheels add the GPU",
    )


def _gpu_evidence(s: Snapshot, fw: FrameworkFacts) -> tuple[str, bool] | None:
    """(what shows a GPU is wanted or present, whether a GPU is known to be present)."""
    if usable_gpus(s) and s.driver.installed is True:
        return f"{len(usable_gpus(s))} usable GPU(s)", True
    if s.driver.installed is False:
        return None
    seen = gpu_seen_in_messages(s)
    if seen and fw.name == "jax":
        return seen, True
    if fw.name == "torch" and reported(s, "torch-not-compiled-with-cuda"):
        if os_name(s) == "Darwin":
            return None  # no CUDA build exists for macOS
        return 'the code asked for CUDA ("Torch not compiled with CUDA enabled")', False
    return None


@rule("DL401", "cpu-only-build-with-gpu", "warning", "frameworks")
def cpu_only_build_with_gpu(s: Snapshot) -> Iterator[Finding]:
    """What it checks: a CPU-only framework build (torch "+cpu", tensorflow-cpu, a TensorFlow
    without CUDA, jaxlib without a jax-cuda plugin) on a machine whose NVIDIA GPU and driver
    work, or where the framework itself says it saw a GPU ("An NVIDIA GPU may be present on
    this machine, but a CUDA-enabled jaxlib is not installed") or the code asked for CUDA
    ("Torch not compiled with CUDA enabled").

    Why it matters: everything runs, slowly, on the CPU: `torch.cuda.is_available()` is False,
    `tf.config.list_physical_devices('GPU')` is empty, `jax.devices()` lists only a CpuDevice.
    A CPU-only build on a machine without a GPU is fine and not reported; so is one on macOS,
    where no CUDA build exists. It is a warning (a CPU build may be a choice), and an error
    when the code asked for CUDA ("Torch not compiled with CUDA enabled") or a pasted report
    shows the framework finding no GPU: then it is the failure being reported.

    Example: torch 2.3.1+cpu (the default `pip install torch` on Windows) on a machine with an
    RTX 3090; jax 0.4.23 with a plain jaxlib.

    Fix: `pip install torch==2.3.1 --index-url https://download.pytorch.org/whl/cu121`,
    `pip install "tensorflow[and-cuda]==2.16.*"` or `pip install -U "jax[cuda12]"`.
    """
    for fw in s.frameworks:
        if fw.name not in ("torch", "tensorflow", "jax") or not cpu_only_build(fw):
            continue
        if fw.name == "tensorflow" and native_windows(s):
            continue  # DL402 explains that case
        evidence = _gpu_evidence(s, fw)
        if evidence is None:
            continue
        why, gpu_known = evidence
        fixes: list[Action] = []
        if fw.name == "torch":
            fix = torch_variant_fix(s, fw, "a CUDA build uses the GPU")
            if fix is not None:
                fixes.append(fix)
        elif fw.name == "jax":
            fixes.append(_jax_cuda_fix(s, fw))
        else:
            tf_fix = tensorflow_and_cuda_fix(fw, "a CUDA build uses the GPU")
            if tf_fix is not None:
                fixes.append(tf_fix)
        message = (
            f"{label(fw)} has no CUDA support, so it ignores the "
            f"{len(usable_gpus(s))} NVIDIA GPU(s) on this machine."
            if gpu_known and usable_gpus(s)
            else f"{label(fw)} has no CUDA support, so it runs on the CPU although {why}."
            if gpu_known
            else f"{label(fw)} is a CPU-only build, but {why}; if this machine has an NVIDIA "
            "GPU, install a CUDA build."
        )
        yield finding(
            "DL401",
            severity="error" if _gpu_was_asked_for(s, fw) else "warning",
            title=f"{label(fw)} is a CPU-only build on a machine with a GPU"
            if gpu_known
            else f"{label(fw)} is a CPU-only build but the code uses CUDA",
            message=message,
            evidence=[
                Evidence(
                    fact=f"frameworks.{fw.name}.variant",
                    found=fw.variant
                    or ("jaxlib without a CUDA plugin" if fw.name == "jax" else fw.distribution),
                    needed="a CUDA build",
                    note=why,
                )
            ],
            fixes=fixes,
            subject=fw.name,
        )


def _gpu_was_asked_for(s: Snapshot, fw: FrameworkFacts) -> bool:
    """The CPU build is not a choice but the failure: code asked for CUDA and got an error, or
    a pasted report (someone asking for help) shows the framework finding no GPU."""
    if any(e.signature == "torch-not-compiled-with-cuda" for e in s.reported_errors):
        return fw.name == "torch"
    probe = s.live_probe(fw.name)
    return s.origin != "probe" and probe is not None and probe.gpu_available is False


@rule("DL402", "tensorflow-gpu-native-windows", "warning", "frameworks")
def tensorflow_native_windows(s: Snapshot) -> Iterator[Finding]:
    """What it checks: TensorFlow 2.11 or newer on native Windows with an NVIDIA GPU (or, in a
    pasted report, a stated CUDA/cuDNN version: the user expects the GPU).

    Why it matters: TensorFlow 2.10 was the last release with GPU support on native Windows;
    newer ones run on the CPU only there.

    Example: tensorflow 2.16.1 on Windows 11 with an RTX 4070.

    Fix: run TensorFlow in WSL2 (`pip install tensorflow[and-cuda]` inside it), or pin
    tensorflow 2.10 (Python 3.10 at most) with CUDA 11.2 and cuDNN 8.1.
    """
    tf = s.framework("tensorflow")
    last = tensorflow_fact("last_native_windows_gpu")
    # a pasted report that states a CUDA/cuDNN version means the user wants the GPU, even when
    # it leaves the GPU model out (TensorFlow's issue template asks for both)
    stated = s.origin != "probe" and bool(s.cuda.toolkits or s.cuda.cudnn)
    if tf is None or not native_windows(s) or not (nvidia_gpu_present(s) or stated):
        return
    if (
        version_at_least(tf.version, last) is not True
        or version_at_least(tf.version, "2.11") is not True
    ):
        return
    yield finding(
        "DL402",
        title=f"{label(tf)} has no GPU support on native Windows",
        message=f"TensorFlow {last} was the last release that used the GPU on native Windows; "
        f"{label(tf)} runs on the CPU here.",
        evidence=[
            Evidence(
                fact="frameworks.tensorflow.version",
                found=tf.version,
                needed=f"<={last}.* on native Windows, or WSL2",
            )
        ],
        fixes=[
            ManualStep(
                text="Use WSL2 and install TensorFlow with its CUDA libraries there.",
                commands=["wsl --install", 'pip install "tensorflow[and-cuda]"'],
                url="https://www.tensorflow.org/install/pip#windows-wsl2",
            ),
            InstallPackages(
                packages=["tensorflow<2.11"],
                uninstall=[tf.distribution],
                reason="the last native-Windows GPU release (needs CUDA 11.2, cuDNN 8.1)",
            ),
        ],
        subject="tensorflow",
    )


@rule(
    "DL403",
    "live-probe-failed",
    "error",
    "frameworks",
    # the missing or older CUDA library that made the import fail is the cause
    explained_by=("DL201", "DL208"),
    symptom=True,
)
def live_probe_failed(s: Snapshot) -> Iterator[Finding]:
    """What it checks: whether importing a framework in the target interpreter (the live probe)
    crashed, hung, or raised.

    Why it matters: that is what the user's own `import torch` will do: a segfault from a
    broken CUDA library, a hang in driver initialisation, an ImportError from a missing shared
    library.

    Example: `import tensorflow` killed by signal 11, or "ImportError: libcudnn.so.9: cannot
    open shared object file".

    Fix: read the error; the other findings usually name the cause (missing library, driver).
    """
    for probe in s.live:
        if probe.status in ("ok", "skipped"):
            continue
        what = {
            "crashed": f"crashed (exit status {probe.returncode})",
            "timeout": f"did not finish in time ({probe.total_s or '?'} s)",
            "import-error": "failed to import",
            "error": "raised an error",
        }[probe.status]
        detail = probe.error or (probe.stderr_tail or "").strip().splitlines()[-1:] or None
        detail_text = detail if isinstance(detail, str) else (detail[0] if detail else None)
        py = s.python.executable or "python"
        run = format_argv([py, "-X", "faulthandler", "-c", f"import {probe.framework}"], "bash")
        yield finding(
            "DL403",
            fixes=[
                ManualStep(
                    text=f"See the whole error where it happens: import {probe.framework} by "
                    "hand (faulthandler prints the stack of a crash), then follow the library "
                    "or driver it names; `dlenv doctor --verbose` lists what each one loads.",
                    commands=[run],
                )
            ],
            title=f"import {probe.framework} {what}",
            message=f"The live probe of {probe.framework} {what} in the target interpreter"
            + (f": {detail_text}" if detail_text else "."),
            evidence=[
                Evidence(
                    fact=f"live.{probe.framework}.status",
                    found=probe.status,
                    needed="ok",
                    note=detail_text,
                )
            ],
            subject=probe.framework,
            confirmed_by=LIVE_WINS,
        )


_INIT_CHECK = {
    "torch": "import torch; torch.cuda.init(); print(torch.cuda.get_device_name(0))",
    "tensorflow": "import tensorflow as tf; print(tf.config.list_physical_devices('GPU'))",
    "jax": "import jax; print(jax.devices('gpu'))",
}


@rule("DL404", "gpu-unavailable-live", "error", "frameworks", explained_by=(ANY,), symptom=True)
def gpu_unavailable_live(s: Snapshot) -> Iterator[Finding]:
    """What it checks: a CUDA build whose live probe imported fine but found no GPU, on a machine
    where the driver lists NVIDIA GPUs.

    Why it matters: this is the "CUDA is not available" report itself, confirmed by running the
    framework; the reason it gave is quoted, and other findings usually explain it.

    Example: torch 2.5.1+cu124 says `torch.cuda.is_available()` is False: "CUDA driver
    initialization failed, you might not have a CUDA gpu."

    Fix: follow the other findings; the message quotes the framework's own reason.
    """
    if not usable_gpus(s):
        return
    for fw in s.frameworks:
        probe = live(s, fw.name)
        if probe is None or probe.gpu_available is not False or not cuda_build(fw):
            continue
        reason = probe.gpu_unavailable_reason or "no reason given"
        # the last resort: no rule knows this reason, so say what would let one judge it
        py = s.python.executable or "python"
        collect = ManualStep(
            text=f"Collect what {fw.name} and the driver say, and attach it to a report: the "
            f"framework's own CUDA start-up error, nvidia-smi, and dlenv's JSON report.",
            commands=[
                format_argv([py, "-c", _INIT_CHECK.get(fw.name, f"import {fw.name}")], "bash"),
                "nvidia-smi",
                "dlenv doctor --format json > dlenv-report.json",
            ],
        )
        yield finding(
            "DL404",
            fixes=[collect],
            title=f"{label(fw)} sees no GPU",
            message=f"{label(fw)} imported, but reported no usable GPU: {reason}",
            evidence=[
                Evidence(
                    fact=f"live.{fw.name}.gpu_available",
                    found="false",
                    needed="true",
                    note=reason,
                )
            ],
            subject=fw.name,
            confirmed_by=LIVE_WINS,
        )

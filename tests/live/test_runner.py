"""The live-probe runner against planted frameworks: a segfault on import, a hang, an
ImportError for a missing shared library, and a noisy one that loads a (gcc-built) libcudart;
all reported within the deadline, with nothing leaking to dlenv's own stdout/stderr."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dlenv.live.runner import Child, plan_children, run_live_probes, stderr_tail
from dlenv.snapshot.model import LiveProbe, LoadedLibrary

TIMEOUT = 2.0

CRASH = (
    "import os, signal, sys\nsys.stderr.write('torch: about to crash\\n')\n"
    "os.kill(os.getpid(), signal.SIGSEGV)\n"
)
HANG = "import time\ntime.sleep(60)\n"
MISSING = (
    "raise ImportError('libcudnn.so.9: cannot open shared object file: No such file or "
    "directory')\n"
)
NOISY_KERAS = """\
import ctypes, sys
print("keras: hello on stdout")
sys.stderr.write("keras: noise on stderr\\n")
ctypes.CDLL({lib!r})
__version__ = "3.99.0"


class backend:
    @staticmethod
    def backend():
        return "numpy"
"""


def _plant(root: Path, name: str, code: str) -> None:
    (root / name).mkdir(parents=True)
    (root / name / "__init__.py").write_text(code)


def test_plan_keras_joins_its_backend() -> None:
    assert plan_children(["torch", "tensorflow", "keras"], None) == [
        Child(("tensorflow", "keras")),
        Child(("torch",)),
    ]
    assert plan_children(["torch", "tensorflow", "keras"], "torch") == [
        Child(("tensorflow",)),
        Child(("torch", "keras")),
    ]
    assert plan_children(["torch", "keras"], "jax") == [Child(("torch",)), Child(("keras",))]
    assert plan_children(["tensorflow", "keras"], None, keras_with_backend=False) == [
        Child(("tensorflow",)),
        Child(("keras",)),
    ]


def test_stderr_tail_keeps_the_last_lines() -> None:
    text = "\n".join(f"line {i}" for i in range(100)) + "\n\n"
    assert stderr_tail(text) == "\n".join(f"line {i}" for i in range(70, 100))
    assert stderr_tail("\n \n") is None


def test_crash_hang_import_error_and_noise(
    framework_python: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    planted = tmp_path / "planted"
    lib = tmp_path / "libcudart.so.12.4.127"
    src = tmp_path / "cudart.c"
    src.write_text("int cudaRuntimeGetVersion(int *v) { *v = 12040; return 0; }\n")
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    _plant(planted, "torch", CRASH)
    _plant(planted, "jax", HANG)
    _plant(planted, "tensorflow", MISSING)
    _plant(planted, "keras", NOISY_KERAS.format(lib=str(lib)))
    env = {**os.environ, "PYTHONPATH": str(planted)}
    updates: list[tuple[str, str]] = []

    started = time.perf_counter()
    probes = run_live_probes(
        framework_python,
        ["torch", "tensorflow", "keras", "jax"],
        timeout=TIMEOUT,
        keras_backend="numpy",
        env=env,
        cwd=str(tmp_path),
        on_update=lambda fw, state, elapsed: updates.append((fw, state)),
    )
    wall = time.perf_counter() - started

    assert wall < TIMEOUT + 1.5
    assert capfd.readouterr() == ("", "")
    torch, tf, keras, jax = probes
    assert [p.framework for p in probes] == ["torch", "tensorflow", "keras", "jax"]

    assert (torch.status, torch.returncode) == ("crashed", -11)
    assert torch.error == "killed by SIGSEGV (signal 11) while importing"
    assert torch.stderr_tail is not None
    assert torch.stderr_tail.startswith("torch: about to crash\nFatal Python error: Segmentation")
    assert f"{planted}/torch/__init__.py" in torch.stderr_tail  # faulthandler's Python stack

    assert tf.status == "import-error"
    assert tf.error == (
        "ImportError: libcudnn.so.9: cannot open shared object file: No such file or directory"
    )
    assert tf.details == {"missing_library": "libcudnn.so.9"}
    assert tf.returncode == 0

    assert (jax.status, jax.returncode) == ("timeout", -9)
    assert jax.error == f"no answer after {TIMEOUT:g} s while importing; killed"
    assert jax.stderr_tail is not None
    assert jax.stderr_tail.startswith(
        "Timeout (0:00:01.500000)!\n"
    )  # where it hung, dumped before the kill
    assert f"{planted}/jax/__init__.py" in jax.stderr_tail

    assert keras.status == "ok"
    assert keras.version == "3.99.0"
    assert keras.loaded_libraries == [LoadedLibrary("cudart", str(lib), "12.4.127")]
    assert keras.details["backend"] == "numpy"
    assert keras.details["train_step"] == "failed"
    assert keras.stderr_tail is None

    assert ("torch", "crashed") in updates
    assert ("jax", "timeout") in updates
    assert updates.index(("keras", "ok")) < updates.index(("jax", "timeout"))


def test_interpreter_that_cannot_run(tmp_path: Path) -> None:
    probes = run_live_probes(str(tmp_path / "no-python"), ["torch"], timeout=5)
    assert probes == [
        LiveProbe(
            framework="torch",
            status="error",
            error=f"cannot run {tmp_path / 'no-python'}: No such file or directory",
            total_s=0.0,
        )
    ]


def test_a_crash_skips_the_framework_sharing_its_process(
    framework_python: str, tmp_path: Path
) -> None:
    _plant(tmp_path, "tensorflow", CRASH.replace("torch", "tensorflow"))
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    tf, keras = run_live_probes(framework_python, ["tensorflow", "keras"], timeout=TIMEOUT, env=env)
    assert tf.status == "crashed"
    assert keras == LiveProbe(
        framework="keras",
        status="skipped",
        error="not run: the tensorflow probe crashed in the same process",
        returncode=-11,
    )


def test_deleted_working_directory_is_not_an_import_failure(tmp_path: Path) -> None:
    """The child runs where the user is; a deleted cwd must not read as a framework error."""
    planted = tmp_path / "planted"
    _plant(planted, "torch", "__version__ = '2.99.0'\n")
    gone = tmp_path / "gone"
    gone.mkdir()
    script = (
        "import os, sys\n"
        f"os.chdir({str(gone)!r}); os.rmdir({str(gone)!r})\n"
        "from dlenv.live.runner import run_live_probes\n"
        f"[p] = run_live_probes(sys.executable, ['torch'], timeout={TIMEOUT})\n"
        "print(repr((p.error or '') + (p.stderr_tail or '')))\n"
    )
    inherited = [
        os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(planted), *inherited])}
    proc = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 0, proc.stderr
    assert "before it started" not in proc.stdout and "FileNotFoundError" not in proc.stdout

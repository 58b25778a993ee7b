"""The child side of a live probe: run with the TARGET interpreter, stdlib only, Python 3.7+.

It imports each framework named on its command line (one `child_<name>.py` next to it, loaded
by path), records raw facts, and writes one JSON line per event to a dedicated file descriptor,
so that whatever a framework prints on stdout or stderr cannot corrupt the result. dlenv turns
the raw facts into `LiveProbe`s (`dlenv.live.interpret`); nothing here judges.

Usage: python harness.py FD TIMEOUT NAME [NAME...]
"""

from __future__ import annotations

import faulthandler
import importlib
import importlib.util
import json
import os
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from typing import IO, Any

# Libraries worth reporting from /proc/self/maps: the CUDA stack and the driver's user side.
MAPPED_PREFIXES = (
    "libcudart",
    "libcublas",
    "libcudnn",
    "libnccl",
    "libcuda.",
    "libnvidia-ml",
    "libcufft",
    "libcurand",
    "libcusolver",
    "libcusparse",
    "libnvrtc",
    "libnvJitLink",
    "libcupti",
    "libamdhip64",
    "librocm",
)


class ImportFailed(Exception):
    """The framework's import raised: already recorded, stop this probe."""


class Harness:
    """What a `child_<name>.probe(h)` records its facts through."""

    def __init__(self, framework: str, out: IO[str], together: list[str]) -> None:
        self.framework = framework
        self.together = together  # the frameworks probed in this same process
        self._out = out
        self._started = time.perf_counter()
        self.result: dict[str, Any] = {
            "framework": framework,
            "status": "ok",
            "raw": {},
            "checks": {},
            "errors": {},
            "process": together,
        }

    # -- protocol -------------------------------------------------------------------------
    def send(self, event: dict[str, Any]) -> None:
        self._out.write(json.dumps(event, default=str) + "\n")
        self._out.flush()

    def phase(self, name: str) -> None:
        self.send({"event": "phase", "framework": self.framework, "phase": name})

    def finish(self) -> None:
        self.result["total_s"] = round(time.perf_counter() - self._started, 4)
        self.result["libraries"] = mapped_libraries()
        self.send({"event": "result", "framework": self.framework, "data": self.result})

    # -- recording ------------------------------------------------------------------------
    def set(self, key: str, value: Any) -> None:
        self.result["raw"][key] = value

    def load(self, module: str) -> Any:
        """Import a module, timed; an exception ends the probe as an import error."""
        self.phase("importing")
        start = time.perf_counter()
        try:
            mod = importlib.import_module(module)
        except BaseException as exc:
            self.result["import_s"] = round(time.perf_counter() - start, 4)
            self.result["status"] = "import-error"
            self.result["error"] = describe(exc)
            self.result["traceback"] = "".join(traceback.format_exc()).splitlines()[-12:]
            raise ImportFailed() from None
        self.result["import_s"] = round(
            self.result.get("import_s", 0.0) + time.perf_counter() - start, 4
        )
        self.phase("imported")
        return mod

    def check(self, name: str, fn: Callable[..., Any], *args: Any) -> Any:
        """Run `fn(*args)`, timed; an exception is recorded under its name, never raised."""
        start = time.perf_counter()
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                value = fn(*args)
        except Exception as exc:
            self.result["errors"][name] = describe(exc)
            value = None
            caught = []
        finally:
            self.result["checks"][name] = round(time.perf_counter() - start, 4)
        if caught:
            self.result.setdefault("warnings", []).extend(
                str(w.message) for w in caught if str(w.message)
            )
        return value

    def env(self, *names: str) -> dict[str, str | None]:
        """The user's values of environment variables (as dlenv saw them, before it set any)."""
        user = json.loads(os.environ.get("DLENV_LIVE_USER_ENV", "{}"))
        return {n: user[n] if n in user else os.environ.get(n) for n in names}


def describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return type(exc).__name__ + (": " + text if text else "")


def mapped_libraries() -> list[str]:
    """Files of the CUDA stack mapped into this process, in load order, once each."""
    seen: list[str] = []
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                parts = line.split(None, 5)
                if len(parts) < 6:
                    continue
                path = parts[5].strip()
                base = os.path.basename(path)
                if base.startswith(MAPPED_PREFIXES) and path not in seen:
                    seen.append(path)
    except OSError:
        pass  # not Linux: nothing to report
    return seen


def user_keras_config() -> str:
    """The keras.json that Keras (3, and 2 / tf-keras alike) would read in this process:
    $KERAS_HOME/keras.json when KERAS_HOME is set (even empty), else ~/.keras/keras.json, or
    /tmp/.keras/keras.json when ~ is not writable (keras/src/backend/config.py)."""
    if "KERAS_HOME" in os.environ:
        folder = os.environ.get("KERAS_HOME", "")
    else:
        base = os.path.expanduser("~")
        if not os.access(base, os.W_OK):
            base = "/tmp"
        folder = os.path.join(base, ".keras")
    return os.path.expanduser(os.path.join(folder, "keras.json"))


def isolate_keras_home(private: str) -> None:
    """Make Keras read the user's settings but write nowhere but `private`.

    Importing Keras (also done by `import tensorflow`) creates ~/.keras/keras.json when it is
    missing; a diagnostic must not change the user's files. KERAS_HOME points at a private
    folder holding an exact copy of the user's keras.json, so Keras sees the same backend,
    floatx, epsilon and image_data_format, and fails the same way on a broken file (unparsable:
    ignored; a folder, or unreadable: the import raises). The probes report the user's own
    KERAS_HOME.
    """
    source = user_keras_config()
    os.makedirs(private, exist_ok=True)
    target = os.path.join(private, "keras.json")
    if os.path.isdir(source):
        os.mkdir(target)
    elif os.path.exists(source):
        try:
            with open(source, "rb") as f:
                data: bytes | None = f.read()
        except OSError:
            data = None
        with open(target, "wb") as f:
            f.write(data or b"")
        if data is None:
            os.chmod(target, 0)  # unreadable here too (for anyone but root, as the original)
    user = json.loads(os.environ.get("DLENV_LIVE_USER_ENV", "{}"))
    user["KERAS_HOME"] = os.environ.get("KERAS_HOME")
    os.environ["DLENV_LIVE_USER_ENV"] = json.dumps(user)
    os.environ["KERAS_HOME"] = private


def _load_child(here: str, name: str) -> Any:
    path = os.path.join(here, "child_" + name.replace("-", "_") + ".py")
    spec = importlib.util.spec_from_file_location("dlenv_live_child_" + name, path)
    if spec is None or spec.loader is None:
        raise RuntimeError("no probe script " + path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> int:
    fd, timeout, names = int(argv[1]), float(argv[2]), argv[3:]
    out = os.fdopen(fd, "w", encoding="utf-8")
    # A crash prints the Python stack to stderr; just before dlenv's deadline, so does a hang.
    faulthandler.enable(file=sys.stderr)
    faulthandler.dump_traceback_later(max(timeout - 0.5, 0.1), exit=False)
    here = os.path.dirname(os.path.abspath(__file__))
    # Run like the user's `python script.py` in their working directory, not from dlenv's.
    if sys.path and os.path.abspath(sys.path[0] or ".") == here:
        try:
            sys.path[0] = os.getcwd()
        except OSError:  # the working directory was deleted: nothing there to shadow a module
            sys.path[0] = os.environ.get("PWD") or "/"
    private_keras = os.environ.pop("DLENV_LIVE_KERAS_HOME", "")
    if private_keras:
        isolate_keras_home(private_keras)
    for name in names:
        harness = Harness(name, out, names)
        harness.phase("started")
        try:
            _load_child(here, name).probe(harness)
        except ImportFailed:
            pass
        except Exception as exc:
            harness.result["status"] = "error"
            harness.result["error"] = describe(exc)
            harness.result["traceback"] = traceback.format_exc().splitlines()[-12:]
        harness.finish()
    faulthandler.cancel_dump_traceback_later()
    out.close()
    # Skip the interpreter's teardown: TensorFlow's and CUDA's can take a second, for nothing.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

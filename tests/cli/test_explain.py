"""`dlenv explain`: what it prints, its JSON document, and its exit codes, run in process."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from dlenv.cli.app import main
from dlenv.rules import registry
from dlenv.rules.findings import Finding
from dlenv.snapshot.model import Snapshot

DATA = Path(__file__).parents[1] / "importers" / "data"


def _cpu_torch(s: Snapshot) -> Iterator[Finding]:
    """Test rule: an error whenever the snapshot states a CPU-only torch."""
    torch = s.framework("torch")
    if torch is not None and torch.cuda_build is False:
        yield Finding(
            code="DL999",
            name="test-cpu-torch",
            severity="error",
            title="torch is a CPU-only build",
            message=f"torch {torch.version} has no CUDA.",
        )


def _gpu_note(s: Snapshot) -> Iterator[Finding]:
    """Test rule: a warning for every GPU named in the snapshot."""
    for g in s.gpus:
        yield Finding(
            code="DL998",
            name="test-gpu-note",
            severity="warning",
            title=f"GPU {g.index} seen",
            message=f"{g.name}",
        )


@pytest.fixture(autouse=True)
def test_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """Exit codes depend on the rules: judge with two known test rules only."""
    registry._load()
    monkeypatch.setattr(
        registry,
        "_RULES",
        {
            "DL998": registry.Rule("DL998", "test-gpu-note", "warning", "test", _gpu_note),
            "DL999": registry.Rule("DL999", "test-cpu-torch", "error", "test", _cpu_torch),
        },
    )


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    code = exc.value.code
    return (code if isinstance(code, int) else 0), out, err


RECOGNISED_WINDOWS_CPU = """\
dlenv explain: {path} (43 lines)

Recognised:
  - PyTorch collect_env (lines 4-42)
      frameworks.torch.version = 2.1.0+cpu
      frameworks.torch.distribution = torch
      frameworks.torch.build_source = collect_env
      frameworks.torch.variant = cpu
      frameworks.torch.cuda_build = False
      live.torch.status = ok
      live.torch.version = 2.1.0+cpu
      live.torch.gpu_available = False
      host.os = Windows
      host.distro = Microsoft Windows 11 Home
      python.platform = win32
      python.version = 3.11.5
      … 10 more (--verbose)
      unknown: CUDA used to build PyTorch: Could not collect
      unknown: cuDNN version: Could not collect
  - log / traceback messages (lines 1-43)

Known messages:
  ✗ torch-cuda-unavailable-stated: `torch.cuda.is_available()` returns False on my laptop even \
though nvidia-smi works.
      The report says torch.cuda.is_available() is False.

"""


def test_console_names_parts_facts_unknowns_and_findings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = str(DATA / "collect_env_windows_cpu_build.txt")
    code, out, err = run(["explain", path, "--no-probe"], capsys)
    assert (code, err) == (1, "")
    assert out.startswith(RECOGNISED_WINDOWS_CPU.format(path=path))
    findings = out[len(RECOGNISED_WINDOWS_CPU.format(path=path)) :]
    assert "DL999" in findings and "torch is a CPU-only build" in findings
    assert "DL998" in findings and "GPU 0 seen" in findings


def test_fail_on_sets_the_threshold(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(DATA / "nvidia_smi_new_two_gpus.txt")
    assert run(["explain", path, "--no-probe"], capsys)[0] == 0
    assert run(["explain", path, "--no-probe", "--fail-on", "warning"], capsys)[0] == 1
    assert run(["explain", path, "--no-probe", "--fail-on", "never"], capsys)[0] == 0


def test_json_document(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(DATA / "tf_log_healthy_noise.txt")
    code, out, _ = run(["explain", path, "--no-probe", "--format", "json"], capsys)
    doc = json.loads(out)
    assert code == 0
    assert (doc["kind"], doc["schema_version"], doc["source"], doc["lines"]) == (
        "dlenv-explain",
        1,
        path,
        9,
    )
    assert doc["probe_note"] is None
    assert [p["kind"] for p in doc["parts"]] == ["messages"]
    assert [(m["signature"], m["harmless"]) for m in doc["messages"]] == [
        ("tf-gpu-device-created", True),
        ("tf-loaded-cudnn", True),
        ("tf-factory-already-registered", True),
        ("tf-numa-negative", True),
        ("tf-cpu-instructions", True),
        ("tf-tensorrt-not-found", True),
    ]
    assert doc["report"]["kind"] == "dlenv-report"
    assert doc["report"]["snapshot"]["origin"] == "text"
    assert [f["code"] for f in doc["report"]["findings"]] == ["DL998"]
    assert doc["report"]["summary"] == {"errors": 0, "warnings": 1, "infos": 0}


def test_harmless_messages_are_listed_apart(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["explain", str(DATA / "tf_log_healthy_noise.txt"), "--no-probe"], capsys)
    assert code == 0
    section = out.split("Harmless messages (not a cause):\n", 1)[1].split("\n\n", 1)[0]
    assert section.splitlines()[2] == (
        "  · tf-factory-already-registered (×3): Harmless TensorFlow/XLA start-up noise "
        "(the plugin is registered twice); not a cause."
    )
    assert "Known messages:" not in out


def test_stdin_and_markdown(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = (DATA / "torch_circular_import.txt").read_bytes()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, _ = run(["explain", "-", "--no-probe", "--format", "markdown"], capsys)
    assert code == 0
    assert out.startswith(
        "## dlenv explain\n\n```text\ndlenv explain: <stdin> (7 lines)\n\nRecognised:\n"
        "  - log / traceback messages (lines 1-7)\n"
        "      python.run_line = python torch.py\n"
        "      python.shadowing[] = torch -> C:\\Users\\li\\Desktop\\learn\\torch.py\n"
        "      python.platform = win32\n\n"
        "Known messages:\n"
        "  ✗ circular-import-shadowing: AttributeError: partially initialized module 'torch' "
        "has no attribute 'cuda' (most likely due to a circular import)\n"
    )


def test_utf16_paste_from_powershell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (DATA / "collect_env_windows_cpu_build.txt").read_text(encoding="utf-8")
    path = tmp_path / "env.txt"
    path.write_bytes(b"\xff\xfe" + text.replace("\n", "\r\n").encode("utf-16-le"))
    code, out, _ = run(["explain", str(path), "--no-probe", "--format", "json"], capsys)
    assert code == 1
    assert json.loads(out)["report"]["snapshot"]["frameworks"][0]["version"] == "2.1.0+cpu"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda d: d / "missing.txt",
            "{path}: cannot read (No such file or directory)",
        ),
        (lambda d: d, "{path}: is a directory, not a pasted report"),
    ],
)
def test_unreadable_input_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: object, message: str
) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    code, out, err = run(["explain", str(path)], capsys)
    assert (code, out, err) == (2, "", f"dlenv: error: {message.format(path=path)}\n")


def test_binary_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "core"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00")
    code, out, err = run(["explain", str(path)], capsys)
    assert (code, out, err) == (2, "", f"dlenv: error: {path}: not a text file\n")


def test_unrecognised_text_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA / "not_a_report.txt"
    code, out, err = run(["explain", str(path)], capsys)
    assert (code, out) == (2, "")
    assert err == (
        f"dlenv: error: {path}: nothing recognised (expected the output of `python -m "
        "torch.utils.collect_env`, `nvidia-smi`, a dlenv JSON report, or a log or traceback "
        "with a known CUDA/framework message)\n"
    )


def test_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.json"
    path = str(DATA / "nvidia_smi_q.txt")
    code, out, _ = run(["explain", path, "--no-probe", "-f", "json", "-o", str(target)], capsys)
    assert (code, out) == (0, "")
    assert json.loads(target.read_text())["parts"][0]["kind"] == "nvidia-smi -q"

"""Recognising parts of a paste, combining them, and combining a paste with this machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.errors import DlenvError
from dlenv.importers import combine_with_machine, decode, import_text
from dlenv.importers.detect import normalise
from dlenv.report.json import dump_report
from dlenv.report.model import make_report
from dlenv.snapshot.model import (
    DriverFacts,
    FrameworkFacts,
    GpuFacts,
    GpuProcess,
    HostFacts,
    LiveProbe,
    Snapshot,
)

DATA = Path(__file__).parent / "data"


def _read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def test_normalise_fences_quotes_crlf_ansi() -> None:
    text = "> ```\r\n> \x1b[31mPyTorch version: 2.1.0\x1b[0m\r\n> ```\r\n"
    assert normalise(text) == ["", "PyTorch version: 2.1.0", ""]


def test_pytests_failure_lines_are_read_without_its_prefix() -> None:
    """rgommers/pixi-dev-scipystack#14: jax's "Outdated cuDNN installation found" quoted from a
    pytest run, each line behind pytest's "E   ": the message is jax's, read whole (DL206)."""
    from dlenv.importers.explain import explain_text

    text = (
        "E   RuntimeError: Backend 'cuda' failed to initialize: Unable to use CUDA because of "
        "the following issues with CUDA components:\n"
        "E   Outdated cuDNN installation found.\n"
        "E   Version JAX was built against: 8907\n"
        "E   Minimum supported: 9100\n"
        "E   Installed version: 8907\n"
        "E   The local installation version must be no lower than 9100.. Available backends "
        "are ['cpu']\n"
    )
    assert normalise(text)[1] == "Outdated cuDNN installation found."
    codes = {f.code for f in explain_text(text, "paste", probe=False).report.findings}
    assert "DL206" in codes


def test_typographic_quotes_are_read_as_the_program_printed_them() -> None:
    """zeta36/tensorflow-tex-wavenet#8: TensorFlow's AVX message with "aren’t" (a web page's
    apostrophe) is TensorFlow's message; the CJK corner brackets stay the reporter's."""
    assert normalise("these aren\u2019t available, \u201clibcudnn.so.8\u201d \u300cx\u300d") == [
        "these aren't available, \"libcudnn.so.8\" \u300cx\u300d"
    ]
    from dlenv.importers.explain import explain_text

    text = (
        "The TensorFlow library was compiled to use AVX instructions, but these aren\u2019t "
        "available on your machine.\nAborted (core dumped)\n"
    )
    codes = {f.code for f in explain_text(text, "paste", probe=False).report.findings}
    assert "DL508" in codes


def _normalise_plainly(text: str) -> list[str]:
    """normalise as first written: every step over the whole text, every pattern on every line
    (the reference its fast paths must equal)."""
    from dlenv.importers.detect import _ANSI, _FENCE, _HTML, _QUOTE, _plain_quotes

    text = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4)
    text = _plain_quotes(text)
    raw = _ANSI.sub("", text).split("\n")
    if len(raw) > 1 and raw[-1] == "":
        raw.pop()
    nonblank = [line for line in raw if line.strip()]
    quoted = sum(1 for line in nonblank if _QUOTE.match(line))
    strip = nonblank and quoted * 2 >= len(nonblank)
    out = []
    for line in raw:
        line = _QUOTE.sub("", line, count=1) if strip else line
        out.append("" if _FENCE.match(line) or _HTML.match(line) else line.rstrip())
    return [line[4:] if line.startswith("E   ") else line for line in out]


def test_normalise_equals_the_plain_reading() -> None:
    """Tabs expanded line by line, patterns tried only on lines that start with their
    characters: the same lines as every step over everything, on random mixes of the cases."""
    import random

    rng = random.Random(4)
    pieces = ["a", "\t", "x\t\ty", "\r", "\n", "\r\n", "\x1b[31m", "  ", "> ", " >", "```py",
              "~~~", "<details>", "</summary>", "<pre>x", "é", "\u2028", "\x0c", "\x0c```", " - ",
              "aren\u2019t", "\u201clib\u201d", "\u300cx\u300d", "E   ", "E  "]
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 24)))
        assert normalise(text) == _normalise_plainly(text), repr(text)


def test_decode_encodings() -> None:
    assert decode("PyTorch ✓".encode("utf-16"), "x") == "PyTorch ✓"
    assert decode(b"\xef\xbb\xbfPyTorch", "x") == "PyTorch"
    assert decode("PyTorch".encode("utf-16-le"), "x") == "PyTorch"
    with pytest.raises(DlenvError, match=r"^x: not a text file$"):
        decode(b"\x7fELF\x00\x00\x01", "x")


def test_several_parts_combine_into_one_snapshot() -> None:
    text = "\n\n".join(
        [
            _read("collect_env_wsl_healthy.txt"),
            "and nvidia-smi says:",
            _read("nvidia_smi_q.txt"),
            _read("torch_sm120.txt"),
        ]
    )
    imported = import_text(text, "issue")
    snap = imported.snapshot
    assert snap.origin == "collect_env+nvidia-smi -q+text"
    assert [(p.kind, p.first_line, p.last_line) for p in imported.parts] == [
        ("collect_env", 1, 22),
        ("nvidia-smi -q", 28, 54),
        ("messages", 1, 68),
    ]
    # collect_env named GPU 0 first; nvidia-smi -q and the warning add to the same GPU
    assert [(g.index, g.name, g.compute_capability, g.memory_total_mib) for g in snap.gpus] == [
        (0, "NVIDIA GeForce RTX 3090", None, 24576),
        (1, "NVIDIA GeForce RTX 5090", "12.0", None),
    ]
    assert (snap.driver.version, snap.driver.cuda_version) == ("535.154.05", "12.2")
    probe = snap.live_probe("torch")
    assert probe is not None
    assert (probe.gpu_available, probe.compute_ok, probe.arch_list[-1]) == (True, False, "sm_90")


def test_truncated_collect_env_is_noted() -> None:
    lines = _read("collect_env_driver_too_old.txt").splitlines()
    cut = "\n".join(lines[: lines.index("Is CUDA available: False") + 1])
    imported = import_text(cut, "cut")
    part = imported.parts[0]
    assert (part.kind, part.first_line, part.last_line) == ("collect_env", 12, 26)
    assert part.notes == [
        "the paste ends early: no nvidia driver version, cudnn version, gpu models and "
        "configuration"
    ]
    assert imported.snapshot.gpus == []
    torch = imported.snapshot.framework("torch")
    assert torch is not None and torch.cuda_version == "12.1"


def test_dlenv_json_report_with_a_traceback() -> None:
    saved = Snapshot(
        origin="probe",
        host=HostFacts(os="Linux"),
        driver=DriverFacts(installed=True, version="550.54.14", cuda_version="12.4"),
        gpus=[GpuFacts(index=0, name="NVIDIA L4", compute_capability="8.9")],
        frameworks=[FrameworkFacts("torch", "torch", "2.4.0+cu121", cuda_build=True)],
    )
    text = (
        "dlenv doctor --format json:\n```json\n"
        + dump_report(make_report(saved, []))
        + "```\n\nRuntimeError: CUDA error: no kernel image is available for execution on the "
        "device\n"
    )
    imported = import_text(text, "paste")
    snap = imported.snapshot
    assert [p.kind for p in imported.parts] == ["dlenv-json", "messages"]
    assert snap.origin == "dlenv-json+text"
    assert (snap.driver.version, snap.gpus, snap.host.os) == (
        "550.54.14",
        saved.gpus,
        "Linux",
    )
    torch = snap.framework("torch")
    assert torch is not None and torch.version == "2.4.0+cu121"
    probe = snap.live_probe("torch")
    assert probe is not None and probe.compute_ok is False


def test_a_dlenv_reports_own_strings_are_facts_not_messages() -> None:
    # a container with no GPU: doctor finds nothing wrong, and explaining its JSON must agree;
    # the report's "error": "nvidia-smi not found" is a fact it states, not the reporter saying it
    from dlenv.rules import diagnose
    from dlenv.snapshot.model import DriverReading

    saved = Snapshot(
        origin="probe",
        host=HostFacts(os="Linux", container="docker"),
        driver=DriverFacts(
            installed=False,
            readings=[DriverReading(source="nvidia-smi", error="nvidia-smi not found")],
        ),
    )
    text = dump_report(make_report(saved, diagnose(saved)))
    assert '"nvidia-smi not found"' in text
    imported = import_text(text, "report.json")
    assert imported.snapshot.reported_errors == []
    assert imported.snapshot.reported_words == {}
    assert [f.code for f in diagnose(imported.snapshot)] == [f.code for f in diagnose(saved)]


def test_broken_dlenv_json_is_a_one_line_error() -> None:
    with pytest.raises(DlenvError, match=r"^p: schema_version 99 is not supported"):
        import_text('{"kind": "dlenv-report", "schema_version": 99}', "p")


def test_pasted_facts_win_over_this_machine() -> None:
    imported = import_text(_read("collect_env_driver_too_old.txt"), "issue")
    machine = Snapshot(
        origin="probe",
        host=HostFacts(os="Linux", hostname="build-7", cpu_cores_logical=16),
        driver=DriverFacts(installed=True, version="535.104.05", cuda_version="12.2"),
        gpus=[GpuFacts(index=0, name="NVIDIA T4")],
        frameworks=[
            FrameworkFacts("torch", "torch", "2.0.0+cu118", cuda_build=True, cuda_version="11.8"),
            FrameworkFacts("numpy-like", "x", "1.0"),
        ],
        live=[LiveProbe("torch", "ok", gpu_available=True)],
    )
    snap = combine_with_machine(imported, machine)
    assert snap.origin == "probe+collect_env+text"
    assert (snap.host.hostname, snap.host.cpu_cores_logical, snap.host.distro) == (
        "build-7",
        16,
        "Ubuntu",
    )
    assert (snap.driver.version, snap.driver.cuda_version) == ("470.223.02", "11.4")
    assert [g.name for g in snap.gpus] == ["Tesla V100-SXM2-32GB", "Tesla V100-SXM2-32GB"]
    assert [(f.name, f.version, f.cuda_version) for f in snap.frameworks] == [
        ("torch", "2.1.2+cu121", "12.1"),
        ("numpy-like", "1.0", None),
    ]
    probe = snap.live_probe("torch")
    assert probe is not None and probe.gpu_available is False
    assert [e.signature for e in snap.reported_errors] == ["torch-driver-too-old"]


def test_large_log_finds_its_error_among_noise() -> None:
    """A collect_env at the head of 25,000 lines of training noise is still read. How fast is
    measured by benchmarks/bench_explain.py, not asserted here (a loaded CI box is slow)."""
    noise = _read("tf_log_healthy_noise.txt").splitlines()
    filler = [
        f"epoch {i} step {i % 97} loss=0.{i:05d} lr=1e-4 samples/s=1234.5" for i in range(5000)
    ]
    text = _read("collect_env_driver_too_old.txt") + "\n".join(noise * 20 + filler)
    imported = import_text(text, "big")
    assert [e.signature for e in imported.snapshot.reported_errors][:1] == ["torch-driver-too-old"]


def test_nvidia_smi_rows_and_process_table_without_the_header() -> None:
    text = """Name        Persistence-M| Bus-Id        Disp.A | Volatile Uncorr. ECC |
|===============================+======================+======================|
|   0  Tesla V100-SXM2...  On   | 00000000:00:08.0 Off |                    0 |
| N/A   54C    P0   246W / 300W |  15514MiB / 16130MiB |    100%      Default |
+-------------------------------+----------------------+----------------------+

|    0   N/A  N/A      1395      C   python                          25081MiB |
|    0   N/A  N/A      1211      G   /usr/lib/xorg/Xorg                  4MiB |
| Processes:                                                                  |
|    0   N/A  N/A      2200    C+G   C:\\Windows\\explorer.exe              N/A |
"""
    snap = import_text(text).snapshot
    assert [(g.index, g.memory_used_mib, g.memory_total_mib) for g in snap.gpus] == [
        (0, 15514, 16130)
    ]
    # the rows after "Processes:" are read; a graphics-only process holds no compute memory
    assert snap.gpus[0].compute_processes == [GpuProcess(pid=2200, name="explorer.exe")]
    assert snap.gpus[0].processes == 1


def test_gpustat_lines_give_each_gpus_memory_and_processes() -> None:
    # gpustat's listing (https://github.com/wookayin/gpustat), plain and with --show-power
    text = """server1  Mon Jul  1 11:50:10 2019  418.87.00
[0] Tesla V100-SXM2-16GB | 44'C,   0 % | 15836 / 16130 MB | alice(15830M)
[1] NVIDIA A100 80GB PCIe | 52'C, 100 %,  61 / 300 W | 10151 / 81920 MB | (null)
`[2] GeForce GTX 1080 Ti | 37'C,   0 % |     0 / 11178 MB |`
RuntimeError: CUDA error: out of memory
"""
    snap = import_text(text).snapshot
    assert [(g.index, g.name, g.memory_used_mib, g.memory_total_mib, g.processes) for g in
            snap.gpus] == [
        (0, "Tesla V100-SXM2-16GB", 15836, 16130, 1),
        (1, "NVIDIA A100 80GB PCIe", 10151, 81920, 0),
        (2, "GeForce GTX 1080 Ti", 0, 11178, 0),
    ]


def test_nvidia_smi_query_gpu_csv_gives_each_gpus_memory() -> None:
    text = """$ nvidia-smi --query-gpu=index,name,memory.used,memory.total,driver_version --format=csv
index, name, memory.used [MiB], memory.total [MiB], driver_version
0, NVIDIA GeForce RTX 3090, 23811 MiB, 24576 MiB, 535.104.05
1, NVIDIA GeForce RTX 3090, 5 MiB, 24576 MiB, 535.104.05
RuntimeError: CUDA error: out of memory
"""
    snap = import_text(text).snapshot
    assert [(g.index, g.name, g.memory_used_mib, g.memory_total_mib) for g in snap.gpus] == [
        (0, "NVIDIA GeForce RTX 3090", 23811, 24576),
        (1, "NVIDIA GeForce RTX 3090", 5, 24576),
    ]
    assert snap.driver.version == "535.104.05"
    # a CSV of the training's own numbers is no GPU listing
    other = "epoch, loss, memory.peak\n1, 0.5, 3000\nRuntimeError: CUDA out of memory.\n"
    assert import_text(other).snapshot.gpus == []


def test_a_log_line_with_brackets_is_not_gpustat() -> None:
    text = "[0] loss 0.52 | 44 s | 1536 / 16130 MB\nRuntimeError: CUDA out of memory.\n"
    assert import_text(text).snapshot.gpus == []


def test_a_markdown_table_is_not_an_nvidia_smi_fragment() -> None:
    text = "| 1 | torch | 2.1.0 |\n| 2 | numpy | 1.26 |\nRuntimeError: CUDA out of memory.\n"
    assert import_text(text).snapshot.gpus == []


def test_a_package_list_part_starts_at_its_first_package_line() -> None:
    """`pip list` lines after a blank line or a fence: the part's lines are the package lines
    themselves, the first one first (not the blank line above it), and the first line of the
    paste counts too."""
    text = "My setup:\n\n```\ntensorflow 2.1.0\nkeras  2.3.1\n```\n"
    parts = [(p.kind, p.first_line, p.last_line) for p in import_text(text).parts]
    assert ("package-list", 4, 5) in parts
    first = import_text("torch==2.1.0\nRuntimeError: CUDA error: out of memory\n")
    assert ("package-list", 1, 1) in [(p.kind, p.first_line, p.last_line) for p in first.parts]

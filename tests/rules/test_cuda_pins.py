"""DL209 and DL203 from the knowledge base's PyPI pins, when a paste states only the versions."""

from __future__ import annotations

from dataclasses import replace

from dlenv.importers.explain import explain_text
from dlenv.snapshot.model import FrameworkFacts, HostFacts
from tests.rules.snapshots import fired, gpu_machine, only


def _codes(text: str) -> list[str]:
    found = explain_text(text, "paste.txt", probe=False).report.findings
    return sorted({f.code for f in found if f.code in ("DL209", "DL203")})


def _stated(name: str, version: str, **details: str) -> FrameworkFacts:
    return FrameworkFacts(
        name=name,
        distribution=name,
        version=version,
        build_source="pasted report",
        details=dict(details),
    )


def test_dl209_stated_torch_and_tensorflow_and_cuda_pin_different_cudnn() -> None:
    s = gpu_machine(
        frameworks=[_stated("torch", "2.5.1"), _stated("tensorflow", "2.15.0", extras="and-cuda")]
    )
    f = only(s, "DL209")
    assert f.title == "torch 2.5.1 and tensorflow 2.15.0 pin different nvidia-cublas-cu12 versions"
    found = {e.found for e in f.evidence}
    assert {"nvidia-cudnn-cu12==9.1.0.70", "nvidia-cudnn-cu12==8.9.4.25"} <= found
    assert f.evidence[0].fact == "kb.cuda_pins.torch"
    assert "https://pypi.org/project/torch/2.5.1/" in (f.evidence[0].note or "")
    assert "https://pypi.org/project/tensorflow/2.15.0/" in (f.evidence[1].note or "")


def test_dl209_not_without_and_cuda_nor_on_another_os() -> None:
    plain = [_stated("torch", "2.5.1"), _stated("tensorflow", "2.15.0")]
    assert fired(gpu_machine(frameworks=plain), "DL209") == []
    extra = [_stated("torch", "2.5.1"), _stated("tensorflow", "2.15.0", extras="and-cuda")]
    windows = replace(gpu_machine(frameworks=extra), host=HostFacts(os="Windows"))
    assert fired(windows, "DL209") == []
    # a framework whose METADATA was read is judged by it, not by the table
    read = [replace(f, build_source="METADATA") for f in extra]
    assert fired(gpu_machine(frameworks=read), "DL209") == []


def test_dl209_tensorflow_wheels_shown_stand_for_the_extra() -> None:
    from dlenv.snapshot.model import PipCudaPackage

    s = gpu_machine(frameworks=[_stated("torch", "2.5.1"), _stated("tensorflow", "2.15.0")])
    shown = replace(
        s, cuda=replace(s.cuda, pip_packages=[PipCudaPackage("nvidia-cudnn-cu12", "8.9.4.25", "x")])
    )
    assert fired(shown, "DL209") == ["DL209"]
    other = replace(
        s, cuda=replace(s.cuda, pip_packages=[PipCudaPackage("nvidia-cudnn-cu12", "9.1.0.70", "x")])
    )
    assert fired(other, "DL209") == []


def test_dl209_cu12_and_cu13_wheels_of_one_library() -> None:
    s = gpu_machine(
        frameworks=[_stated("torch", "2.11.0"), _stated("tensorflow", "2.20.0", extras="and-cuda")]
    )
    f = only(s, "DL209")
    assert "for different CUDA majors" in f.title
    assert {e.found.split("<")[0].split("=")[0].split(">")[0] for e in f.evidence} == {
        "nvidia-cudnn-cu13",
        "nvidia-cudnn-cu12",
    }
    # torch 2.10 still brings the -cu12 wheels: the two agree
    fine = [_stated("torch", "2.10.0"), _stated("tensorflow", "2.20.0", extras="and-cuda")]
    assert fired(gpu_machine(frameworks=fine), "DL209") == []


def test_dl209_from_a_pasted_requirements_file() -> None:
    bad = "torch==2.5.1\ntensorflow[and-cuda]==2.15.0\nnumpy<2\n"
    assert _codes(bad) == ["DL209"]
    assert _codes("torch==2.5.1\ntensorflow==2.15.0\nnumpy<2\n") == []
    # the pytorch.org cu121 build: its cuDNN (9.1.0.70, the release table) against TF's 8.9.4.25
    assert _codes("torch==2.5.1+cu121\ntensorflow[and-cuda]==2.15.0\n") == ["DL209"]
    assert _codes("torch==2.5.1+cu121\ntensorflow==2.15.0\n") == []
    assert _codes("torch==2.5.1+cpu\ntensorflow[and-cuda]==2.15.0\n") == []
    # releases that agree: torch 2.4.1 and jax[cuda12] 0.4.31 both take cuDNN 9.1
    assert _codes("torch==2.4.1\njax[cuda12]==0.4.31\n") == []
    assert _codes("torch==2.4.1\njax[cuda12]==0.6.0\n") == ["DL209"]


def test_dl209_a_report_that_names_cu12_and_cu13_wheels() -> None:
    text = (
        "However, the TensorFlow installed requires `nvidia-nccl-cu12` while the latest PyTorch "
        "`nvidia-nccl-cu13` making PyTorch disfunction.\n"
    )
    assert _codes(text) == ["DL209"]
    # libcublas.so.12 and .so.13 coexist: not a clash
    fine = text.replace("nccl", "cublas")
    assert _codes(fine) == []


def test_dl203_names_the_stated_framework_whose_pypi_pin_was_loaded() -> None:
    from dlenv.snapshot.model import LiveProbe, LoadedLibrary

    def loaded(version: str) -> LiveProbe:
        lib = LoadedLibrary(name="cudnn", path="libcudnn.so.9", version=version)
        return LiveProbe(framework="jax", status="ok", loaded_libraries=[lib])

    jax = FrameworkFacts(
        name="jax", distribution="jax", version="0.6.0", cuda_build=True, cudnn_version="9.8"
    )
    others = [_stated("tensorflow", "2.18.0", extras="and-cuda"), _stated("torch", "2.5.1")]
    s = replace(gpu_machine(frameworks=[jax, *others]), live=[loaded("9.1.0")])
    f = only(s, "DL203")
    assert "torch 2.5.1" in f.message
    pin = f.evidence[-1]
    assert pin.found == "nvidia-cudnn-cu12==9.1.0.70"
    assert "https://pypi.org/project/torch/2.5.1/" in (pin.note or "")
    # the cuDNN jax was built with is what loaded: nothing to say
    assert fired(replace(s, live=[loaded("9.8.0")]), "DL203") == []


def test_dl209_warning_when_the_reporter_says_torch_and_tensorflow_conflict() -> None:
    """SpatialVLA/SpatialVLA#19 ("you have requested conflicting versions of PyTorch [torch==
    2.5.1+cu121] and TensorFlow [tensorflow==2.15.0]"): on the reporter's word that they
    conflict, TensorFlow's GPU wheels ([and-cuda]) are taken; a warning, the extra is assumed.
    Without the statement, a plain tensorflow pins nothing (the test above)."""
    from dlenv.snapshot.model import ReportedError

    said = ReportedError(
        signature="said-frameworks-conflict",
        text="you have requested conflicting versions of PyTorch and TensorFlow",
        meaning="m",
        harmless=True,
    )
    plain = [_stated("torch", "2.5.1"), _stated("tensorflow", "2.15.0")]
    bad = replace(gpu_machine(frameworks=plain), reported_errors=[said])
    f = only(bad, "DL209")
    assert f.severity == "warning"
    assert "[and-cuda]" in (f.hint or "")
    # the statement alone, with no second framework's release stated, proves nothing
    alone = [_stated("torch", "2.5.1")]
    assert fired(replace(gpu_machine(frameworks=alone), reported_errors=[said]), "DL209") == []
    # an [and-cuda] the paste states is no assumption: an error, as before
    extra = [_stated("torch", "2.5.1"), _stated("tensorflow", "2.15.0", extras="and-cuda")]
    stated = replace(gpu_machine(frameworks=extra), reported_errors=[said])
    assert only(stated, "DL209").severity == "error"
    text = (
        "Hello, you have requested conflicting versions of PyTorch [torch==2.5.1+cu121] and "
        'TensorFlow ["tensorflow==2.15.0"]\n'
    )
    assert _codes(text) == ["DL209"]
    assert _codes("I use torch==2.5.1+cu121 and tensorflow==2.15.0 without conflicts\n") == []

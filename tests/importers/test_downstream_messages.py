"""Messages downstream torch extensions print about the environment (catalog/src-downstream-*.toml)
through the importer and the real rules: the facts they state decide the rule."""

from __future__ import annotations

from dlenv.importers import import_text
from dlenv.rules import diagnose

XFORMERS_CPU_TORCH = """\
WARNING[XFORMERS]: xFormers can't load C++/CUDA extensions. xFormers was built for:
    PyTorch 2.1.0+cu121 with CUDA 1201 (you have 2.1.0+cpu)
    Python  3.10.13 (you have 3.10.12)
  Please reinstall xformers (see https://github.com/facebookresearch/xformers#installing-xformers)
"""


def _codes(text: str) -> tuple[list[str], dict[str, str]]:
    snapshot = import_text(text, "paste").snapshot
    versions = {fw.name: fw.version for fw in snapshot.frameworks}
    return [f.code for f in diagnose(snapshot)], versions


def test_xformers_built_for_cuda_on_a_cpu_torch_is_dl401() -> None:
    codes, versions = _codes(XFORMERS_CPU_TORCH)
    # the installed torch is the one after "you have", not the one xformers was built for
    assert versions["torch"] == "2.1.0+cpu"
    assert codes[0] == "DL401"


def test_xformers_built_for_another_cuda_torch_is_not_a_cpu_build() -> None:
    codes, versions = _codes(XFORMERS_CPU_TORCH.replace("2.1.0+cpu", "2.2.0+cu121"))
    assert versions["torch"] == "2.2.0+cu121"
    assert "DL401" not in codes


def test_deepspeed_cuda_mismatch_is_dl205() -> None:
    codes, _ = _codes(
        "deepspeed.ops.op_builder.builder.CUDAMismatchException: >- DeepSpeed Op Builder: "
        "Installed CUDA version 11.8 does not match the version torch was compiled with 12.1, "
        "unable to compile cuda/cpp extensions without a matching cuda version.\n"
    )
    assert codes == ["DL205"]
    # the minor-only notice DeepSpeed accepts is no finding
    codes, _ = _codes(
        "Installed CUDA version 12.2 does not match the version torch was compiled with 12.1 "
        "but since the APIs are compatible, accepting this combination\n"
    )
    assert codes == []

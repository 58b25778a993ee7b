"""CUDA_VISIBLE_DEVICES in the reporter's own words (DL303): "I exported CUDA_VISIBLE_DEVICES=1
and now torch.cuda.is_available() returns False" is the variable hiding the only GPU; the same
symptom beside an index that exists, or with no value set, blames nothing."""

from __future__ import annotations

from pathlib import Path

from dlenv.importers.explain import explain_text
from dlenv.snapshot.model import Snapshot
from tests.rules.snapshots import fired, only


def _pasted(text: str) -> Snapshot:
    return explain_text(text, "paste.txt", probe=False).imported.snapshot


def test_dl303_is_available_false_after_exporting_an_index_beyond_the_gpus() -> None:
    # github.com/thuml/Autoformer/issues/25: `export CUDA_VISIBLE_DEVICES=1` on a one-GPU system
    told = _pasted(
        "I exported CUDA_VISIBLE_DEVICES=1 and now torch.cuda.is_available() returns False. "
        "I only have one GPU.\n"
    )
    f = only(told, "DL303")
    assert f.severity == "error"
    assert "names GPU 1, but the machine has 1 (from the reporter)" in f.message
    # the GPU count unknown: the same words are a warning
    unsure = _pasted("export CUDA_VISIBLE_DEVICES=2\ntorch.cuda.is_available() returns False\n")
    assert only(unsure, "DL303").severity == "warning"


def test_dl303_is_available_false_blames_no_variable_that_names_an_existing_gpu() -> None:
    zero = _pasted("export CUDA_VISIBLE_DEVICES=0\ntorch.cuda.is_available() returns False\n")
    assert fired(zero, "DL303") == []
    unset = _pasted("torch 2.3.1\ntorch.cuda.is_available() returns False\n")
    assert fired(unset, "DL303") == []


def test_dl303_a_value_given_as_the_fix_is_not_the_value_that_failed() -> None:
    """Kent0n-Li/FGDM: "RuntimeError: No CUDA GPUs are available ... to overcome this issue add
    os.environ["CUDA_VISIBLE_DEVICES"] = "0"": the "0" is the fix, so the failure stays
    CUDA_VISIBLE_DEVICES hiding the GPU; a failing value stated beside another value that fixed
    it is still judged (xueliancheng/LEAStereo)."""
    from dlenv.importers.explain import explain_text

    def codes(text: str) -> dict[str, str]:
        report = explain_text(text, "t", probe=False).report
        return {f.code: f.severity for f in report.findings if f.severity != "info"}

    fixed = (
        "I faced this error : RuntimeError: No CUDA GPUs are available.\n"
        'To overcome this issue please add `os.environ["CUDA_VISIBLE_DEVICES"] = "0"` to '
        "main.py\n"
    )
    assert codes(fixed).get("DL303") == "warning"
    both = (
        "in search.sh you set\n   CUDA_VISIBLE_DEVICES=1\n"
        "Exception: No GPU found, please run without --cuda\n"
        "After I changed CUDA_VISIBLE_DEVICES=0 it worked.\n"
    )
    assert "DL303" in codes(both)


def test_dl303_a_bare_cuinit_no_device_is_probably_a_visible_devices_setting() -> None:
    # github.com/kuku-sichuan/FPN_Faster_RCNN/issues/3: train.py set CUDA_VISIBLE_DEVICES="1"
    bare = _pasted(
        "when I try run python train.py , it get an error :failed call to cuInit: "
        "CUDA_ERROR_NO_DEVICE\n"
    )
    f = only(bare, "DL303")
    assert f.severity == "warning"
    assert "read from context" in f.message
    assert any("CUDA_VISIBLE_DEVICES" in " ".join(a.commands) for a in f.fixes if a.commands)
    # the same message beside a statement that names another cause is left to that cause
    rebooted = _pasted(
        "failed call to cuInit: CUDA_ERROR_NO_DEVICE\n"
        "It was working yesterday and I haven't changed anything.\n"
    )
    assert fired(rebooted, "DL303") == []
    # ... and inside a container it is DL109's question
    docker = _pasted(
        "Inside the docker container: failed call to cuInit: CUDA_ERROR_NO_DEVICE\n"
        "I run the docker image with docker run -it myimage\n"
    )
    assert fired(docker, "DL303") == []


def test_dl303_a_gpu_named_in_passing_does_not_count_the_machines_gpus() -> None:
    """OpenNMT/OpenNMT#102's shape: `CUDA_VISIBLE_DEVICES=1 th train.lua -gpuid 0` beside one
    lspci line is no proof that the machine has a single GPU (the reporter may list the one
    that drives the display): a warning that says so; the same value beside an nvidia-smi table
    that lists one GPU is an error."""
    lspci = "VGA compatible controller: NVIDIA Corporation GK110B [GeForce GTX TITAN Black]\n"
    named = _pasted("CUDA_VISIBLE_DEVICES=1 python train.py\n" + lspci)
    assert [g.source for g in named.gpus] == ["mentioned"]
    f = only(named, "DL303")
    assert f.severity == "warning"
    assert f.title == "CUDA_VISIBLE_DEVICES='1' may hide every GPU"
    assert "the paste names only 1 GPU (indices 0) and no table of them" in f.message
    table = Path(__file__).parents[1] / "importers" / "data" / "nvidia_smi_q.txt"
    listed = _pasted("CUDA_VISIBLE_DEVICES=1 python train.py\n" + table.read_text("utf-8"))
    assert [g.source for g in listed.gpus] == ["pasted"]
    f = only(listed, "DL303")
    assert f.severity == "error"
    assert "although 1 exist (indices 0)" in f.message


def test_dl304_counts_no_gpus_from_one_named_in_passing() -> None:
    """The same rule for "invalid device ordinal": a GPU the reporter names is no count of the
    visible ones, so DL304 says what the launch needs rather than how many GPUs there are; an
    nvidia-smi table of one GPU is a count."""
    launch = (
        "torchrun --nproc_per_node=2 train.py\nRuntimeError: CUDA error: invalid device ordinal\n"
    )
    named = only(_pasted(launch + "I have a GeForce RTX 3090\n"), "DL304")
    assert "--nproc_per_node=2 needs 2 visible GPUs" in named.message
    table = Path(__file__).parents[1] / "importers" / "data" / "nvidia_smi_q.txt"
    listed = only(_pasted(launch + table.read_text("utf-8")), "DL304")
    assert "starts 2 processes, one per GPU, but 1 GPU(s) are visible" in listed.message


def test_dl305_from_an_extension_that_refuses_the_gpus_architecture() -> None:
    """kijai/ComfyUI-WanVideoWrapper#717: SageAttention's own "Unsupported CUDA architecture:
    sm75" on an RTX 2080: the extension has no kernels for the GPU, torch does (an error, with
    the extension's fix); nvcc refusing an architecture is not that."""
    from tests.rules.snapshots import pasted_codes

    said = "WanVideoSampler Unsupported CUDA architecture: sm75\n"
    found = explain_text(said, "paste.txt", probe=False).report.findings
    f = next(f for f in found if f.code == "DL305")
    assert f.severity == "error" and "sm_75" in f.title
    assert any("sageattention" in c for a in f.fixes for c in a.commands)
    assert "DL305" not in pasted_codes(
        "nvcc fatal   : Unsupported gpu architecture 'compute_120'\n"
    )


def test_dl305_when_the_reporter_says_get_arch_list_has_the_gpu() -> None:
    """warpem/miss-alignment#107: "no kernel image available" on an RTX PRO 5000 Blackwell with
    torch 2.8.0, and the reporter read torch.cuda.get_arch_list() as having sm_120: torch runs
    the GPU, the failing kernel is an extension's (DL305, not DL301); the same paste saying the
    list lacks sm_120 proves nothing of the kind."""
    from tests.rules.snapshots import pasted_codes

    head = (
        "CUDA error: no kernel image available\n"
        "our system is using the newer RTX PRO 5000 Blackwell cards.\n"
        "We're using torch == 2.8.0 and CUDA == 12.9, and running `torch.cuda.get_arch_list()` "
    )
    has = pasted_codes(head + "suggests that our versions should be compatible with `sm_120`.\n")
    assert "DL305" in has and "DL301" not in has
    lacks = explain_text(head + "shows it doesn't include sm_120.\n", "t", probe=False)
    probe = lacks.imported.snapshot.live_probe("torch")
    assert probe is None or not probe.arch_list  # no arch list read from it


def test_dl302_from_deepspeeds_op_with_no_compute_capability_left() -> None:
    """deepspeedai/DeepSpeed-MII#393: "Unable to load ragged_device_ops op due to no compute
    capabilities remaining after filtering" on a Colab T4 (7.5): the op's floor (8.0) filtered
    the GPU out, so it is too old for the op (an error); a missing CUDA_HOME is not that."""
    from tests.rules.snapshots import pasted_codes

    said = (
        "RuntimeError: Unable to load ragged_device_ops op due to no compute capabilities "
        "remaining after filtering\n"
    )
    assert pasted_codes(said).get("DL302") == "error"
    assert "DL302" not in pasted_codes(
        "RuntimeError: Unable to load ragged_device_ops op due to missing CUDA_HOME\n"
    )


def test_gpu_index_from_trls_vllm_device_check_and_oom_from_the_async_allocator() -> None:
    """huggingface/trl#2826: "The requested device for vllm (cuda:1) is not available" on a
    one-GPU machine is a GPU index beyond the visible GPUs (DL304). 1038lab/ComfyUI-RMBG#7:
    torch's cudaMallocAsync "Allocation on device" (as ComfyUI shortens it) is the GPU running
    out of memory (DL703), not an architecture failure."""
    from tests.rules.snapshots import pasted_codes

    trl = (
        "ValueError: The requested device for vllm (cuda:1) is not available. You are likely "
        "using vLLM without restricting the number of GPUs for training.\n"
    )
    assert pasted_codes(trl).get("DL304") == "error"
    rmbg = "RuntimeError: Error in image processing: Error in RMBG processing: Allocation on device\n"
    codes = pasted_codes(rmbg)
    assert "DL703" in codes and "DL301" not in codes
    assert pasted_codes("Allocation on device succeeded for the buffer\n").get("DL703") is None


def test_dl301_a_bare_model_number_and_chinas_d_variant() -> None:
    """wenbowen123/BundleTrack#44 ("no kernel image ... Yes.But it's 3090") and
    Yuliang-Liu/MonkeyOCR#366 ("我的硬件是5090D ... 依赖与5090不兼容"): the GPU named by its bare
    number (the RTX 5090 D is China's variant of the same GB202 chip, sm_120) is newer than older
    torch builds, and no torch is stated."""
    from dlenv.errors import DlenvError
    from dlenv.importers.explain import explain_text

    def codes(text: str) -> set[str]:
        try:
            return {f.code for f in explain_text(text, "p", probe=False).report.findings}
        except DlenvError:  # nothing recognised
            return set()

    kernel = (
        "RuntimeError: CUDA error: no kernel image is available for execution on the device\n"
        "Yes.But it's 3090\n"
    )
    assert "DL301" in codes(kernel)
    assert "DL301" in codes(
        "对50系支持不好\n刚刚拉取了最新的镜像，我的硬件是5090D，继续提示依赖与5090不兼容\n"
    )
    assert "DL301" not in codes("it's 2080 pixels wide and the model is slow\n")


def test_dl301_a_geforce_named_by_its_series() -> None:
    """opengeos/geoai#414: "fails to load model on Windows (RTX 50-series) – CUDA kernel image
    error", the error itself only in a screenshot: every RTX 50 board is sm_120 (the knowledge
    base's series rows), newer than older torch builds; the reporter's "CUDA kernel image error"
    is the no-kernel-image message in their words."""
    title = (
        "GeoAI QGIS plugin fails to load model on Windows (RTX 50-series) - CUDA kernel image "
        "error\n"
    )
    told = _pasted(title)
    assert [g.name for g in told.gpus] == ["GeForce RTX 50 series"]
    f = only(told, "DL301")
    assert "sm_120" in f.title
    # another series reads as its own architecture
    older = only(_pasted(title.replace("RTX 50-series", "RTX 30 series")), "DL301")
    assert "sm_86" in older.title and "torch 1.13" in older.message
    # a Quadro "RTX 5000" or a benchmark series is not a GeForce series
    assert _pasted("Quadro RTX 5000: CUDA kernel image error\n").gpus[0].name != (
        "GeForce RTX 50 series"
    )


def test_dl305_not_from_the_reporter_running_other_code() -> None:
    """ingowald/cudaKDTree#18: "when I run ./cukd_sample and other testing code, it will have
    some problem: … no kernel image": the reporter's action, not "other code works", so nothing
    says the framework covers the GPU (DL305 is not read from it)."""
    told = _pasted(
        "when I run ./cukd_sample and other testing code，it will have some problem:\n"
        "what(): parallel_for failed: cudErrorNoKernelImageForDevice: no kernel image is "
        "available for execution on the device\n"
    )
    assert "said-other-code-works" not in {e.signature for e in told.reported_errors}
    works = _pasted(
        "Other scripts could successfully be executed.\n"
        "RuntimeError: CUDA error: no kernel image is available for execution on the device\n"
    )
    assert "said-other-code-works" in {e.signature for e in works.reported_errors}

from __future__ import annotations

from dataclasses import replace

from dlenv.fix.actions import InstallPackages, ManualStep, SetEnv, UnsetEnv
from dlenv.importers.explain import explain_text
from dlenv.snapshot.model import FrameworkFacts, LiveProbe, PythonFacts, ReportedError, Snapshot
from tests.rules.snapshots import (
    cpu_machine,
    fired,
    gpu,
    gpu_machine,
    only,
    pasted_codes,
    tensorflow,
    torch,
    with_live,
)

RTX5090 = gpu(name="NVIDIA GeForce RTX 5090", cc="12.0", total=32607)


def test_dl301_rtx5090_with_cu126() -> None:
    bad = gpu_machine(driver="570.124.06", gpus=[RTX5090], frameworks=[torch("2.7.1+cu126")])
    f = only(bad, "DL301")
    assert f.severity == "error"
    assert f.message == (
        "NVIDIA GeForce RTX 5090 with CUDA capability sm_120 is not compatible with the current "
        "PyTorch installation (torch 2.7.1+cu126). The current PyTorch install supports CUDA "
        "capabilities sm_50 sm_60 sm_70 sm_75 sm_80 sm_86 sm_90."
    )
    assert f.fixes == [
        InstallPackages(
            packages=["torch==2.7.1"],
            uninstall=["torch"],
            index_url="https://download.pytorch.org/whl/cu128",
            reason="NVIDIA GeForce RTX 5090 is sm_120; torch 2.7.1+cu128 is built with CUDA 12.8 "
            "(reinstall torchvision/torchaudio from the same index)",
        )
    ]
    good = gpu_machine(driver="570.124.06", gpus=[RTX5090], frameworks=[torch("2.7.1+cu128")])
    assert fired(good, "DL301") == []


def test_dl301_binary_compatibility_and_ptx() -> None:
    # sm_89 runs sm_86 cubins: no finding for an RTX 4090 on cu118 builds
    assert fired(gpu_machine(frameworks=[torch("2.6.0+cu118")]), "DL301") == []
    # torch 2.5 cu124 release wheels carry no PTX (pytorch/builder release/2.5 reverted #1932):
    # an sm_120 GPU finds no kernel image, an error
    f = only(
        gpu_machine(driver="570.124.06", gpus=[RTX5090], frameworks=[torch("2.5.1+cu124")]), "DL301"
    )
    assert f.severity == "error"
    # a PTX-only fit is still a warning: 2.7 cu128 has compute_120, run on a newer GPU
    ptx = only(
        gpu_machine(
            driver="580.65.06",
            gpus=[gpu(name="NVIDIA Future", cc="13.0", total=1)],
            frameworks=[torch("2.7.1+cu128")],
        ),
        "DL301",
    )
    assert ptx.severity == "warning"
    # unknown arch list (not verified in the KB: 2.9's cu129) and no live probe: silent
    assert fired(gpu_machine(gpus=[RTX5090], frameworks=[torch("2.9.0+cu129")]), "DL301") == []
    # 2.3's cu121 list comes from its release script (sm_50 … sm_90, no PTX): an sm_120 GPU
    # has no kernel there
    assert fired(gpu_machine(gpus=[RTX5090], frameworks=[torch("2.3.1+cu121")]), "DL301") == [
        "DL301"
    ]


def test_dl301_live_arch_list_wins() -> None:
    s = gpu_machine(gpus=[RTX5090], frameworks=[torch("2.3.1+cu121")])
    live = LiveProbe(framework="torch", status="ok", arch_list=["sm_50", "sm_80", "sm_90"])
    f = only(with_live(s, live), "DL301")
    assert f.confirmed_by == "live"
    live_ok = replace(live, arch_list=["sm_80", "sm_90", "sm_100", "sm_120"])
    assert fired(with_live(s, live_ok), "DL301") == []


def test_dl302_kepler_with_cuda12() -> None:
    k80 = gpu(name="Tesla K80", cc="3.7", total=11441)
    f = only(gpu_machine(driver="470.239.06", gpus=[k80], frameworks=[tensorflow()]), "DL302")
    assert f.evidence[0].needed == ">=5.0"
    assert fired(gpu_machine(frameworks=[tensorflow()]), "DL302") == []
    # a torch arch list without the GPU is DL301's to judge, unless the GPU is older than
    # anything the build's CUDA major compiles for: CUDA 12 dropped sm_37
    cu124 = gpu_machine(driver="550.54.15", gpus=[k80], frameworks=[torch("2.5.1+cu124")])
    assert only(cu124, "DL302").evidence[0].needed == ">=5.0"
    assert fired(cu124, "DL301") == []


def test_dl302_cuda_11_dropped_sm30_but_not_sm35() -> None:
    # a GTX 660 Ti (sm_30) under torch 1.13.1+cu117: CUDA 11 builds nothing below sm_35
    gtx660ti = gpu(name="NVIDIA GeForce GTX 660 Ti", cc="3.0", total=2048)
    bad = gpu_machine(driver="470.256.02", gpus=[gtx660ti], frameworks=[torch("1.13.1+cu117")])
    assert only(bad, "DL302").evidence[0].needed == ">=3.5"
    assert fired(bad, "DL301") == []
    # a Tesla K40 (sm_35) is within CUDA 11's range, but older than every architecture of
    # torch's list (sm_37...): PyTorch's own _check_capability calls that "too old" (DL302)
    k40 = gpu(name="Tesla K40c", cc="3.5", total=11441)
    below = gpu_machine(driver="470.256.02", gpus=[k40], frameworks=[torch("1.13.1+cu117")])
    f = only(below, "DL302")
    assert f.evidence[0].needed == ">=3.7"
    assert fired(below, "DL301") == []
    # a GPU the list misses above its lowest entry is DL301's: an A100 (sm_80) on cu102
    a100 = gpu(name="NVIDIA A100-PCIE-40GB", cc="8.0", total=40960)
    newer = gpu_machine(driver="470.256.02", gpus=[a100], frameworks=[torch("1.12.1+cu102")])
    assert fired(newer, "DL301") == ["DL301"]
    assert fired(newer, "DL302") == []
    # the compute capability from the name table when NVML did not say
    # (torch 2.2's arch lists are unverified in the KB, so the CUDA 12 floor judges)
    kepler = gpu(name="Tesla K80", cc=None)
    assert only(gpu_machine(gpus=[kepler], frameworks=[torch("2.2.2+cu121")]), "DL302")


def _cvd(value: str):  # type: ignore[no-untyped-def]
    s = gpu_machine(gpus=[gpu(0), gpu(1)])
    return replace(s, visibility=replace(s.visibility, cuda_visible_devices=value))


def test_dl303_cuda_visible_devices() -> None:
    f = only(_cvd("2"), "DL303")
    assert f.severity == "error"
    assert f.fixes == [
        UnsetEnv(name="CUDA_VISIBLE_DEVICES", reason="show every GPU"),
        SetEnv(name="CUDA_VISIBLE_DEVICES", value="0,1", reason="name GPUs that exist"),
    ]
    assert only(_cvd(""), "DL303").severity == "warning"
    assert only(_cvd("-1"), "DL303").severity == "warning"
    assert only(_cvd("GPU-ffffffff"), "DL303").severity == "error"
    for fine in ("0", "1,0", "GPU-00000001", " 1"):
        assert fired(_cvd(fine), "DL303") == [], fine
    # no GPUs at all: hiding nothing
    cpu = cpu_machine()
    assert (
        fired(replace(cpu, visibility=replace(cpu.visibility, cuda_visible_devices="")), "DL303")
        == []
    )


def test_dl301_kb_lists_are_for_x86_64_wheels_only() -> None:
    """On an ARM host (GH200, Jetson) the x86_64 arch lists say nothing; the live probe does."""
    bad = gpu_machine(driver="570.124.06", gpus=[RTX5090], frameworks=[torch("2.7.1+cu126")])
    arm = replace(bad, host=replace(bad.host, arch="aarch64"))
    assert fired(arm, "DL301") == []
    live = LiveProbe(framework="torch", status="ok", arch_list=["sm_80", "sm_90"])
    assert fired(with_live(arm, live), "DL301") == ["DL301"]
    # and DL302 does not defer to a DL301 that cannot judge: a K80 on ARM with CUDA 12
    k80 = gpu(name="Tesla K80", cc="3.7", total=11441)
    old_gpu = gpu_machine(driver="470.239.06", gpus=[k80], frameworks=[torch("2.5.1+cu124")])
    assert fired(replace(old_gpu, host=replace(old_gpu.host, arch="aarch64")), "DL302") == ["DL302"]


def test_dl302_on_pytorchs_own_verdict_when_the_build_is_unknown() -> None:
    said = "Found GPU0 GeForce 820M which is of cuda capability 2.1. PyTorch no longer supports"
    fermi = gpu(name="GeForce 820M", cc="2.1", total=2048)
    s = gpu_machine(gpus=[fermi], frameworks=[replace(torch(), cuda_version=None, variant=None)])
    probe = LiveProbe(
        framework="torch",
        status="ok",
        details={"gpu_too_old": said, "min_cuda_capability": "3.5"},
    )
    f = only(with_live(s, probe), "DL302")
    assert f.title == "GeForce 820M (sm_21) is too old for this PyTorch"
    assert f.evidence[1].needed == ">=3.5"
    assert fired(s, "DL302") == []  # no verdict, no CUDA version: nothing to judge with


# -- DL303 / DL304 from pasted messages ----------------------------------------------------
def _pasted(text: str) -> Snapshot:
    from dlenv.importers import import_text

    return import_text(text).snapshot


def test_dl303_pasted_value_that_names_no_gpu() -> None:
    """github.com/endernewton/tf-faster-rcnn/issues/38: CUDA_VISIBLE_DEVICES=$0."""
    bad = _pasted("`CUDA_VISIBLE_DEVICES=$0 ./tools/demo.py`\nno CUDA-capable device is detected\n")
    f = only(bad, "DL303")
    assert f.severity == "error"
    assert "which is a shell variable" in f.message
    # the same with the GPU stated ("I have a TITAN X", nvidia-smi shows it): still proven
    named = _pasted(
        "`CUDA_VISIBLE_DEVICES=$0 ./tools/demo.py`\nno CUDA-capable device is detected - however"
        " I have a TITAN X on Ubuntu 16.04\n"
    )
    assert named.gpus
    assert only(named, "DL303").severity == "error"
    typo = _pasted("CUDA_VISIBLE_DEVICES=cuda0 python x.py\nno CUDA-capable device is detected\n")
    assert "which is no GPU index or UUID" in only(typo, "DL303").message
    # a value that is no index, with no failure quoted, proves nothing
    quiet = _pasted("CUDA_VISIBLE_DEVICES=$0 ./tools/demo.py\nI have a TITAN X\n")
    assert fired(quiet, "DL303") == []
    # index 3 on a machine the reporter says has one GPU: proven (the count is kept with the
    # framework the paste is about, here torch)
    one = _pasted(
        "I only have one GPU\nos.environ['CUDA_VISIBLE_DEVICES'] = '3'\n"
        "    torch._C._cuda_init()\nRuntimeError: No CUDA GPUs are available\n"
    )
    f = only(one, "DL303")
    assert (f.severity, f.evidence[0].found) == ("error", "'3'")
    assert "names GPU 3, but the machine has 1 (from the reporter)" in f.message
    # good: GPU 0 always exists, so something else hides it
    good = _pasted(
        "CUDA_VISIBLE_DEVICES=0 python train.py\nRuntimeError: No CUDA GPUs are available\n"
    )
    assert fired(good, "DL303") == []


def test_dl303_pytorch_no_cuda_gpus_alone_is_a_warning() -> None:
    f = only(_pasted("RuntimeError: No CUDA GPUs are available\n"), "DL303")
    assert f.severity == "warning"
    assert f.title == "CUDA_VISIBLE_DEVICES probably hides the GPU"
    # the driver-level "no CUDA-capable device" alone: probably the variable too (a warning,
    # read from context); beside WSL 2 it is another question (DL108's)
    bare = _pasted("CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected\n")
    assert only(bare, "DL303").severity == "warning"
    wsl = _pasted(
        "I run it in WSL2 on Windows 11.\n"
        "CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected\n"
    )
    assert fired(wsl, "DL303") == []


def test_dl304_nproc_per_node_beyond_the_visible_gpus() -> None:
    """github.com/wenwenyu/PICK-pytorch/issues/14."""
    bad = _pasted(
        "RuntimeError: cuda runtime error (101) : invalid device ordinal at "
        "/pytorch/torch/csrc/cuda/Module.cpp:59\n"
        "CUDA_VISIBLE_DEVICES=1,2 python -m torch.distributed.launch --nproc_per_node=4 train.py\n"
    )
    f = only(bad, "DL304")
    assert f.message == (
        "CUDA reports an invalid device ordinal: --nproc_per_node=4 starts 4 processes, one "
        "per GPU, but 2 GPU(s) are visible."
    )
    assert f.evidence[1].needed == "<=2"
    assert "torchrun --nproc_per_node=2 …" in f.fixes[0].commands  # type: ignore[union-attr]


def test_dl304_hard_coded_index_on_a_single_gpu() -> None:
    f = only(
        _pasted(
            "when I used a single card 4090: model.half().cuda(1)\n"
            '  File "/usr/lib/python3/dist-packages/torch/nn/modules/module.py", line 905\n'
            "RuntimeError: CUDA error: invalid device ordinal\n"
        ),
        "DL304",
    )
    assert "the code asks for GPU 1, but 1 GPU(s) are visible (indices 0..0)" in f.message
    # without the count, the index alone
    f = only(_pasted("x.cuda(2)\nRuntimeError: CUDA error: invalid device ordinal\n"), "DL304")
    assert f.message == "CUDA reports an invalid device ordinal: the code asks for GPU 2."
    # good: no invalid ordinal, nothing to say
    assert fired(_pasted("model.cuda(1)\nRuntimeError: CUDA error: out of memory\n"), "DL304") == []
    assert fired(gpu_machine(), "DL304") == []


def test_dl302_tensorflow_ignores_a_gpu_below_its_minimum() -> None:
    """github.com/tensorflow/tensorflow/issues/17445: a Quadro K2000M (3.0) under TF 1.6."""
    bad = _pasted(
        "2018-03-05 13:43:54.533246: I tensorflow/core/common_runtime/gpu/gpu_device.cc:1283] "
        "Ignoring visible gpu device (device: 0, name: Quadro K2000M, pci bus id: 0000:01:00.0, "
        "compute capability: 3.0) with Cuda compute capability 3.0. The minimum required Cuda "
        "capability is 3.5.\n"
    )
    f = only(bad, "DL302")
    assert f.title == "Quadro K2000M (sm_30) is too old for this TensorFlow"
    assert f.evidence[0].note == "TensorFlow's own verdict"
    assert (f.evidence[1].found, f.evidence[1].needed) == ("3.0", ">=3.5")
    good = _pasted(
        "I tensorflow/core/common_runtime/gpu/gpu_device.cc:1640] Created device "
        "/job:localhost/replica:0/task:0/device:GPU:0 with 9647 MB memory:  -> device: 0, name: "
        "NVIDIA GeForce RTX 3080, pci bus id: 0000:01:00.0, compute capability: 8.6\n"
    )
    assert fired(good, "DL302") == []


def test_dl302_a_programs_minimum_against_the_gpu_named_in_prose() -> None:
    text = "No CUDA device found with minimum required compute capability 3.5\n"
    f = only(_pasted(text + "My card is a GeForce GTX 780M.\n"), "DL302")
    assert (f.evidence[1].found, f.evidence[1].needed) == ("3.0", ">=3.5")
    stated = _pasted(text + "My graphic card is a laptop GPU with a compute capability 3.0.\n")
    assert fired(stated, "DL302") == ["DL302"]
    # a GPU that meets the minimum: the message has another cause
    assert fired(_pasted(text + "My card is a GeForce RTX 3080.\n"), "DL302") == []


NO_KERNEL = ReportedError(
    signature="no-kernel-image",
    text="RuntimeError: CUDA error: no kernel image is available for execution on the device",
    meaning="a kernel has no code for this GPU",
)


def test_dl305_torch_covers_the_gpu_so_an_extension_failed() -> None:
    """The maintainer's reasoning: torch 2.0.1+cu117 carries sm_86, which runs on an RTX 4090
    (sm_89); the failing kernel is an extension's, rebuilt with TORCH_CUDA_ARCH_LIST=8.6."""
    s = gpu_machine(driver="535.104.05", frameworks=[torch("2.0.1+cu117", cudnn="8.5")])
    bad = replace(s, reported_errors=[NO_KERNEL])
    f = only(bad, "DL305")
    assert f.severity == "error"
    assert "sm_86 code runs on sm_89" in f.message
    commands = [c for a in f.fixes if isinstance(a, ManualStep) for c in a.commands]
    assert "CUDA_LAUNCH_BLOCKING=1 python your_script.py" in commands
    assert "export TORCH_CUDA_ARCH_LIST=8.6" in commands
    # DL301 agrees: binary compatibility within a major, so no finding of its own
    assert fired(bad, "DL301") == []
    # no error quoted: nothing to say
    assert fired(s, "DL305") == []
    # sm_86 does not run on sm_90: torch itself lacks the code, which is DL301's verdict
    h100 = gpu(name="NVIDIA H100 80GB HBM3", cc="9.0", total=81559)
    on_h100 = replace(bad, gpus=[h100])
    assert fired(on_h100, "DL305") == []
    assert fired(on_h100, "DL301") == ["DL301"]


def test_dl305_when_every_cuda_build_of_the_release_covers_the_gpu() -> None:
    """thomasbrandon/mish-cuda#10: "no kernel image" with "pytorch 1.7, cuda 10.2, TITAN X" and
    no variant tag. Every CUDA build of torch 1.7 (cu92 … cu110) carries sm_50, which runs on
    the TITAN X (sm_52): whichever was installed, the failing kernel is the extension's, and
    CUDA 10.2 targets sm_52 itself. A Kepler K40 (sm_35) is below every list: not DL305."""
    release_only = FrameworkFacts(name="torch", distribution="torch", version="1.7")
    s = replace(
        Snapshot(),
        gpus=[gpu(name="GeForce GTX TITAN X", cc=None, total=1)],
        frameworks=[release_only],
        reported_errors=[NO_KERNEL],
    )
    f = only(s, "DL305")
    assert "each of its CUDA builds has sm_50" in f.message
    commands = [c for a in f.fixes if isinstance(a, ManualStep) for c in a.commands]
    assert "export TORCH_CUDA_ARCH_LIST=5.2" in commands
    k40 = replace(s, gpus=[gpu(name="Tesla K40c", cc=None, total=1)])
    assert fired(k40, "DL305") == []
    # a CPU build cannot print a CUDA error, but one stated as CPU-only is not judged here
    cpu = replace(s, frameworks=[replace(release_only, cuda_build=False)])
    assert fired(cpu, "DL305") == []
    assert fired(replace(s, reported_errors=[]), "DL305") == []


def test_dl305_from_the_live_probe() -> None:
    s = gpu_machine(frameworks=[torch("2.0.1+cu117", cudnn="8.5")])
    probe = LiveProbe(
        framework="torch",
        status="ok",
        gpu_available=True,
        compute_ok=False,
        arch_list=["sm_80", "sm_86"],
        error="CUDA error: no kernel image is available for execution on the device",
    )
    assert only(with_live(s, probe), "DL305").confirmed_by == "live"


def test_dl305_when_the_paste_names_the_extension_kernel_or_its_arch_flags() -> None:
    """The failing kernel's own source ("CUDA error (…/flash_fwd_launch_template.h:175)",
    "error in modulated_deformable_col2im_cuda") or detectron2's arch flags missing the GPU point
    at the extension whatever torch's own arch list is; a bare "no kernel image" does not."""
    from dlenv.importers.explain import explain_text

    def codes(text: str) -> set[str]:
        report = explain_text(text, "t", probe=False).report
        return {f.code for f in report.findings if f.severity == "error"}

    flash = (
        "CUDA error (/__w/xformers/xformers/third_party/flash-attention/hopper/"
        "flash_fwd_launch_template.h:175): no kernel image is available for execution on the "
        "device\n"
    )
    assert codes(flash) == {"DL305"}
    d2 = (
        "error in modulated_deformable_col2im_cuda: no kernel image is available for execution "
        "on the device\n"
        "detectron2 arch flags   sm_70\n"
        "GPU 0                   Tesla P40\n"
    )
    report = explain_text(d2, "t", probe=False).report
    [f] = [f for f in report.findings if f.code == "DL305"]
    assert "detectron2 was built for sm_70" in f.message
    assert any("TORCH_CUDA_ARCH_LIST=6.1" in c for fix in f.fixes for c in fix.commands)
    bare = "RuntimeError: CUDA error: no kernel image is available for execution on the device\n"
    assert "DL305" not in codes(bare)
    # PointNet++'s own check (cuda_utils.h), copied into many 3D projects: the function and its
    # .cu file on the next line (VAST-AI-Research/TriplaneGaussian)
    pointnet = (
        "CUDA kernel failed : no kernel image is available for execution on the device\n"
        "void group_points_kernel_wrapper(int, int, int, int, int, const float*, const int*, "
        "float*) at L:38 in /home/u/pointnet2_ops_lib/pointnet2_ops/_ext-src/src/"
        "group_points_gpu.cu\n"
    )
    assert codes(pointnet) == {"DL305"}
    assert "DL305" not in codes(pointnet.split("\n", 1)[0] + "\n")


def test_dl305_from_a_traceback_that_ends_in_an_extensions_compiled_call() -> None:
    """The last frame before "no kernel image" is a package's own Python calling its compiled
    module: the kernel is that package's. A last frame in torch's own code, or in the user's
    code calling a torch module, says nothing about whose kernel it was."""
    from dlenv.importers.explain import explain_text

    def codes(frame: str, call: str) -> set[str]:
        text = (
            "Traceback (most recent call last):\n"
            '  File "/home/u/train.py", line 10, in <module>\n'
            "    y = model(x)\n"
            f'  File "{frame}", line 46, in forward\n'
            f"    {call}\n"
            "RuntimeError: CUDA error: no kernel image is available for execution on the device\n"
        )
        report = explain_text(text, "t", probe=False).report
        return {f.code for f in report.findings if f.severity == "error"}

    site = "/opt/conda/lib/python3.10/site-packages"
    ext = f"{site}/causal_conv1d/causal_conv1d_interface.py"
    assert codes(ext, "out = causal_conv1d_cuda.causal_conv1d_fwd(x, weight, bias)") == {"DL305"}
    xformers = f"{site}/xformers/ops/fmha/cutlass.py"
    assert codes(xformers, "torch.ops.xformers.efficient_attention_forward_cutlass(q)") == {"DL305"}
    assert "DL305" not in codes(xformers, "torch.ops.aten.mm(a, b)")
    assert "DL305" not in codes(f"{site}/torch/nn/functional.py", "return torch._C._nn.gelu(x)")
    assert "DL305" not in codes("/home/u/model.py", "y = self.conv(x)")


def test_dl305_warning_when_the_reporter_says_other_code_runs_on_the_gpu(no_priors: None) -> None:
    """hpmll/DTC-SpMM_ASPLOS24: "no kernel image" from two scripts, "Other scripts could
    successfully be executed": the framework has kernels for the GPU, the project's own
    extension does not (a warning); without that statement, nothing is said of an extension."""
    from dlenv.importers.explain import explain_text

    def found(text: str) -> dict[str, str]:
        report = explain_text(text, "t", probe=False).report
        return {f.code: f.severity for f in report.findings if f.code in ("DL301", "DL305")}

    error = "`CUDA error: no kernel image is available for execution on the device`.\n"
    assert found(error + "Other scripts could successfully be executed.\n") == {"DL305": "warning"}
    assert found(error + "Other scripts fail with the same error.\n") == {}


def test_dl305_from_the_failing_kernels_source_but_not_from_torchs_own() -> None:
    """c10's "(<function> at <file>.cu:<line>)" after the message, a bare .cuh path, and mmcv's
    "implementation for device cuda:N not found" name an extension's kernel; ATen's does not
    (real reports: open-mmlab/mmdetection#4903, Dao-AILab/flash-attention#1966,
    open-mmlab/mmcv#2439)."""
    from dlenv.importers.explain import explain_text

    def codes(text: str) -> set[str]:
        report = explain_text(text, "t", probe=False).report
        return {f.code for f in report.findings if f.severity == "error"}

    mmcv = (
        "RuntimeError: CUDA error: no kernel image is available for execution on the device "
        "(NMSCUDAKernelLauncher at ./mmcv/ops/csrc/pytorch/nms_cuda.cu:50)\n"
    )
    assert codes(mmcv) == {"DL305"}
    bare_path = (
        "CUDA Error: no kernel image is available for execution on the device "
        "flash-attention/csrc/layer_norm/ln_fwd_kernels.cuh 236\n"
    )
    assert codes(bare_path) == {"DL305"}
    registry = "RuntimeError: modulated_deformable_im2col_impl: implementation for device cuda:1 not found.\n"
    assert codes(registry) == {"DL305"}
    aten = (
        "RuntimeError: CUDA error: no kernel image is available for execution on the device "
        "(launch_kernel at /pytorch/aten/src/ATen/native/cuda/Loops.cuh:102)\n"
    )
    assert "DL305" not in codes(aten)


def test_dl301_when_torch_is_not_stated_but_the_gpu_is_newer_than_older_builds(
    no_priors: None,
) -> None:
    """ "RTX 5090 Support" and "no kernel image": sm_120 is in torch's default builds only from
    2.7, so with torch's version unstated the torch build is the likeliest culprit
    (runew0lf/RuinedFooocus#251); a GPU every build covers says nothing, nor does a named
    extension kernel."""
    from dlenv.importers.explain import explain_text

    def found(text: str) -> list[tuple[str, str]]:
        report = explain_text(text, "t", probe=False).report
        return [(f.code, f.severity) for f in report.findings if f.code in ("DL301", "DL305")]

    error = "RuntimeError: CUDA error: no kernel image is available for execution on the device\n"
    assert found("RTX 5090 Support\n\n" + error) == [("DL301", "warning")]
    assert found("GTX 1080 Ti here\n\n" + error) == []
    assert found(error) == []
    flash = (
        "RTX 5090\nCUDA error (/build/flash-attn/flash_fwd_launch_template.h:184): "
        "no kernel image is available for execution on the device\n"
    )
    assert [c for c, _ in found(flash)] == ["DL305"]


def test_dl301_when_the_reporter_misses_support_for_a_gpu_newer_than_older_builds() -> None:
    """ "Add support for RTX 50 series GPUs ... RTX 5090 D results in compatibility errors"
    (state-spaces/mamba#710): with no framework build stated, the same warning as for "no kernel
    image"; a GPU every build covers, or a stated torch release, says nothing of the kind."""
    from dlenv.importers.explain import explain_text

    def found(text: str) -> list[tuple[str, str]]:
        report = explain_text(text, "t", probe=False).report
        return [(f.code, f.severity) for f in report.findings if f.code in ("DL301", "DL305")]

    ask = "Request: add support for NVIDIA RTX 50 series GPUs\n\nI have an RTX 5090 D.\n"
    assert found(ask) == [("DL301", "warning")]
    assert found("Request: add support for more GPUs\n\nI have a GTX 1080 Ti.\n") == []
    assert found(ask + "torch 2.8.0+cu128 is installed\n") == []
    assert found("Thanks for adding support for the RTX 5090 GPU, it works fine now.\n") == []


def test_dl301_when_the_reporter_cannot_use_a_gpu_newer_than_older_builds() -> None:
    """HeartMuLa/heartlib#75: "I can't use CUDA with my RTX 5080 ... The program works with my
    CPU" and nothing else: a Blackwell card no torch before 2.7 has kernels for (the same
    project's #52 shows its torch lists sm_50 ... sm_90), so a warning; an older card, a stated
    torch build, or a solved report say nothing of the kind."""
    from dlenv.importers.explain import explain_text

    def found(text: str) -> list[tuple[str, str]]:
        report = explain_text(text, "t", probe=False).report
        return [(f.code, f.severity) for f in report.findings if f.code == "DL301"]

    said = "I can't use CUDA with my RTX 5080. I keep getting errors.\n"
    assert found(said) == [("DL301", "warning")]
    assert found(said.replace("RTX 5080", "RTX 3080")) == []
    assert found(said + "torch 2.8.0+cu128 is installed\n") == []
    assert found("I can't use CUDA with my RTX 5080 -- solved with the cu128 build.\n") == []


def test_dl301_from_nvrtc_rejecting_the_gpus_architecture() -> None:
    """Acellera/htmd#1015: "nvrtc: error: invalid value for --gpu-architecture (-arch)" on two
    RTX 3090s with cudatoolkit 10.2 (targets up to sm_75): an error; with CUDA 11.8 the CUDA
    knows sm_86, so no proof (a warning at most); the GPU unknown: a warning; no error: nothing."""
    from tests.rules.snapshots import pasted_codes

    error = "Error compiling program: nvrtc: error: invalid value for --gpu-architecture (-arch)\n"
    rtx3090 = "GPU 0: NVIDIA GeForce RTX 3090 (UUID: GPU-d9fc08fd-2d09-a6c7-db1b-58bf25569568)\n"
    conda = "cudatoolkit               10.2.89              h8f6ccaa_9    conda-forge\n"
    assert pasted_codes(error + conda + rtx3090).get("DL301") == "error"
    newer = conda.replace("10.2.89", "11.8.0")
    assert pasted_codes(error + newer + rtx3090).get("DL301") == "warning"
    assert pasted_codes(error).get("DL301") == "warning"
    assert "DL301" not in pasted_codes(conda + rtx3090 + "RuntimeError: CUDA error: boom\n")


def test_dl302_warning_for_a_gpu_older_than_the_stated_toolkit_without_a_framework() -> None:
    """fireice-uk/xmr-stak#823: a Quadro FX 1800M (compute capability 1.2, NVIDIA's legacy
    list) with "cuda_9.1.85_windows" (CUDA 9: 3.0 and newer) and the miner's "Insufficient
    driver": a warning that the GPU is too old for that CUDA; a GPU CUDA 9 targets, or a
    framework build in the paste (its own CUDA decides), says nothing of the kind."""
    from tests.rules.snapshots import pasted_codes

    text = (
        "I have windows 7 x64\nNVIDIA Quadro FX 1800M latest driver installed\n"
        'cuda_9.1.85_windows\nand I get the "WARNING: NVIDIA Insufficient driver!" error\n'
    )
    assert pasted_codes(text).get("DL302") == "warning"
    assert "DL302" not in pasted_codes(text.replace("Quadro FX 1800M", "GeForce GTX 1060"))


def test_dl302_from_cudas_older_invalid_device_function_on_a_stated_old_gpu() -> None:
    """CUDA's older wording of "no kernel image", "invalid device function" (error 8/98), on a
    GPU whose stated compute capability (2.1) is below every current build: DL302, as for "no
    kernel image"; on a GPU current builds cover, not."""
    from dlenv.importers.explain import explain_text

    def found(text: str) -> list[str]:
        report = explain_text(text, "t", probe=False).report
        return [f.code for f in report.findings if f.code in ("DL301", "DL302")]

    error = "I always get the `cuda runtime error (8) : invalid device function` error.\n"
    assert found("My old graphics card has cuda capability 2.1.\n" + error) == ["DL302"]
    assert "DL302" not in found("My graphics card has cuda capability 8.6.\n" + error)


def test_dl301_reads_the_arch_list_behind_a_log_prefix() -> None:
    """journald/docker prefixes in front of torch's second warning line still give the arch
    list (Janrupf/stable-diffusion-webui-nix#9)."""
    from dlenv.importers.explain import explain_text

    text = (
        "Oct 04 13:19:39 llm forge[394]: NVIDIA GeForce RTX 5090 with CUDA capability sm_120 is "
        "not compatible with the current PyTorch installation.\n"
        "Oct 04 13:19:39 llm forge[394]: The current PyTorch install supports CUDA capabilities "
        "sm_50 sm_60 sm_70 sm_75 sm_80 sm_86 sm_90.\n"
    )
    report = explain_text(text, "t", probe=False).report
    assert [f.code for f in report.findings if f.severity == "error"] == ["DL301"]


def test_dl302_a_programs_own_capability_floor() -> None:
    """NervanaSystems/neon#80: "Device 0 does not have CUDA compute capability 5.0 or greater"
    on a Tesla K80 (3.7): the program's floor against the GPU's capability; a GPU at or above
    the floor gives nothing (the message then has another cause)."""

    def said(cc: str) -> Snapshot:
        err = ReportedError(
            signature="program-requires-min-capability",
            text="RuntimeError: Device 0 does not have CUDA compute capability 5.0 or greater",
            meaning="needs a newer GPU",
        )
        k80 = replace(gpu(), name="Tesla K80", compute_capability=cc)
        return replace(gpu_machine(), gpus=[k80], frameworks=[], reported_errors=[err])

    f = only(said("3.7"), "DL302")
    assert f.severity == "error" and "sm_37" in f.title
    assert fired(said("5.2"), "DL302") == []


def test_dl305_from_the_torch_cuda_arch_list_an_extension_was_built_with() -> None:
    """flashinfer-ai/flashinfer#1107: built from source with TORCH_CUDA_ARCH_LIST="7.5" on a
    V100 (sm_70): sm_75 code does not run on sm_70. A list that covers the GPU (directly, or by
    the PTX of an older architecture) says nothing against the extension."""
    from dlenv.importers.explain import explain_text

    def dl305(text: str) -> list[str]:
        report = explain_text(text, "t", probe=False).report
        return [f.message for f in report.findings if f.code == "DL305"]

    error = (
        "RuntimeError: SingleDecodeWithKVCache kernel launch failed, error: no kernel image is "
        "available for execution on the device\n"
    )
    [message] = dl305(error + 'export TORCH_CUDA_ARCH_LIST="7.5"\nGPU : Tesla V100-SXM2-32GB\n')
    assert "TORCH_CUDA_ARCH_LIST=7.5" in message and "sm_70" in message
    for covering in ("7.0;7.5", "6.0+PTX", "7.0 8.0"):
        assert (
            dl305(error + f'export TORCH_CUDA_ARCH_LIST="{covering}"\nGPU : Tesla V100-SXM2-32GB\n')
            == []
        ), covering


def test_dl302_a_gpu_older_than_every_cuda_build_of_the_stated_torch() -> None:
    """NVIDIA/TensorRT#3589's template: "**NVIDIA GPU**: GT 730" (Kepler, 3.5) and PyTorch
    1.12.1 with no CUDA tag: every CUDA build of 1.12 starts at sm_37."""

    def codes(text: str) -> list[tuple[str, str]]:
        found = explain_text(text, "paste.txt", probe=False).report.findings
        return [(f.code, f.severity) for f in found if f.code.startswith("DL3")]

    template = (
        "**NVIDIA GPU**: {gpu}\n"
        "**NVIDIA Driver Version**: 470.223.02\n"
        "**CUDA Version**: 11.3\n"
        "**PyTorch Version (if applicable)**: {torch}\n"
    )
    assert codes(template.format(gpu="GT 730", torch="1.12.1")) == [("DL302", "error")]
    # a GPU every build covers, and a CUDA-tagged torch (DL302's CUDA-major check decides)
    assert codes(template.format(gpu="GeForce GTX 1080", torch="1.12.1")) == []
    # the bold template fields are read as facts
    imported = explain_text(template.format(gpu="GT 730", torch="1.12.1"), "p.txt", probe=False)
    snap = imported.report.snapshot
    assert snap.driver.version == "470.223.02"
    assert [g.name for g in snap.gpus] == ["GT 730"]


def test_dl302_from_the_reporters_statement_checked_against_the_knowledge_base() -> None:
    """Anjok07/ultimatevocalremovergui#45 ("I have a Geforce GT 730 ... pyTorch does not
    support this version of CUDA") and NHoose/BA-Dev#18 ("Keine Unterstützung mehr für
    GTX780"): the statement alone is a hint; DL302 fires only when the knowledge base puts the
    named GPU below the oldest architecture of the newest release."""

    def codes(text: str) -> list[str]:
        found = explain_text(text, "paste.txt", probe=False).report.findings
        return [f.code for f in found if f.code.startswith("DL3")]

    title = "PyTorch on my GPU\n\n"
    assert codes(title + "Keine Unterstützung mehr für GTX780. pytorch from source?\n") == ["DL302"]
    assert codes(title + "I have a GeForce GT 730 but pytorch no longer supports my GPU\n") == [
        "DL302"
    ]
    assert codes(title + "I have a GeForce GT 730 but tensorflow不支持我的显卡\n") == ["DL302"]
    # a GPU current builds run: the statement is not taken
    assert codes(title + "I have an RTX 3090 but pytorch no longer supports my GPU\n") == []
    # a stated torch release that still runs the GPU: judged by that release, not the newest
    assert codes(title + "torch 1.12.1\nTesla K80\npytorch does not support my gpu\n") == []
    # an old GPU named without the statement: nothing said, nothing judged
    assert codes(title + "I have a GeForce GT 730 and training is slow\n") == []


def test_dl303_cuinit_diagnostics_with_a_visible_devices_index() -> None:
    # https://github.com/weizhepei/CasRel/issues/28: os.environ["CUDA_VISIBLE_DEVICES"] = "1" on
    # a one-GPU machine; TensorFlow's diagnostics after cuInit failed say the driver matches
    matched = (
        "I tensorflow/stream_executor/cuda/cuda_diagnostics.cc:176] kernel version seems to "
        "match DSO: 410.129.0\n"
    )
    hidden = 'os.environ["CUDA_VISIBLE_DEVICES"] = "1"\n' + matched
    f = only(_pasted(hidden), "DL303")
    assert f.severity == "warning"
    assert f.title == "CUDA_VISIBLE_DEVICES='1' hides every GPU"
    # the first GPU named: something else hid it
    assert fired(_pasted(hidden.replace('"1"', '"0"')), "DL303") == []


def test_dl302_a_gpu_older_than_the_pasted_arch_list() -> None:
    """johnolafenwa/DeepStack#129: a GeForce GT 710 (sm_35) under a torch whose warning lists
    sm_37 ... sm_75. Older than the list's lowest entry is "too old" (DL302), as PyTorch's own
    `_check_capability` splits it; a GPU newer than the list is DL301's."""

    def codes(name: str, sm: str) -> list[str]:
        text = (
            f"UserWarning: \n{name} with CUDA capability sm_{sm} is not compatible with the "
            "current PyTorch installation.\nThe current PyTorch install supports CUDA "
            "capabilities sm_37 sm_50 sm_60 sm_70 sm_75.\n"
        )
        found = explain_text(text, "paste.txt", probe=False).report.findings
        return sorted(f.code for f in found if f.severity in ("error", "warning"))

    assert codes("NVIDIA GeForce GT 710", "35") == ["DL302"]
    assert codes("NVIDIA GeForce RTX 3060", "86") == ["DL301"]


def test_dl302_no_kernel_image_on_a_gpu_older_than_current_builds() -> None:
    """gaudot/SlicerDentalSegmentator: "no kernel image is available" on a GT 730 (3.5) with no
    torch release stated: every CUDA build of the newest torch starts above it (a warning: an
    old release would have run it). A GPU current builds run is not judged here."""

    def codes(gpu: str) -> list[tuple[str, str]]:
        text = (
            "RuntimeError: CUDA error: no kernel image is available for execution on the device\n"
            f"My GPU is a {gpu}.\n"
        )
        found = explain_text(text, "paste.txt", probe=False).report.findings
        return [(f.code, f.severity) for f in found if f.code == "DL302"]

    assert codes("GeForce GT 730") == [("DL302", "warning")]
    assert codes("GeForce RTX 3090") == []


def test_dl303_no_device_while_the_framework_sees_the_gpu_by_hand() -> None:
    # manishsoni1908/Mobilenet-ssd-keras#10: the training script set CUDA_VISIBLE_DEVICES=1
    from tests.rules.snapshots import pasted_codes

    text = (
        "If I run python and import tensorflow, it sees my gpu fine. But when I run training "
        "with this code, it does not:\n"
        "2020-01-19 11:16:48.866550: E tensorflow/stream_executor/cuda/cuda_driver.cc:318] "
        "failed call to cuInit: CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected\n"
    )
    assert pasted_codes(text).get("DL303") == "warning"
    # the error alone: still probably the variable (read from context, a warning), the
    # maintainers' first answer when nothing else (a container, WSL, an update) is in the paste
    assert pasted_codes(text.split("\n", 1)[1]).get("DL303") == "warning"


def test_native_program_that_checks_cuda_itself() -> None:
    """dhernandez0/sgm#35, YoYo000/MVSNet#118: "Error: no kernel image is available for
    execution on the device 209" from a CMake-built CUDA program, no framework and no GPU in
    the paste: its own build lacks the GPU's architecture (a warning): DL301 for a native
    program, DL305 when the paste shows it run from Python (a project's compiled layer);
    torch's wording, a named GPU (the age rules judge it) or a framework in the paste say
    nothing of it."""
    said = "Error: no kernel image is available for execution on the device 209"
    bad = Snapshot(
        reported_errors=[
            ReportedError(signature=sig, text=said, meaning="no kernel image")
            for sig in ("no-kernel-image", "native-program-no-kernel-image")
        ]
    )
    f = only(bad, "DL301")
    assert f.severity == "warning" and f.subject == "extension"
    assert any("CMAKE_CUDA_ARCHITECTURES" in c for a in f.fixes for c in a.commands)
    assert fired(bad, "DL305") == []
    from_python = replace(bad, python=PythonFacts(run_line="python demo.py"))
    assert only(from_python, "DL305").severity == "warning"
    assert fired(from_python, "DL301") == []
    good = replace(bad, frameworks=[torch("2.1.0+cu121")])
    assert fired(good, "DL305") == []
    assert fired(replace(bad, gpus=[gpu(name="GeForce GT 730", cc="3.5")]), "DL301") == []
    assert pasted_codes(said + "\n") == {"DL301": "warning"}
    assert pasted_codes("$ python tools/run.py\n" + said + "\n") == {"DL305": "warning"}
    assert "DL305" not in pasted_codes(
        "RuntimeError: CUDA error: no kernel image is available for execution on the device\n"
    )


def test_native_warning_from_a_projects_own_cu_file_or_check_macro() -> None:
    """shouxieai/tensorRT_Pro#202 ("[yolo_decode.cu:122]:launch failed: no kernel image …"),
    CSAILVision/unifiedparsing#6 ("cudaCheckError() failed : no kernel image …"): the project's
    own CUDA code, so its own build lacks the GPU's architecture (a warning: DL301 with no
    Python in sight, DL305 from a Python traceback); a GPU the paste names (not an old one:
    DL302's) gives the -gencode to use; torch's own THC source is not a project's."""
    from tests.rules.snapshots import pasted_codes

    yolo = "[yolo_decode.cu:122]:launch failed: no kernel image is available for execution on the device\n"
    assert pasted_codes(yolo) == {"DL301": "warning"}
    check = "error: cudaCheckError() failed : no kernel image is available for execution on the device\n"
    assert pasted_codes(check) == {"DL301": "warning"}
    frame = '  File "tools/test_net.py", line 40, in <module>\n'
    assert pasted_codes(frame + check) == {"DL305": "warning"}
    said = "[kernel.cu:57] launch failed: no kernel image is available for execution on the device"
    bad = Snapshot(
        gpus=[gpu(name="NVIDIA GeForce RTX 3090", cc="8.6")],
        reported_errors=[
            ReportedError(signature=sig, text=said, meaning="no kernel image")
            for sig in ("no-kernel-image", "native-program-check-no-kernel")
        ],
    )
    f = only(bad, "DL301")
    assert f.severity == "warning"
    assert any("compute_86,code=sm_86" in c for a in f.fixes for c in a.commands)
    old = replace(bad, gpus=[gpu(name="GeForce GT 730", cc="3.5")])
    assert fired(old, "DL301") == [] and fired(old, "DL305") == []
    thc = (
        "THCudaCheck FAIL file=/pytorch/aten/src/THC/THCGeneral.cpp line=50 error=48 : no kernel "
        "image is available for execution on the device\n"
    )
    assert "DL305" not in pasted_codes(thc)


def test_native_check_named_symbol_not_found_at_a_header() -> None:
    """NVIDIA/stdexec#888: "CUDA error cudaErrorSymbolNotFound [/…/nvexec/stream/bulk.cuh:239]:
    named symbol not found" from a program's own check at its CUDA header, on a machine whose
    GPUs were not all in CMAKE_CUDA_ARCHITECTURES: the kernel has no code for this GPU, the
    program's build (DL301); from Python, an extension's (DL305)."""
    from tests.rules.snapshots import pasted_codes

    said = (
        "CUDA error cudaErrorSymbolNotFound [/home/u/stdexec/include/nvexec/stream/bulk.cuh:239]:"
        " named symbol not found\n"
    )
    assert pasted_codes(said) == {"DL301": "warning"}
    assert pasted_codes("$ python run.py\n" + said) == {"DL305": "warning"}


def test_native_check_beside_torchs_own_start_up_noise_is_an_extension() -> None:
    """ChrisAllenMing/GPA-detection#23: PyTorch 0.4's harmless "THCudaCheck FAIL …
    THCGeneral.cpp line=663 error=11 : invalid argument" before the project's own
    "cudaCheckError() failed : no kernel image": the check runs in a torch process, so the
    project's compiled extension lacks the architecture (DL305), not a native program's build."""
    from tests.rules.snapshots import pasted_codes

    check = "cudaCheckError() failed : no kernel image is available for execution on the device\n"
    noise = (
        "THCudaCheck FAIL file=/opt/conda/conda-bld/pytorch_1535491974311/work/aten/src/THC/"
        "THCGeneral.cpp line=663 error=11 : invalid argument\n"
    )
    assert pasted_codes(noise + check) == {"DL305": "warning"}
    assert pasted_codes(check) == {"DL301": "warning"}


def test_native_caffe_check_on_a_gpu_the_stated_cuda_still_builds_for() -> None:
    """Microsoft/caffe#57: Caffe's own CUDA_CHECK ("check failed;error==cudaSuccess(8 vs.0)
    invalid device function") on a Fermi GeForce 820M with CUDA 7.5, which still builds for
    sm_21 (the knowledge base's CUDA 7 row): Caffe's build left the GPU out (DL301). Without a
    stated CUDA that builds for it, a pre-Maxwell GPU is the age rules' to judge."""
    from tests.rules.snapshots import pasted_codes

    check = "im2col.cu 61 caffe check failed;error==cudaSuccess(8 vs.0) invalid device function\n"
    gpu_line = "My GPU is GEFORCE 820m,and installed CUDA7.5。\n"
    assert pasted_codes(check + gpu_line) == {"DL301": "warning"}
    assert "DL301" not in pasted_codes(check + "My GPU is GEFORCE 820m, with CUDA 9.0.\n")


def test_dl305_from_a_kernel_the_error_names_with_a_capital() -> None:
    """iPERDance/iPERCore#128: "Error in forward_face_index_map_1: no kernel image …" (a
    prebuilt neural-renderer extension) names the extension's kernel as "error in …" does."""
    codes = pasted_codes(
        "Error in forward_face_index_map_1: no kernel image is available for execution on the "
        "device\n"
    )
    assert codes.get("DL305") == "error"


def test_dl301_warning_from_a_stated_release_read_as_its_default_build() -> None:
    """xbpeng/MimicKit#6: "torch==1.9.1" from a requirements file, an RTX 4090 and "sm_89 not
    supported", with PyTorch's install matrix quoted (CUDA 10.2 / CUDA 11.3 / CPU Only): no OS,
    no variant, so the release's default build (cu102: up to sm_75) is the likeliest, and the
    quoted cpuonly line is one of the choices, not the install. Without the failure, nothing."""
    rtx4090 = gpu(name="NVIDIA GeForce RTX 4090", cc="8.9")
    said = ReportedError(
        signature="said-gpu-support-missing", text="not compatible with RTX4090", meaning="m"
    )
    release = replace(torch("1.9.1"), cuda_build=None)  # the version alone, as a paste states it
    bad = Snapshot(gpus=[rtx4090], frameworks=[release], reported_errors=[said])
    f = only(bad, "DL301")
    assert f.severity == "warning" and f.message.startswith("Probably: ")
    assert "cu102" in (f.evidence[0].note or "")
    assert fired(replace(bad, reported_errors=[]), "DL301") == []
    assert fired(replace(bad, frameworks=[replace(release, version="2.4.1")]), "DL301") == []
    matrix = (
        "torch 1.9.1 gives `sm_89 not supported` on my RTX 4090\n"
        "# CUDA 10.2\n"
        "conda install pytorch==1.9.1 torchvision==0.10.1 cudatoolkit=10.2 -c pytorch\n"
        "# CPU Only\n"
        "conda install pytorch==1.9.1 torchvision==0.10.1 cpuonly -c pytorch\n"
    )
    assert "DL401" not in pasted_codes(matrix)


def test_dl301_from_a_stated_cuda_older_than_the_gpu() -> None:
    """AlturosDestinations/Alturos.Yolo#162 (an RTX 3060 Ti, sm_86, with "Cuda10.2 and
    Cudn7.6.5": CUDA 10.2 builds up to sm_75): arithmetic on stated versions, a warning beside
    a failure or the reporter's words; nothing when the stated CUDA knows the GPU, or when no
    failure is reported."""
    from dlenv.snapshot.model import CudaFacts, CudaToolkit

    def machine(cuda: str, card: str, cc: str, said: str) -> Snapshot:
        s = Snapshot(
            origin="text",
            gpus=[gpu(name=card, cc=cc)],
            cuda=CudaFacts(toolkits=[CudaToolkit(path="(stated in prose)", version=cuda)]),
        )
        errors = [ReportedError(signature=said, text="it does not work", meaning="m")]
        return replace(s, reported_errors=errors)

    bad = machine("10.2", "GeForce RTX 3060 Ti", "8.6", "said-gpu-unusable")
    f = only(bad, "DL301")
    assert f.severity == "warning"
    assert "CUDA 11.1" in f.message and "sm_86" in f.message
    assert f.evidence[1].needed.startswith("sm_75 or older")
    assert "read from the paste" in (f.evidence[1].note or "")
    # a cuDNN failure with torch 0.4.1's CUDA 9.0 on a Turing card (sm_75 > sm_70)
    assert fired(machine("9.0", "GeForce RTX 2060", "7.5", "torch-cudnn-status-error"), "DL301")
    # good: the stated CUDA targets the GPU, or nothing failed
    assert fired(machine("11.8", "GeForce RTX 4090", "8.9", "said-gpu-unusable"), "DL301") == []
    assert fired(machine("10.2", "GeForce RTX 3060 Ti", "8.6", "unrelated-thing"), "DL301") == []


def test_dl305_from_a_prebuilt_extensions_own_arch_check() -> None:
    """open-mmlab/OpenPCDet#1354 and traveller59/spconv#724: spconv's "your gpu arch (8, 9)
    isn't compiled in prebuilt": a warning alone, an error with a failure after it."""
    warn = (
        "[WARNING]your gpu arch (8, 9) isn't compiled in prebuilt, may cause invalid device "
        "function. available: {(6, 1), (7, 0), (8, 0), (8, 6), (6, 0), (7, 5), (5, 2)}\n"
    )
    assert pasted_codes(warn) == {"DL305": "warning"}
    failed = warn + "RuntimeError: CUDA error: an illegal memory access was encountered\n"
    assert pasted_codes(failed).get("DL305") == "error"
    assert pasted_codes("your gpu arch is compiled in prebuilt\n").get("DL305") is None


def test_dl303_nvidia_visible_devices_void_in_a_container() -> None:
    """mmartial/ComfyUI-Nvidia-Docker#104: an init script sets NVIDIA_VISIBLE_DEVICES to void,
    and the container gets no GPU despite --gpus all (a warning; an error beside CUDA seeing no
    GPU); "all" hides nothing."""
    said = "The init script overwrites `NVIDIA_VISIBLE_DEVICES` to `void`.\n"
    assert pasted_codes(said).get("DL303") == "warning"
    seen = "ENV NVIDIA_VISIBLE_DEVICES=none\nRuntimeError: No CUDA GPUs are available\n"
    assert pasted_codes(seen).get("DL303") == "error"
    assert "DL303" not in pasted_codes("docker run -e NVIDIA_VISIBLE_DEVICES=all img nvidia-smi\n")


def test_native_program_build_flags_that_miss_the_gpu() -> None:
    """akrizhevsky/cuda-convnet2#15 (GENCODE_SM35 on a GTX 980, 5.2), mp3guy/ICPCUDA#17 (NVCC
    target flags sm_50/sm_52 on a GTX 765M, 3.0), laugh12321/TensorRT-YOLO#74
    (CMAKE_CUDA_ARCHITECTURES 89, the GPU unnamed): the program's own build flags quoted beside
    its "invalid device function" prove the GPU has no code (an error); with the GPU unknown, a
    warning; flags that cover the named GPU settle nothing, and a framework in the paste
    leaves the program's build out of it. Native programs: DL301; run from Python: DL305."""
    from tests.rules.snapshots import pasted_codes

    def dl305(text: str) -> list[tuple[str, str, str]]:
        found = explain_text(text, "t", probe=False).report.findings
        return [(f.code, f.severity, f.title) for f in found if f.code in ("DL301", "DL305")]

    flags = "-- CUDA NVCC target flags: -gencode;arch=compute_50,code=sm_50;-gencode;arch=compute_52,code=sm_52\n"
    failure = "./ICP ~/desk -v\nBest: 224 threads (3.4e+38ms)Error: invalid device function\n"
    bad = dl305("My devices:\nGeForce GTX 765M\nUbuntu 1404\n" + failure + flags)
    assert [(c, s) for c, s, _ in bad] == [("DL301", "error")]
    assert "sm_50, sm_52" in bad[0][2] and "sm_30" in bad[0][2]
    # the same flags on a GPU they cover: no verdict from the flags (the program's build in
    # general, a warning)
    assert [(c, s) for c, s, _ in dl305("GeForce GTX 970\n" + failure + flags)] == [
        ("DL301", "warning")
    ]
    cmake = (
        "    Error text: invalid device function\n"
        "The thing I changed in CMakeLists to make the code build\n"
        "set(CMAKE_CUDA_ARCHITECTURES 89)\n"
    )
    unknown = dl305(cmake)
    assert [(c, s) for c, s, _ in unknown] == [("DL301", "warning")]
    assert "sm_89" in unknown[0][2]
    gencode = (
        "src/nvmatrix.cu(394) : getLastCudaError() CUDA error : kSetupCurand: Kernel\n"
        "execution failed : (8) invalid device function .\n"
        "I have GTX 980 on my machine\n"
        "GENCODE_SM35    := -gencode arch=compute_35,code=sm_35\n"
    )
    assert [(c, s) for c, s, _ in dl305(gencode)] == [("DL301", "error")]
    # nvcc's -arch=sm_52 shorthand also embeds compute_52 PTX: it runs on a GTX 1080 (6.1)
    ptx = "cudaCheckError() failed : invalid device function\nGTX 1080\nnvcc x.cu -arch=sm_52\n"
    assert [(c, s) for c, s, _ in dl305(ptx)] == [("DL301", "warning")]
    # a framework in the paste: the program's own build is not what is weighed
    framework = explain_text(failure + flags + "torch 2.1.0+cu121\n", "t", probe=False)
    assert not any("program's own" in f.title for f in framework.report.findings)
    # the same failure from a Python project's compiled layer: DL305
    frame = 'File "lib/model/nms/nms_wrapper.py", line 20, in nms\n'
    assert [(c, s) for c, s, _ in dl305(frame + gencode)] == [("DL305", "error")]
    assert pasted_codes("set(CMAKE_CUDA_ARCHITECTURES 89)\n") == {}


def test_native_program_own_invalid_device_symbol_or_check_macro(no_priors: None) -> None:
    """RavenCommunity/kawpowminer#43 ("cudaMemcpyToSymbol(d_dag, …) failed with error invalid
    device symbol" on an RTX 3090), ethereum-mining/ethminer#422, CharlesShang/TFFRCNN#45
    ("cudaCheckError() failed : invalid device function"): a program's own CUDA code without
    the GPU's architecture, a warning (DL301; DL305 where the paste shows it run from Python, as
    TFFRCNN's demo.py); beside another error (an out-of-memory), nothing."""
    from tests.rules.snapshots import pasted_codes

    symbol = (
        "RTX 3090 not working\n#Unexpected error CUDA error in func set_constants at line 180 "
        "calling cudaMemcpyToSymbol(d_dag, &_dag, sizeof(hash64_t*)) failed with error invalid "
        "device symbol on CUDA device 02:00.0\n"
    )
    assert pasted_codes(symbol) == {"DL301": "warning"}
    check = "cudaCheckError() failed : invalid device function\n"
    assert pasted_codes(check) == {"DL301": "warning"}
    ran = "I run python faster_rcnn/demo.py --model model/VGGnet.ckpt, it is error.\n"
    assert pasted_codes(check + ran) == {"DL305": "warning"}
    assert not {"DL301", "DL305"} & set(
        pasted_codes(check + "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB\n")
    )
    assert not {"DL301", "DL305"} & set(pasted_codes("Error: identifier d_dag is undefined\n"))


def test_dl301_warning_for_a_build_older_than_ampere_when_the_gpu_is_unnamed() -> None:
    """zzhang1987/Factor-Graph-Neural-Network#4 ("very likely you are using cuda10 on ... RTX
    3090"), uci-cbcl/UFold#20 (torch 1.4 + CUDNN_STATUS_EXECUTION_FAILED): a torch build whose
    newest architecture predates Ampere beside a cuDNN execution failure, the GPU unnamed: a
    warning with the check; a build with sm_80+ (torch 1.7 and CUDA 11.0 stated), a named GPU
    the build covers, another cuDNN status, or another code said to work: nothing."""

    def dl301(text: str) -> list[tuple[str, str]]:
        """DL301 as the rule finds it (DL901's fallbacks, the learned reading of the paste or
        a message's prior from the corpus, may still name it as a "probably" where the rule
        stays silent)."""
        found = explain_text(text, "t", probe=False).report.findings
        return [
            (f.code, f.severity)
            for f in found
            if f.code == "DL301" and not any(e.fact.startswith("kb.cause_") for e in f.evidence)
        ]

    failed = "RuntimeError: cuDNN error: CUDNN_STATUS_EXECUTION_FAILED\n"
    assert dl301(failed + "my environment: pytorch: 1.5.1+cu101\n") == [("DL301", "warning")]
    assert dl301(failed + "cuda：11.7\npytorch=1.4.0\n") == [("DL301", "warning")]
    found = explain_text(failed + "pytorch=1.4.0\n", "t", probe=False).report.findings
    f = next(f for f in found if f.code == "DL301")
    assert "sm_75" in f.title and "get_arch_list" in (f.hint or "")
    assert dl301(failed + "CUDA 11.0, Torch 1.7.1\n") == []
    assert dl301(failed + "pytorch: 1.5.1+cu101\nGPU: GeForce GTX 1080 Ti\n") == []
    assert dl301(failed) == []
    not_supported = "RuntimeError: cuDNN error: CUDNN_STATUS_NOT_SUPPORTED\n"
    assert dl301(not_supported + "pytorch: 1.5.1+cu101\n") == []


def test_dl301_from_cudnns_lost_status_on_a_named_newer_gpu() -> None:
    """RowitZou/LGN#6: "RuntimeError: cuDNN error: CUDNN_STATUS_SUCCESS" on an RTX 2060 Super
    (the CUDA 9.0 build of torch 0.4.1): the lost status is the known sign of a cuDNN/CUDA build
    older than the GPU, a warning; on a GPU every build covers (a GTX 1080), nothing."""

    def dl301(text: str) -> list[tuple[str, str]]:
        found = explain_text(text, "t", probe=False).report.findings
        return [(f.code, f.severity) for f in found if f.code == "DL301"]

    lost = "RuntimeError: cuDNN error: CUDNN_STATUS_SUCCESS\n"
    assert dl301(lost + "GPU是NVIDIA GeForce RTX 2060 super\n") == [("DL301", "warning")]
    assert dl301(lost + "GPU: GeForce GTX 1060\n") == []


def test_dl301_when_the_program_ran_on_the_previous_gpu_and_the_new_one_is_blackwell() -> None:
    """TNTwise/REAL-Video-Enhancer#88 ("Error on Upscaling ... The program worked flawlessly
    when I had an RTX 40 series GPU", GPU: RTX 5090), SUC-DriverOld/MSST-WebUI#91
    ("之前用4070的时候能正常跑，换成5090就不行了" beside "no kernel image"): a card most torch
    builds predate, after a card that worked, a warning; a new card every recent build covers
    (an RTX 4090 after a 3090), or a stated torch build, says nothing of the kind."""

    def dl301(text: str) -> list[tuple[str, str]]:
        found = explain_text(text, "t", probe=False).report.findings
        return [(f.code, f.severity) for f in found if f.code == "DL301"]

    worked = (
        "Error on Upscaling.\n\nThe program worked flawlessly when I had an RTX 40 series GPU.\n"
    )
    assert dl301(worked + "GPU: RTX 5090\n") == [("DL301", "warning")]
    found = explain_text(worked + "GPU: RTX 5090\n", "t", probe=False).report.findings
    f = next(f for f in found if f.code == "DL301")
    assert f.evidence[0].fact == "reported_errors.said-worked-on-previous-gpu"
    assert dl301("It worked fine on my old RTX 3090.\nGPU: RTX 4090\n") == []
    assert dl301(worked + "GPU: RTX 5090\ntorch 2.8.0+cu128\n") == []
    zh = (
        "CUDA error: no kernel image is available for execution on the device\n"
        "相同的电脑之前用4070的时候能正常跑，换成5090就不行了\n"
    )
    assert dl301(zh) == [("DL301", "warning")]


def test_prose_reads_a_gpu_name_glued_to_cjk_text() -> None:
    """mit-han-lab/llm-awq#298: "在RTX5090上的torch 和 torchvision和CUDA的兼容问题": the name
    between two ideographs is still the card."""
    report = explain_text("在RTX5090上的torch 和 torchvision和CUDA的兼容问题\n", "t", probe=False)
    assert [g.name for g in report.imported.snapshot.gpus] == ["GeForce RTX 5090"]


def test_dl305_from_tiny_cuda_nns_module_per_compute_capability() -> None:
    """tiny-cuda-nn's bindings import `tinycudann_bindings._{cc}_C` (bindings/torch/tinycudann/
    modules.py): none for the GPU is an error naming TCNN_CUDA_ARCHITECTURES; the GPU's module
    failing to load on Windows (NVlabs/tiny-cuda-nn#314, fixed with TCNN_CUDA_ARCHITECTURES=86,89)
    a warning; torch's own _C failing to load is not tiny-cuda-nn's."""

    def dl305(text: str) -> list[tuple[str, str]]:
        found = explain_text(text, "t", probe=False).report.findings
        return [(f.code, f.severity) for f in found if f.code == "DL305"]

    none = "EnvironmentError: Could not find compatible tinycudann extension for compute capability 86.\n"
    assert dl305(none) == [("DL305", "error")]
    found = explain_text(none, "t", probe=False).report.findings
    f = next(f for f in found if f.code == "DL305")
    assert any("TCNN_CUDA_ARCHITECTURES=86" in c for a in f.fixes for c in a.commands)
    missing = "ModuleNotFoundError: No module named 'tinycudann_bindings._89_C'\n"
    assert dl305(missing) == [("DL305", "error")]
    dll = "ImportError: DLL load failed while importing _89_C: The specified procedure could not be found.\n"
    assert dl305(dll) == [("DL305", "warning")]
    torch_c = "ImportError: DLL load failed while importing _C: The specified module could not be found.\n"
    assert dl305(torch_c) == []


def test_dl305_warning_for_a_pyg_extension_compiled_by_a_plain_pip_install() -> None:
    """rusty1s/pytorch_scatter#274: torch 1.10.0+cu113 (every GPU from Maxwell to Ada), "no
    kernel image" in scatter_max, torch-scatter from a plain `pip3 install torch-scatter` in a
    docker build: the extension compiled from source is the likeliest build without the GPU (a
    warning, the fix PyG's wheel index for that torch); installed from the index, or a torch
    build that itself misses GPUs, nothing of the kind."""

    def dl305(text: str) -> list[tuple[str, str]]:
        found = explain_text(text, "t", probe=False).report.findings
        return [(f.code, f.severity) for f in found if f.code == "DL305"]

    error = "RuntimeError: CUDA error: no kernel image is available for execution on the device\n"
    torch_line = "- pytorch verson: 1.10.0 + cuda113\n- torch 1.10.0+cu113\n"
    plain = "- inside a docker container: `pip3 install torch-scatter`\n"
    assert dl305(error + torch_line + plain) == [("DL305", "warning")]
    found = explain_text(error + torch_line + plain, "t", probe=False).report.findings
    f = next(f for f in found if f.code == "DL305")
    assert any("data.pyg.org/whl/torch-1.10.0+cu113.html" in c for a in f.fixes for c in a.commands)
    wheel = "- `pip3 install torch-scatter -f https://data.pyg.org/whl/torch-1.10.0+cu113.html`\n"
    assert dl305(error + torch_line + wheel) == []
    old_torch = "- torch 1.5.1+cu101\n"
    assert dl305(error + old_torch + plain) == []


def test_torch_not_compatible_without_its_arch_list_is_settled_by_the_gpus_age(
    no_priors: None,
) -> None:
    """google-research/3d-moments#5: torch's "NVIDIA GeForce RTX 3090 with CUDA capability
    sm_86 is not compatible with the current PyTorch installation." quoted without the arch
    list after it. No torch build has dropped sm_86, so the installed one is older than the GPU
    (DL301, with a build that has it); a GTX 680 or a K80 that the newest builds no longer run
    is older than the build (DL302); a Turing card that every release runs settles nothing
    (DL901 keeps the candidates); and with the arch list quoted the existing arithmetic decides."""

    def codes(gpu: str, tail: str = "") -> list[tuple[str, str]]:
        text = f"{gpu} is not compatible with the current PyTorch installation.\n{tail}"
        found = explain_text(text, "t", probe=False).report.findings
        return [(f.code, f.severity) for f in found]

    new = "NVIDIA GeForce RTX 3090 with CUDA capability sm_86"
    assert codes(new) == [("DL301", "error")]
    found = explain_text(
        f"{new} is not compatible with the current PyTorch installation.\n", "t", probe=False
    ).report.findings
    assert "torch 1." in found[0].evidence[1].needed or "torch 2." in found[0].evidence[1].needed
    assert found[0].fixes, "a torch build with sm_86 is named"
    assert codes("NVIDIA GeForce RTX 5090 with CUDA capability sm_120") == [("DL301", "error")]
    assert codes("Tesla K80 with CUDA capability sm_37") == [("DL302", "error")]
    assert codes("GeForce GTX 680 with CUDA capability sm_30") == [("DL302", "error")]
    assert [c for c, _ in codes("Quadro RTX 4000 with CUDA capability sm_75")] == ["DL901"]
    listed = "The current PyTorch install supports CUDA capabilities sm_37 sm_50 sm_60 sm_70.\n"
    assert [c for c, _ in codes(new, listed)] == ["DL301"]


def test_dl302_a_packages_own_capability_floor_is_the_verdict() -> None:
    """flash-attn's "only supports Ampere GPUs or newer" (InternRobotics/PointLLM#47), torch.compile's
    "too old to be supported by the triton GPU compiler" and vLLM's bfloat16 check name a GPU
    below the package's floor: DL302 as an error, the GPU named or not, with what runs on an
    older GPU instead; the same words without the refusal say nothing."""
    from dlenv.importers.explain import explain_text

    def dl302(text: str) -> list:  # type: ignore[type-arg]
        found = explain_text(text + "\n", "t", probe=False).report.findings
        return [f for f in found if f.code == "DL302"]

    [flash] = dl302("RuntimeError: FlashAttention only supports Ampere GPUs or newer.")
    assert flash.severity == "error" and "flash-attn" in flash.title and "8.0" in flash.message
    assert any("sdpa" in getattr(a, "text", "") for a in flash.fixes)
    [triton] = dl302(
        "RuntimeError: Found Tesla P100-PCIE-16GB which is too old to be supported by the triton "
        "GPU compiler, which is used as the backend. Triton only supports devices of CUDA "
        "Capability >= 7.0, but your device is of CUDA capability 6.0"
    )
    assert triton.title.startswith("Tesla P100") and "7.0" in triton.message
    assert any(e.needed == ">=7.0" for e in triton.evidence)
    [bf16] = dl302(
        "ValueError: Bfloat16 is only supported on GPUs with compute capability of at least 8.0. "
        "Your Tesla T4 GPU has compute capability 7.5."
    )
    assert "Tesla T4 (sm_75)" in bf16.title and "8.0" in bf16.message
    from tests.rules.snapshots import pasted_codes

    assert "DL302" not in pasted_codes(
        "RuntimeError: FlashAttention only supports fp16 and bf16 data type\n"
    )


def test_dl302_an_old_gpu_named_in_prose_beside_a_torch_release_of_no_stated_build() -> None:
    """ "I have a GTX 770 and installed torch 2.3.1 … no kernel image": every CUDA build of torch
    2.3 starts at sm_37 (cu118) or sm_50 (cu121), so the Kepler card (3.0) has no kernel in any;
    a Tesla K40c (the board's variant letter) likewise. A GTX 1050 (6.1) has kernels in both:
    not too old."""
    from dlenv.importers.explain import explain_text

    def codes(gpu: str) -> set[str]:
        text = (
            f"I have a {gpu} and installed torch 2.3.1. RuntimeError: CUDA error: no kernel "
            "image is available for execution on the device\n"
        )
        return {f.code for f in explain_text(text, "t", probe=False).report.findings}

    assert "DL302" in codes("GTX 770")
    assert "DL302" in codes("Tesla K40c")
    assert "DL302" not in codes("GTX 1050")


def test_dl301_tensorflows_own_verdict_that_it_jit_compiles_from_ptx() -> None:
    """TensorFlow's "not built with CUDA kernel binaries compatible with compute capability 8.0.
    CUDA kernels will be jit-compiled from PTX": its build has no code for the GPU (a warning:
    it runs after compiling). A TensorFlow log without that line says nothing of the kind."""
    from dlenv.importers.explain import explain_text

    line = (
        "W tensorflow/core/common_runtime/gpu/gpu_device.cc:1852] TensorFlow was not built "
        "with CUDA kernel binaries compatible with compute capability 8.0. CUDA kernels will be "
        "jit-compiled from PTX, which could take 30 minutes or longer.\n"
    )
    [f] = [f for f in explain_text(line, "t", probe=False).report.findings if f.code == "DL301"]
    assert f.severity == "warning" and "sm_80" in f.title and f.subject == "tensorflow"


def test_dl305_an_extension_kernel_whose_symbol_is_not_found_for_the_device() -> None:
    """RosettaCommons/foundry: cuequivariance's 'CUDA error: "named symbol not found" at
    run_fmha.cu:160' on a TITAN RTX (its fused kernels carry no code for sm_75): the
    extension's kernel, named by its .cu file (DL305). The words without a source file say
    nothing of whose kernel it was."""
    from dlenv.importers.explain import explain_text

    line = '[rank0]: RuntimeError: CUDA error: "named symbol not found" at run_fmha.cu:160\n'
    report = explain_text(line + "It runs on TITAN RTX.\n", "t", probe=False).report
    [f] = [f for f in report.findings if f.code == "DL305"]
    assert "run_fmha.cu" in f.message and f.severity == "error"


def test_dl301_a_program_built_for_another_compute_capability() -> None:
    """huggingface/text-embeddings-inference#34: "Runtime compute cap 75 is not compatible with
    compile time compute cap 80": the image was compiled for Ampere and the GPU is a Turing
    RTX 2080 (DL301, an error, with the per-architecture build). The same numbers equal are no
    failure."""
    report = explain_text(
        "Error: Could not create backend\n\nCaused by:\n    Could not start backend: Runtime "
        "compute cap 75 is not compatible with compile time compute cap 80\n",
        "p",
        probe=False,
    ).report
    [f] = [f for f in report.findings if f.code == "DL301"]
    assert f.severity == "error" and "8.0" in f.title and "7.5" in f.title
    assert "CUDA_COMPUTE_CAP=75" in " ".join(c for a in f.fixes for c in getattr(a, "commands", []))
    fine = explain_text(
        "Runtime compute cap 80 is compatible with compile time compute cap 80\n"
        "Error: model not found\n",
        "p",
        probe=False,
    ).report
    assert "DL301" not in [f.code for f in fine.findings]


def test_dl301_a_tensorflow_release_whose_cuda_predates_the_gpu() -> None:
    """bojone/bert4keras#301's family: an RTX 3090 (sm_86) under TensorFlow 2.3, built with CUDA
    10.1 (newest architecture sm_75): "failed to run cuBLAS routine: CUBLAS_STATUS_NOT_SUPPORTED"
    is its cuBLAS having no code for the GPU (DL301, a warning: TensorFlow 2.4 is the first
    for Ampere). TensorFlow 2.5 (CUDA 11.2) on the same GPU, or no failure, is no finding."""
    text = (
        "GPU: RTX 3090\ntensorflow-gpu 2.3.0\n"
        "E tensorflow/stream_executor/cuda/cuda_blas.cc:428] failed to run cuBLAS routine: "
        "CUBLAS_STATUS_NOT_SUPPORTED\n"
    )

    def dl301(t: str) -> list[str]:
        report = explain_text(t, "p", probe=False).report
        return [f.title for f in report.findings if f.code == "DL301"]

    [title] = dl301(text)
    assert "TensorFlow 2.3" in title and "sm_86" in title
    assert dl301(text.replace("2.3.0", "2.5.0")) == []
    assert dl301("GPU: RTX 3090\ntensorflow-gpu 2.3.0\nError: model file not found\n") == []


def test_dl301_opencv_built_for_other_architectures() -> None:
    """opencv/opencv#20706, roflcoopter/viseron#360: OpenCV's DNN CUDA backend refuses the GPU
    ("OpenCV was not built to work with the selected device"): its CUDA_ARCH_BIN lacks the GPU
    (DL301, an error, with the rebuild for the GPU's capability). A Kepler GPU below every
    architecture the newest CUDA targets needs an older CUDA to be built for at all."""
    line = (
        "cv2.error: OpenCV(4.5.3) dnn.cpp:2385: error: (-216:No CUDA support) OpenCV was not "
        "built to work with the selected device. Please check CUDA_ARCH_PTX or CUDA_ARCH_BIN in "
        "your build configuration. in function 'initCUDABackend'\n"
    )
    report = explain_text("GPU: GeForce RTX 2060\n" + line, "p", probe=False).report
    [f] = [f for f in report.findings if f.code == "DL301"]
    assert f.severity == "error" and "sm_75" in f.title
    assert "CUDA_ARCH_BIN=7.5" in " ".join(c for a in f.fixes for c in getattr(a, "commands", []))
    old = explain_text("GPU: GeForce GTX 680\n" + line, "p", probe=False).report
    [g] = [f for f in old.findings if f.code == "DL301"]
    assert "older CUDA" in g.message or "or older" in g.message


def test_dl301_cufft_internal_error_on_an_ada_gpu() -> None:
    """domesticatedviking/TextyMcSpeechy#24 (rhasspy/piper#295): "cuFFT error:
    CUFFT_INTERNAL_ERROR" on an RTX 4080: the image's torch was built with a CUDA older than
    11.8, whose cuFFT has no code for Ada (DL301, a warning, with a cu118 torch as the fix).
    The same error on an Ampere GPU, or with torch's CUDA 11.8 stated, is not this."""

    def dl301(t: str) -> list[str]:
        report = explain_text(t, "p", probe=False).report
        return [f.severity for f in report.findings if f.code == "DL301"]

    said = "RuntimeError: cuFFT error: CUFFT_INTERNAL_ERROR\nGPU: NVIDIA GeForce RTX 4080\n"
    assert dl301(said) == ["warning"]
    assert dl301(said.replace("RTX 4080", "RTX 3080")) == []
    assert dl301(said + "torch 2.0.1+cu118\n") == []


def test_dl302_tensorflow_ignores_the_gpu_in_either_wording() -> None:
    """TensorFlow's "Ignoring visible gpu device (… compute capability: 3.7) with Cuda compute
    capability 3.7. The minimum required Cuda capability is 5.0." (also written "Cuda compute
    capability is 5.0"): the GPU is below the build's minimum (DL302, an error)."""
    line = (
        "I tensorflow/core/common_runtime/gpu/gpu_device.cc:1722] Ignoring visible gpu device "
        "(device: 0, name: Tesla K80, pci bus id: 0000:00:04.0, compute capability: 3.7) with "
        "Cuda compute capability 3.7. The minimum required Cuda capability is 5.0.\n"
    )
    for text in (line, line.replace("Cuda capability is", "Cuda compute capability is")):
        report = explain_text(text, "p", probe=False).report
        assert next((f.code, f.severity) for f in report.findings) == ("DL302", "error")


def test_dl302_transformers_refuses_bf16_below_ampere() -> None:
    """databrickslabs/dolly#85: transformers' "Your setup doesn't support bf16/gpu. You need
    torch>=1.10, using Ampere GPU with cuda>=11.0" on 8 V100s; the maintainers' answer is fp16
    (a V100 has no bfloat16). On an A100 the same message is the torch build's, not the GPU's."""
    from tests.rules.snapshots import pasted_codes

    err = (
        "ValueError: Your setup doesn't support bf16/gpu. You need torch>=1.10, using Ampere GPU "
        "with cuda>=11.0\n"
    )
    assert pasted_codes("I run the notebook on 8 V100 GPUs, but an error occured:\n" + err).get(
        "DL302"
    ) == "error"
    assert "DL302" not in pasted_codes("Training on one NVIDIA A100 GPU:\n" + err)


def test_a_jupyter_notebook_is_not_a_laptop() -> None:
    """"I run the notebook on 8 V100 GPUs" names Tesla V100s (no data-centre GPU comes in a
    laptop); "my notebook's RTX 3060" is the laptop card."""
    from dlenv.importers.explain import explain_text

    def gpus(text: str) -> list[str | None]:
        snap = explain_text(text, "p", probe=False).imported.snapshot
        return [g.name for g in snap.gpus]

    err = "RuntimeError: CUDA error: no kernel image is available for execution on the device\n"
    assert gpus("I run the notebook on 8 V100 GPUs\n" + err) == ["Tesla V100"]
    assert gpus("On my notebook with an RTX 3060 GPU\n" + err) == ["GeForce RTX 3060 Laptop GPU"]

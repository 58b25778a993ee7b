"""GPU memory in the reporter's own words (catalog/prose-memory.toml) and how rules/memory.py
weighs it: a symptom beside a context gives a warning that says "probably"; a symptom alone gives
nothing; a program's own numbers outrank the words. Snapshots as data: the statements a paste
would have produced, each with the wording of the public report it imitates."""

from __future__ import annotations

from dataclasses import replace

from dlenv.errors import DlenvError
from dlenv.fix.actions import SetEnv
from dlenv.importers.explain import explain_text
from dlenv.snapshot.model import GpuFacts, LiveProbe, ReportedError, Snapshot
from tests.rules.snapshots import fired, only


def _said(*items: tuple[str, str], framework: str | None = None, **torch: str) -> Snapshot:
    """A paste whose scan found these (signature id, matched text); `torch` adds PyTorch's
    out-of-memory numbers as the live facts its message states."""
    errors = [
        ReportedError(signature=sig, text=text, meaning="", harmless=sig.startswith("said-"))
        for sig, text in items
    ]
    if framework is not None:
        errors = [
            ReportedError(signature=e.signature, text=e.text, meaning="", framework=framework)
            if not e.harmless
            else e
            for e in errors
        ]
    live = [LiveProbe(framework="torch", status="ok", details=torch)] if torch else []
    return Snapshot(reported_errors=errors, live=live)


def _codes(text: str) -> dict[str, str]:
    """The findings `dlenv explain` gives; {} when it recognises nothing in the text."""
    try:
        findings = explain_text(text, "paste.txt", probe=False).report.findings
    except DlenvError:
        return {}
    return {f.code: f.severity for f in findings}


OOM_SAID = ("said-gpu-out-of-memory", "在服务器上训练，GPU不足报错。")
OTHER_NOTEBOOK = ("said-other-notebook-open", "I had Jupyter opened in another tab")
SHARED = ("said-frameworks-share-the-gpu", "TensorFlow paired with PyTorch causes CUDA OOM")
BATCH = ("said-batch-size", "--batch_size 32")
TORCH_OOM = ("cuda-out-of-memory", "RuntimeError: CUDA out of memory.")


# -- DL701 ------------------------------------------------------------------------------------


def test_dl701_when_the_report_says_tensorflow_takes_the_memory() -> None:
    # github.com/ClementPinard/SfmLearner-Pytorch/issues/135
    s = _said(
        (
            "said-tensorflow-takes-gpu-memory",
            "why the gpu memory cost of tensorflow version is larger than pytorch version",
        )
    )
    f = only(s, "DL701")
    assert f.severity == "warning" and f.subject == "tensorflow"
    assert "probably" in f.title
    assert [a.name for a in f.fixes] == ["TF_FORCE_GPU_ALLOW_GROWTH"]
    # the same words about PyTorch state nothing TensorFlow does
    assert fired(_said(("said-batch-size", "batch_size=8")), "DL701") == []


def test_dl701_for_jax_turns_preallocation_off() -> None:
    # github.com/jax-ml/jax/issues/19267
    s = _said(("said-jax-takes-gpu-memory", "Jax still allocates ~90% of memory"))
    f = only(s, "DL701")
    assert f.subject == "jax" and f.severity == "warning"
    assert isinstance(f.fixes[0], SetEnv)
    assert (f.fixes[0].name, f.fixes[0].value) == ("XLA_PYTHON_CLIENT_PREALLOCATE", "false")


def test_dl701_a_memory_setting_that_had_no_effect_came_too_late() -> None:
    # github.com/keras-team/keras/issues/11584; github.com/jax-ml/jax/issues/19213
    tf = only(
        _said(("said-memory-growth-setting-ignored", "Allowing GPU memory growth does not work")),
        "DL701",
    )
    assert tf.severity == "warning" and "never took effect" in tf.title
    assert tf.subject == "tensorflow"
    jax = only(
        _said(
            (
                "said-memory-growth-setting-ignored",
                "XLA_PYTHON_CLIENT_PREALLOCATE=false is not honored anymore",
            )
        ),
        "DL701",
    )
    assert jax.subject == "jax" and "import jax" in jax.message


def test_dl701_wish_to_limit_memory_beside_a_setting_in_the_code() -> None:
    # github.com/harvitronix/five-video-classification-methods/issues/38
    wants = ("said-wants-to-limit-gpu-memory", "I'd like to limit the memory of each GPU.")
    code = ("said-memory-setting-code", "config.gpu_options.per_process_gpu_memory_fraction = 0.5")
    assert only(_said(wants, code), "DL701").severity == "warning"
    # the wish alone, naming no TensorFlow and showing no setting, is not TensorFlow's grab
    assert fired(_said(wants), "DL701") == []
    # a setting in the code alone states nothing wrong
    assert fired(_said(code), "DL701") == []


def test_dl701_two_frameworks_in_one_process_and_an_out_of_memory_error() -> None:
    # github.com/jina-ai/finetuner/issues/328: the message is PyTorch's, the cause TensorFlow's
    f = only(_said(TORCH_OOM, SHARED, framework="torch"), "DL701")
    assert f.severity == "warning" and f.subject == "tensorflow"
    assert fired(_said(TORCH_OOM, SHARED, framework="torch"), "DL703") == []
    # the context without any out-of-memory symptom is no cause
    assert fired(_said(SHARED), "DL701") == []


def test_dl701_prose_never_outranks_numbers_that_blame_the_program() -> None:
    # PyTorch's numbers: the program itself holds 7.5 of 8 GiB; "TF in the same process" does not
    # move the blame (DL703 stays, an error)
    numbers = {
        "oom_total_mib": "8192",
        "oom_free_mib": "20",
        "oom_requested_mib": "512",
        "oom_this_process_mib": "7700",
    }
    s = _said(TORCH_OOM, SHARED, framework="torch", **numbers)
    assert fired(s, "DL701") == []
    assert only(s, "DL703").severity == "error"


# -- DL702 ------------------------------------------------------------------------------------


def test_dl702_another_notebook_beside_an_out_of_memory_error() -> None:
    # github.com/endernewton/tf-faster-rcnn/issues/7: TensorFlow's allocator message, and the
    # reporter's "Jupyter opened in another tab"
    bfc = ("tf-bfc-out-of-memory", "Ran out of memory trying to allocate 392.00MiB.")
    f = only(_said(bfc, OTHER_NOTEBOOK, framework="tensorflow"), "DL702")
    assert f.severity == "warning" and "probably" in f.title
    assert fired(_said(bfc, OTHER_NOTEBOOK, framework="tensorflow"), "DL703") == []
    # without the context the same message is probably the job's size
    assert only(_said(bfc, framework="tensorflow"), "DL703").severity == "warning"


def test_dl702_from_the_reporters_words_alone() -> None:
    # github.com/megvii-research/tf-tutorials/issues/69 (the maintainer's words as a reporter's)
    other = ("said-other-program-on-gpu", "这个GPU好像有其他任务占用了内存吧")
    assert only(_said(OOM_SAID, other), "DL702").severity == "warning"
    # a context with no symptom names nothing
    assert fired(_said(other), "DL702") == []


def test_dl702_prose_never_outranks_numbers_that_blame_the_program() -> None:
    numbers = {
        "oom_total_mib": "8192",
        "oom_free_mib": "20",
        "oom_requested_mib": "512",
        "oom_this_process_mib": "7700",
    }
    assert fired(_said(TORCH_OOM, OTHER_NOTEBOOK, framework="torch", **numbers), "DL702") == []


# -- DL703 ------------------------------------------------------------------------------------


def test_dl703_a_stated_out_of_memory_beside_the_batch_or_a_small_gpu() -> None:
    # github.com/Linear95/bert-intent-slot-detector/issues/16; github.com/zeakey/hed/issues/15
    f = only(_said(OOM_SAID, BATCH), "DL703")
    assert f.severity == "warning" and "probably" in f.title
    small = ("said-small-gpu-memory", "My GT1030 has 2GB memory")
    assert only(_said(OOM_SAID, small), "DL703").severity == "warning"
    # the symptom alone is no cause
    assert fired(_said(OOM_SAID), "DL703") == []
    # the size words alone (no symptom) neither
    assert fired(_said(BATCH, small), "DL703") == []


def test_dl703_the_vram_said_too_small_to_run_the_job_beside_its_size() -> None:
    # github.com/NVIDIA/pix2pixHD/issues/195: "4G显存 ... batchsize1都还是跑不了"
    cannot = ("said-vram-cannot-run", "为什么我4G显存，cropsize32，batchsize1都还是跑不了")
    small = ("said-small-gpu-memory", "4G显存")
    f = only(_said(cannot, small), "DL703")
    assert f.severity == "warning" and "probably" in f.title
    # the words alone, with no size and no other context: nothing
    assert fired(_said(("said-vram-cannot-run", "显存跑不动这个模型")), "DL703") == []


def test_dl703_the_gpu_size_in_mb_as_dxdiag_writes_it() -> None:
    # github.com/bycloudai/instant-ngp-Windows/issues/9
    size = (
        "said-gpu-memory-size",
        "I am running a Geforce GTX 960 with 2048 MB Dedicated Video Memory.",
    )
    oom = ("said-gpu-out-of-memory", "I get the dreaded out of memory error for cuda.")
    f = only(_said(oom, size), "DL703")
    assert f.severity == "warning" and "2.00 GiB" in f.message
    # TensorFlow's device size is what was free, not the card: no size, no finding
    free = ("said-gpu-memory-size", "Created TensorFlow device (GPU:0 with 2769 MB memory)")
    assert fired(_said(oom, free), "DL703") == []


def test_end_to_end_mb_size_batch_short_forms_and_cannot_run() -> None:
    assert _codes(
        "I get the dreaded out of memory error for cuda.\n"
        "I am running a Geforce GTX 960 with 2048 MB Dedicated Video Memory.\n"
    ) == {"DL703": "warning"}
    assert (
        _codes(
            "只用了一个gpu, bs==2来训练，第二个周期报错: cuda runtime error(2): out of memory。\n"
        ).get("DL703")
        == "warning"
    )
    assert _codes("为什么我4G显存，cropsize32，batchsize1都还是跑不了\n") == {"DL703": "warning"}
    # a card that does not run for another reason: nothing about memory
    assert "DL703" not in _codes("显卡驱动装好了，但是程序跑不了\n")


def test_dl703_a_program_message_gains_the_stated_gpu_size() -> None:
    small = ("said-small-gpu-memory", "a GTX 750 Ti with 2 GB of VRAM")
    f = only(_said(TORCH_OOM, small, framework="torch"), "DL703")
    assert f.severity == "warning"  # no numbers: whose memory it was is not shown
    assert any(e.fact == "reported_errors.said-small-gpu-memory" for e in f.evidence)


# -- end to end: the words as a reporter writes them ------------------------------------------


def test_prose_reports_end_to_end() -> None:
    assert _codes(
        "why the gpu memory cost of tensorflow version is larger than pytorch version\n"
    ) == {"DL701": "warning"}
    assert _codes(
        "How to allowing GPU memory growth\nI'd like to limit the memory of each GPU.\n"
        "I paste it in train.py, but it doesn't work.\n"
        "    config = tf.ConfigProto()\n"
        "    config.gpu_options.per_process_gpu_memory_fraction = 0.5\n"
    ) == {"DL701": "warning"}
    assert _codes("我4G显存，跑训练的时候显存不足，batch_size已经是1了\n") == {"DL703": "warning"}
    assert (
        _codes(
            "W tensorflow/core/common_runtime/bfc_allocator.cc:275] Ran out of memory trying to "
            "allocate 392.00MiB. See logs for memory state.\n"
            "I had Jupyter opened in another tab, with a second notebook running.\n"
        ).get("DL702")
        == "warning"
    )
    # negations and other causes give nothing
    assert _codes("No other notebook is open and the GPU ran out of memory.\n") == {}
    assert _codes("tensorflow uses only 2 GB of the GPU memory, which is fine.\n") == {}


# -- round 10: the allocator's grab read from what happened to the memory ----------------------


def test_dl701_the_memory_taken_at_an_import() -> None:
    # github.com/PythonOT/POT/issues/516; github.com/atong01/conditional-flow-matching/issues/57
    at_import = (
        "said-memory-taken-at-import",
        "When I try to import POT, the memory occupation gets 23172MiB / 24220MiB for GPU:0",
    )
    f = only(_said(at_import), "DL701")
    assert f.severity == "warning" and "probably" in f.title
    assert [a.name for a in f.fixes] == ["TF_FORCE_GPU_ALLOW_GROWTH"]
    assert "nvidia-smi" in (f.hint or "")
    # an import that fails, or that states no memory taken, says nothing about an allocator
    assert fired(_said(("said-import-fails", "import ot fails")), "DL701") == []


def test_dl701_the_same_large_share_of_every_gpu() -> None:
    # github.com/ShaneFlandermeyer/bmpc-jax/issues/2: 70% of 11, 24 and 80 GB alike is JAX's 75%
    share = (
        "said-fixed-share-of-gpu-memory",
        "the training process consistently uses around 70% of the GPU memory, regardless of the "
        "total available memory.",
    )
    f = only(_said(share), "DL701")
    assert f.subject == "jax" and f.severity == "warning"
    assert [(a.name, a.value) for a in f.fixes if isinstance(a, SetEnv)] == [
        ("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    ]
    nearly_all = ("said-fixed-share-of-gpu-memory", "it takes 95% of the GPU memory on every GPU")
    assert only(_said(nearly_all), "DL701").subject == "tensorflow"


def test_dl701_the_reports_fix_turns_preallocation_off() -> None:
    # github.com/apax-hub/apax/issues/111
    fixed = (
        "said-memory-growth-fixes",
        "Quick fix is to set `XLA_PYTHON_CLIENT_PREALLOCATE=false`.",
    )
    assert only(_said(fixed), "DL701").subject == "jax"
    # the setting shown without a fix's words is no cause
    code = ("said-memory-setting-code", "XLA_PYTHON_CLIENT_PREALLOCATE=false")
    assert fired(_said(code), "DL701") == []


def test_dl703_memory_ran_out_in_words_that_name_no_gpu_beside_a_named_gpu() -> None:
    # github.com/zeakey/hed/issues/15: "told me out of memory" is the GPU's beside a GT 1030
    ran_out = ("said-memory-ran-out", "Stop after a few seconds and told me out of memory.")
    gpu = GpuFacts(index=0, name="GeForce GT 1030")
    s = replace(_said(ran_out, BATCH), gpus=[gpu])
    assert only(s, "DL703").severity == "warning"
    # without a GPU in the paste the memory may be the host's: nothing
    assert fired(_said(ran_out, BATCH), "DL703") == []


def test_dl703_a_tensorflow_region_under_half_the_stated_gpu_is_the_job_not_the_grab() -> None:
    # github.com/paninski-lab/deepgraphpose/issues/7: 2.53G of an 8GB GPU, fixed by batch 10 -> 4
    grab = (
        "tf-failed-to-allocate-from-device",
        "E tensorflow/stream_executor/cuda/cuda_driver.cc:806] failed to allocate 2.53G "
        "(2715310336 bytes) from device: CUDA_ERROR_OUT_OF_MEMORY: out of memory",
    )
    title = ("cuda-out-of-memory", "CUDA_ERROR_OUT_OF_MEMORY with 8GB GPU")
    tf = LiveProbe(framework="tensorflow", status="ok", details={"oom_requested_mib": "2590.0"})
    s = replace(_said(title, grab, framework="tensorflow"), live=[tf])
    # the region is the job's, not the start-up grab; that nothing else held the rest is not shown
    assert only(s, "DL703").severity == "warning"
    assert fired(s, "DL701") == []
    # the same region on a 3 GB GPU is (nearly) all of it: TensorFlow's start-up grab
    small = ("cuda-out-of-memory", "CUDA_ERROR_OUT_OF_MEMORY with 3GB GPU")
    s = replace(_said(small, grab, framework="tensorflow"), live=[tf])
    assert only(s, "DL701").severity == "error"


def test_round10_reports_end_to_end() -> None:
    assert (
        _codes(
            "Importing POT consumes 22G GPU memory.\n"
            "2023-08-28 00:06:28.565778: W tensorflow/compiler/tf2tensorrt/utils/py_utils.cc:38] "
            "TF-TRT Warning: Could not find TensorRT\n"
        ).get("DL701")
        == "warning"
    )
    assert _codes(
        "Out of video memory\n\nMy GT1030 has 2GB memory, Stop after a few seconds and told me "
        "out of memory. I want to know how to lower the batch_size of the train process.\n"
    ) == {"DL703": "warning"}
    assert (
        _codes(
            "[0] Tesla V100-SXM2-16GB | 44'C,   0 % | 15836 / 16130 MB |\n"
            "[1] Tesla V100-SXM2-16GB | 37'C,   0 % |     0 / 16130 MB |\n"
            'I got "RuntimeError: CUDA error: out of memory" when I launch training\n'
        ).get("DL702")
        == "error"
    )
    assert (
        _codes(
            "使用 `ctrl + c` 终止了任务，发现部分显存仍然未释放，查看后台发现有进程残留。\n"
        ).get("DL702")
        == "error"
    )
    # the host's memory, or a share that depends on the job, names nothing
    assert _codes("the host ran out of memory while loading the dataset into RAM\n") == {}
    assert "DL701" not in _codes(
        "the training uses around 70% of the GPU memory with batch size 64\n"
    )


def test_dl702_tensorflow_created_its_device_with_little_of_the_gpu() -> None:
    # TensorFlow 2.x sizes its device from the memory free at start-up (gpu_device.cc)
    handle = (
        "cudnn-handle-failed",
        "E tensorflow/stream_executor/cuda/cuda_dnn.cc:328] Could not create cudnn handle: "
        "CUDNN_STATUS_INTERNAL_ERROR",
    )
    bfc = ("tf-bfc-out-of-memory", "Ran out of memory trying to allocate 392.00MiB.")

    def paste(mb: str, *more: tuple[str, str], total: int | None = None) -> Snapshot:
        tf = LiveProbe(framework="tensorflow", status="ok", details={"device_mib": mb})
        gpus = [GpuFacts(index=0, name="GeForce RTX 2070", memory_total_mib=total)]
        return replace(_said(*more, framework="tensorflow"), live=[tf], gpus=gpus)

    # 168 MB of an 8 GB card (a table gives its size): held elsewhere, an error
    f = only(paste("168", bfc, total=8192), "DL702")
    assert f.severity == "error" and "168 MB" in f.message
    # the GPU's size unknown: under 1 GiB is still probably held, a warning
    assert only(paste("168", handle), "DL702").severity == "warning"
    # most of the GPU was free: the device says nothing against the job's own size
    assert fired(paste("7000", bfc, total=8192), "DL702") == []
    assert fired(paste("2900", handle), "DL702") == []


def test_dl703_a_stated_out_of_memory_beside_the_gpus_stated_size() -> None:
    # github.com/shaofengzeng/SuperPoint-Pytorch/issues/9: "2080Ti显卡，8G显存", 显存不足
    size = ("said-gpu-memory-size", "我目前所采用的设备是2080Ti显卡，8G显存")
    f = only(_said(OOM_SAID, size), "DL703")
    assert f.severity == "warning" and "8.00 GiB" in f.message
    # the size alone is no symptom; beside a statement that other processes held it, DL702
    assert fired(_said(size), "DL703") == []
    held = ("gpu-memory-held-stated", "the GPU memory remains occupied after I stopped it")
    assert fired(_said(OOM_SAID, size, held), "DL703") == []
    assert only(_said(OOM_SAID, size, held), "DL702").severity == "error"


def test_dl702_from_tensorflows_allocator_limit_end_to_end() -> None:
    # the stats TensorFlow dumps after "ran out of memory": its pool was sized from what was free
    dump = (
        "W tensorflow/core/common_runtime/bfc_allocator.cc:457] Allocator (GPU_0_bfc) ran out of "
        "memory trying to allocate 73.50MiB (rounded to 77070336)requested by op Mul\n"
        "I tensorflow/core/common_runtime/bfc_allocator.cc:1090] Stats: \n"
        "Limit:                       {limit}\n"
        "InUse:                       161087488\n"
    )
    assert _codes(dump.format(limit="198180864")).get("DL702") == "warning"
    # a pool of nearly the whole GPU (7.4 GiB): the job filled it, not someone else
    assert "DL702" not in _codes(dump.format(limit="7967745639"))


def test_dl702_restarting_the_kernel_gave_the_memory_back() -> None:
    # github.com/keras-team/keras/issues/1587: the live kernel held what earlier attempts took
    restart = ("said-restart-frees-memory", "so I'm forced to restart the Python process")
    f = only(_said(TORCH_OOM, restart, framework="torch"), "DL702")
    assert f.severity == "warning" and "probably" in f.title
    assert only(_said(OOM_SAID, restart), "DL702").severity == "warning"
    # the restart alone, with no out-of-memory, states nothing about the memory
    assert fired(_said(restart), "DL702") == []
    assert "DL702" not in _codes(
        "RuntimeError: CUDA out of memory.\n"
        "Reducing the batch size and restarting the kernel helped resolve the issue.\n"
    )


def test_dl703_a_gpu_model_named_without_its_size_sizes_the_card() -> None:
    # github.com/rsanchezgarc/deepEMhancer/issues/3: "crashing K80 GPUs", batch sizes; the
    # words "memory crashing" name no GPU memory alone, beside a named GPU model they do
    ran_out = ("said-memory-ran-out", "Batch size changes for memory crashing")
    k80 = ("said-gpu-model", "I have a 512x512x512 volume that is crashing K80 GPUs")
    f = only(_said(ran_out, k80), "DL703")
    assert f.severity == "warning" and "Tesla K80" in f.message
    # no GPU named: "memory crashing" may be the host's memory; nothing
    assert fired(_said(ran_out), "DL703") == []
    # the model alone is no symptom
    assert fired(_said(k80), "DL703") == []
    # beside a statement that other processes held it, DL702, not DL703
    held = ("gpu-memory-held-stated", "the GPU memory remains occupied after I stopped it")
    assert fired(_said(ran_out, k80, held), "DL703") == []


def test_dl703_a_request_larger_than_the_named_models_memory_end_to_end() -> None:
    # TensorFlow's allocator states the request, not the GPU's size; the T4 has 15 GiB
    bfc = (
        "W tensorflow/core/common_runtime/bfc_allocator.cc:457] Allocator (GPU_0_bfc) ran out of "
        "memory trying to allocate {req} (rounded to 77070336)requested by op Mul\n"
    )
    t4 = "Colab gave me a T4 for the notebook.\n"
    # 36 GiB on a 15 GiB T4: too big for the card, whatever else is on it
    found = explain_text(t4 + bfc.format(req="36.00GiB"), "paste.txt", probe=False).report
    f = next(f for f in found.findings if f.code == "DL703")
    assert f.severity == "error" and "more than a Tesla T4" in f.message
    # 20 GiB: a larger variant of a model could hold it, so only probably
    found = explain_text(t4 + bfc.format(req="20.00GiB"), "paste.txt", probe=False).report
    f = next(f for f in found.findings if f.code == "DL703")
    assert f.severity == "warning" and "more than a Tesla T4" in f.message
    # the same request on an A100 80GB (a size the paste states wins over the model's 40 GiB):
    # nothing says it is more than the card
    a100 = "I run it on an A100 80GB GPU.\n"
    assert "36.00 GiB at once" not in str(
        explain_text(a100 + bfc.format(req="36.00GiB"), "paste.txt", probe=False).report
    )


def test_gpu_memory_kb_names_users_write() -> None:
    from dlenv.kb.gpu_memory import gpu_memory

    k80, t4 = gpu_memory("crashing K80 GPUs"), gpu_memory("With 1 NVIDIA Tesla T4")
    assert k80 is not None and k80.memory_gib == 12 and "per GPU" in k80.note
    assert t4 is not None and t4.memory_gib == 15
    ti = gpu_memory("GeForce GTX 1080Ti")
    assert ti is not None and ti.name == "GeForce GTX 1080 Ti" and ti.memory_gib == 11
    assert gpu_memory("rtx 2080 ti") == gpu_memory("2080Ti")
    # a resolution, an instance type, a version: no GPU
    assert gpu_memory("exported at 1080p") is None
    assert gpu_memory("a t4g instance") is None
    assert gpu_memory("torch 2.1080") is None


def test_dl701_tensorflow_in_several_processes_runs_out_of_memory() -> None:
    """flwrlabs/flower#3159: a federated simulation runs TensorFlow in one process per client;
    each maps nearly all of the GPU when it starts, so "failed to allocate memory" follows (the
    maintainer: turn memory growth on in every process). The same error in one process is the
    job's size (DL703); PyTorch in a pool is not TensorFlow's grab."""
    oom = (
        "tensorflow.python.framework.errors_impl.ResourceExhaustedError: {{function_node "
        "__wrapped__Mul_device_/job:localhost/replica:0/task:0/device:GPU:0}} failed to "
        "allocate memory [Op:Mul]\n"
    )
    code = "import tensorflow as tf\nNUM_CLIENTS = 10\nBATCH_SIZE = 64\n"
    codes = _codes(code + oom)
    assert codes.get("DL701") == "warning" and "DL703" not in codes
    [f] = [
        f for f in explain_text(code + oom, "p", probe=False).report.findings if f.code == "DL701"
    ]
    assert "several processes" in f.message and any(isinstance(a, SetEnv) for a in f.fixes)
    alone = "import tensorflow as tf\nBATCH_SIZE = 64\n" + oom
    assert "DL701" not in _codes(alone)
    torch = (
        "with multiprocessing.Pool(4) as pool:\ntorch.OutOfMemoryError: CUDA out of memory. "
        "Tried to allocate 2.00 GiB (GPU 0; 7.79 GiB total capacity; 5.10 GiB already "
        "allocated; 1.20 GiB free; 5.20 GiB reserved in total by PyTorch)\n"
    )
    assert "DL701" not in _codes(torch)


def test_dl703_a_jetson_job_the_kernel_killed() -> None:
    """CaoWGG/TensorRT-YOLOv4#49: building a TensorRT engine on a Jetson Nano ends with the
    shell's bare "Killed"; the reporter confirmed the board's memory ran out (FP16 fixed it). A
    Jetson's GPU shares the board's RAM, so that is GPU memory; elsewhere "Killed" names no GPU."""
    killed = (
        "以下是我的jetson nano配置：JetPack4.4； CUDA 10.2； TensorRT 7.1.3.4\n"
        "$./buildEngine -i model/yolov4.onnx -o model/yolov4.engine -b 1 -m 0\n"
        "Begin building engine...\nEnd building engine...\nKilled\n"
    )
    assert _codes(killed).get("DL703") == "warning"
    [f] = [f for f in explain_text(killed, "p", probe=False).report.findings if f.code == "DL703"]
    assert "Jetson" in f.message and "RAM" in f.message
    desktop = "python train.py --epochs 10\nEpoch 1/10\nKilled\n"
    assert "DL703" not in _codes(desktop)


def test_tensorflow_failing_inside_its_own_pool_beside_a_full_table_is_the_jobs_size() -> None:
    """ikhlestov/vision_networks#25: "OOM when allocating tensor ... by allocator GPU_0_bfc"
    beside an nvidia-smi table with GPU 0 at 7940 of 8112 MiB and no process listed. TensorFlow
    maps nearly the whole GPU at start-up, so a table taken while it ran shows its own pool full:
    the maintainer's answer was the network's size (DL703), not another holder (DL702)."""
    table = (
        "|   0  GeForce GTX 107...  Off  | 00000000:01:00.0  On |                  N/A |\n"
        "|  0%   61C    P0    58W / 180W |   7940MiB /  8112MiB |      3%      Default |\n"
        "+-------------------------------+----------------------+----------------------+\n"
    )
    oom = (
        "ResourceExhaustedError (see above for traceback): OOM when allocating tensor with "
        "shape[64,372,32,32] and type float on /job:localhost/replica:0/task:0/device:GPU:0 by "
        "allocator GPU_0_bfc\n"
    )
    codes = _codes(oom + table)
    assert "DL703" in codes and "DL702" not in codes
    # PyTorch's message beside the same table: the table is someone else's (the job has exited)
    torch = "RuntimeError: CUDA out of memory. Tried to allocate 20.00 MiB\n"
    assert "DL702" in _codes(torch + table)


def test_dl703_a_batch_that_does_not_fit_the_named_gpus() -> None:
    """funcwj/conv-tasnet#1: "I am not able to fit 32 or 20 batches in 2 GPUs. I use a TitanX
    12 GB and Tesla k40 12GB": the reporter says the batch does not fit the GPUs (DL703, a
    warning); a batch that fits, or Keras's `model.fit`, says nothing."""
    from tests.rules.snapshots import pasted_codes

    said = (
        "I am not able to fit 32 or 20 batches in 2 GPUs. I use a TitanX 12 GB and Tesla k40 "
        "12GB.\n"
    )
    assert pasted_codes(said).get("DL703") == "warning"
    assert "DL703" not in pasted_codes("A batch of 32 fits on my 2 GPUs, a TitanX 12 GB.\n")
    assert "DL703" not in pasted_codes(
        "model.fit with batch size 32 does not run on the GPU, a TitanX 12 GB.\n"
    )

"""The catalogue of known messages: well-formed data, converters, and single-message facts."""

from __future__ import annotations

import re

import pytest

from dlenv.importers.sheet import FactSheet
from dlenv.importers.signatures import CONVERTERS, SIGNATURES, scan
from dlenv.rules.registry import CODE_RE
from dlenv.snapshot.model import PciDevice


def test_catalogue_is_well_formed() -> None:
    ids = [s.id for s in SIGNATURES]
    assert len(ids) == len(set(ids))
    for sig in SIGNATURES:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", sig.id), sig.id
        assert sig.meaning.endswith(".") and "\n" not in sig.meaning, sig.id
        assert all(CODE_RE.match(code) for code in sig.rules), sig.id
        assert all(f.convert is None or f.convert in CONVERTERS for f in sig.facts), sig.id
        if sig.harmless:
            assert not sig.rules, f"{sig.id}: known noise explains nothing"
        for defer in sig.defer_to:
            assert defer in ids, sig.id


@pytest.mark.parametrize(
    ("name", "raw", "value"),
    [
        ("cuda_int", "11040", "11.4"),
        ("cuda_int", "10010", "10.1"),
        ("cuda_int", "12020", "12.2"),
        ("cuda_int", "6050", "6.5"),
        ("sm", "120", "12.0"),
        ("sm", "86", "8.6"),
        ("cudnn", "(8, 9, 2)", "8.9.2"),
        ("cudnn", "7102", "7.1.2"),
        ("cudnn", "8904", "8.9.4"),
        ("cudnn", "90100", "9.1.0"),
        ("cudnn", "9.3.0.", "9.3.0"),
        ("archs", "sm_37 sm_50 compute_37", ["sm_37", "sm_50", "compute_37"]),
        ("bool", "True", True),
        ("bool", "No", False),
        ("mib", "7.79 GiB", "7976.96"),
        ("mib", "3.94 MiB", "3.94"),
        ("mib", "0 bytes", "0.00"),
        ("mib", "1024.00 KiB", "1.00"),
        ("mib_sum", "6.81 GiB+17.19 MiB", "6990.63"),
        (
            "processes",
            " Process 1234 has 7.78 GiB memory in use. Process 99 has 148.91 MiB memory in use.",
            "1234=7966.72,99=148.91",
        ),
        ("lower", "Transformers", "transformers"),
    ],
)
def test_converters(name: str, raw: str, value: object) -> None:
    assert CONVERTERS[name](raw) == value


def _scan(text: str) -> FactSheet:
    sheet = FactSheet()
    scan(text, sheet)
    return sheet


def test_harmless_tf_noise_states_no_fact() -> None:
    sheet = _scan(
        "E0000 00:00:1744708234.717753 1370911 cuda_dnn.cc:8579] Unable to register cuDNN "
        "factory: Attempting to register factory for plugin cuDNN when one has already been "
        "registered\n"
        "I0000 cuda_executor.cc:1015] successful NUMA node read from SysFS had negative value "
        "(-1), but there must be at least one NUMA node, so returning NUMA node zero.\n"
    )
    snap = sheet.snapshot("text")
    assert [(e.signature, e.harmless) for e in snap.reported_errors] == [
        ("tf-factory-already-registered", True),
        ("tf-numa-negative", True),
    ]
    assert (snap.frameworks, snap.live, snap.gpus, snap.libraries) == ([], [], [], [])


def test_driver_too_old_states_the_drivers_cuda() -> None:
    snap = _scan(
        "RuntimeError: The NVIDIA driver on your system is too old (found version 11000). "
        "Please update your GPU driver"
    ).snapshot("text")
    assert (snap.driver.cuda_version, snap.driver.installed) == ("11.0", True)
    torch = snap.framework("torch")
    assert torch is not None and (torch.cuda_build, torch.version) == (True, "")
    probe = snap.live_probe("torch")
    assert probe is not None and probe.gpu_available is False


def test_torch_not_compiled_with_cuda() -> None:
    snap = _scan("AssertionError: Torch not compiled with CUDA enabled").snapshot("text")
    torch = snap.framework("torch")
    assert torch is not None and (torch.cuda_build, torch.variant) == (False, "cpu")


def test_old_gpu_too_old_wording() -> None:
    snap = _scan(
        "    Found GPU0 GeForce GTX 770 which is of cuda capability 3.0.\n"
        "    PyTorch no longer supports this GPU because it is too old.\n"
        "    The minimum cuda capability supported by this library is 3.7.\n"
    ).snapshot("text")
    assert [(g.index, g.name, g.compute_capability) for g in snap.gpus] == [
        (0, "GeForce GTX 770", "3.0")
    ]


def test_windows_dll_and_import_failure() -> None:
    snap = _scan(
        "ImportError: DLL load failed while importing _pywrap_tensorflow_internal: The "
        "specified module could not be found.\n"
    ).snapshot("text")
    probe = snap.live_probe("tensorflow")
    assert probe is not None and probe.status == "import-error"
    assert probe.error == (
        "ImportError: DLL load failed while importing _pywrap_tensorflow_internal: The "
        "specified module could not be found."
    )


def test_wsl_cudnn_sublibrary_names_libcuda() -> None:
    snap = _scan(
        "Could not load library libcudnn_cnn_infer.so.8. Error: libcuda.so: cannot open shared "
        "object file: No such file or directory\nPlease make sure libcudnn_cnn_infer.so.8 is in "
        "your library path!\n"
        '  File "/home/u/.local/lib/python3.10/site-packages/torch/nn/modules/conv.py"\n'
    ).snapshot("text")
    assert [
        (lib.framework, [(x.soname, x.path) for x in lib.libraries]) for lib in snap.libraries
    ] == [("torch", [("libcudnn_cnn_infer.so.8", None), ("libcuda.so", None)])]


def test_nvml_mismatch_and_no_driver() -> None:
    snap = _scan(
        "Failed to initialize NVML: Driver/library version mismatch\n"
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make "
        "sure that the latest NVIDIA driver is installed and running.\n"
    ).snapshot("text")
    assert snap.driver.library_mismatch is True
    assert snap.visibility.nvidia_module_loaded is False
    assert [r.error for r in snap.driver.readings] == [
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure "
        "that the latest NVIDIA driver is installed and running."
    ]


def test_repeated_message_is_counted_once() -> None:
    line = "RuntimeError: CUDA error: out of memory\n"
    snap = _scan(line * 50).snapshot("text")
    assert [(e.signature, e.count) for e in snap.reported_errors] == [("cuda-out-of-memory", 50)]


def test_nvrm_api_mismatch_names_both_versions() -> None:
    snap = _scan(
        "[ 8421.112045] NVRM: API mismatch: the client has the version 535.183.01, but\n"
        "               NVRM: this kernel module has the version 535.171.04.  Please\n"
    ).snapshot("text")
    d = snap.driver
    assert (d.userspace_version, d.kernel_module_version, d.library_mismatch) == (
        "535.183.01",
        "535.171.04",
        True,
    )


def test_environment_and_listing_facts() -> None:
    snap = _scan(
        "$ env | grep CUDA\n"
        "CUDA_VISIBLE_DEVICES=\n"
        "GPU 0: NVIDIA RTX A6000 (UUID: GPU-3f1c6a2e-5b7d)\n"
        "GPU 1: NVIDIA RTX A6000 (UUID: GPU-a9d2e4f0-1c3b)\n"
        "$ uname -r\n"
        "5.15.146.1-microsoft-standard-WSL2\n"
        '$ python -c "import torch; print(torch.__version__)"\n'
        "2.3.1+cu121\n"
        "Name: tensorflow\n"
        "Version: 2.13.0\n"
    ).snapshot("text")
    assert snap.visibility.cuda_visible_devices == ""  # set, to the empty string
    # identical names stay two GPUs: the listing numbers them
    assert [(g.index, g.uuid) for g in snap.gpus] == [
        (0, "GPU-3f1c6a2e-5b7d"),
        (1, "GPU-a9d2e4f0-1c3b"),
    ]
    assert (snap.host.wsl, snap.host.kernel) == (2, "5.15.146.1-microsoft-standard-WSL2")
    versions = {f.name: (f.version, f.variant) for f in snap.frameworks}
    assert versions == {"tensorflow": ("2.13.0", None), "torch": ("2.3.1+cu121", "cu121")}
    # an inline assignment (or os.environ in the script) is the environment of the command
    # that failed, which is the one a paste is about
    inline = _scan("CUDA_VISIBLE_DEVICES=1 python train.py\n").snapshot("text").visibility
    assert inline.cuda_visible_devices == "1"
    script = _scan("os.environ['CUDA_VISIBLE_DEVICES'] = '3'\n").snapshot("text").visibility
    assert script.cuda_visible_devices == "3"
    assert _scan("echo $CUDA_VISIBLE_DEVICES\n").snapshot("text").visibility == (
        snap.visibility.__class__()
    )


def test_torch_cudnn_mismatch_names_ld_library_path() -> None:
    snap = _scan(
        "RuntimeError: cuDNN version incompatibility: PyTorch was compiled  against (8, 5, 0) "
        "but found runtime version (8, 4, 1). PyTorch already comes bundled with cuDNN. One "
        "option to resolving this error is to ensure PyTorch can find the bundled cuDNN.Looks "
        "like your LD_LIBRARY_PATH contains incompatible version of cudnnPlease either remove it"
    ).snapshot("text")
    probe = snap.live_probe("torch")
    assert probe is not None and probe.details == {
        "cudnn_source": "LD_LIBRARY_PATH",
        "cudnn_verdict": "mismatch",
    }


@pytest.mark.parametrize(
    ("line", "device"),
    [
        (
            "01:00.0 VGA compatible controller: NVIDIA Corporation GA104 [GeForce RTX 3070] (rev a1)",
            PciDevice(
                slot="0000:01:00.0",
                vendor_id="0x10de",
                device_id="",
                class_id="0x030000",
                name="NVIDIA Corporation GA104 [GeForce RTX 3070]",
            ),
        ),
        (  # lspci -nn -k, with the PCI domain: ids, and the driver bound to it
            "0000:3b:00.0 3D controller [0302]: NVIDIA Corporation GA100 [A100 PCIe 40GB] "
            "[10de:20f1] (rev a1)\n\tSubsystem: NVIDIA Corporation Device [10de:145f]\n"
            "\tKernel driver in use: nouveau\n\tKernel modules: nvidiafb, nouveau",
            PciDevice(
                slot="0000:3b:00.0",
                vendor_id="0x10de",
                device_id="0x20f1",
                class_id="0x030200",
                kernel_driver="nouveau",
                name="NVIDIA Corporation GA100 [A100 PCIe 40GB]",
            ),
        ),
    ],
)
def test_lspci_lines_are_pci_device_facts(line: str, device: PciDevice) -> None:
    snap = _scan(line + "\n").snapshot("text")
    assert snap.visibility.nvidia_pci_devices == [device]
    assert snap.reported_errors == []  # a fact, not a message


def test_lspci_leaves_out_the_gpus_audio_function() -> None:
    audio = (
        "01:00.1 Audio device: NVIDIA Corporation GA104 High Definition Audio Controller (rev a1)"
    )
    assert _scan(audio + "\n").snapshot("text").visibility.nvidia_pci_devices == []


@pytest.mark.parametrize(
    "line",
    [
        "bash: nvidia-smi: command not found",
        "zsh: command not found: nvidia-smi",
        "Command 'nvidia-smi' not found, but can be installed with:",
        "fish: Unknown command: nvidia-smi",
        "'nvidia-smi' is not recognized as an internal or external command,",
        "nvidia-smi : The term 'nvidia-smi' is not recognized as the name of a cmdlet, function,",
    ],
)
def test_nvidia_smi_not_found_in_every_shell(line: str) -> None:
    errors = _scan(line + "\n").snapshot("text").reported_errors
    assert [e.signature for e in errors] == ["nvidia-smi-not-found"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # a CUDA status the status table knows (cudaErrorIllegalAddress) is recognised, not unknown
        ("RuntimeError: CUDA error: an illegal memory access was encountered", False),
        ("RuntimeError: CUDA error: a message no CUDA release prints", True),
        ("torch._dynamo.exc.BackendCompilerFailed: backend='inductor' raised:", True),
        ("    raise ValueError(", False),  # the source line shown in a traceback
        ("ValueError                                Traceback (most recent call last)", False),
        ("I get a RuntimeError when I run it on the GPU", False),  # prose
        ("ERROR: Could not open requirements file: [Errno 2] No such file or directory", True),
        # pip's refusal has a signature of its own (python-install.toml): not "unrecognised"
        ("ERROR: Could not find a version that satisfies the requirement torch==1.4.0", False),
        ("F0000 00:00:1700000000.1 cuda_dnn.cc:535] Check failed: cudnn_handle", True),
        ("Segmentation fault (core dumped)", True),
        # the shell's SIGKILL lines are a known message now (process-killed), not unknown ones
        ("/bin/bash: line 1:  1234 Killed                  python train.py", False),
        ("Killed", False),
        ("Killed 3 stale jobs before the run", False),
        ("UserWarning: TypedStorage is deprecated", False),
        ("CUDA error: no error", False),
    ],
)
def test_unrecognised_error_lines(text: str, found: bool) -> None:
    errors = _scan(text + "\n").snapshot("text").reported_errors
    unknown = [e.text for e in errors if e.signature == "unrecognised-error"]
    assert unknown == ([text.strip()] if found else [])


def test_unrecognised_errors_are_counted_per_line_and_never_claimed_twice() -> None:
    text = (
        "ERROR: training aborted\n"
        "ERROR: training aborted\n"
        "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB.\n"
        "RuntimeError: Failed to import transformers.models.bert.modeling_tf_bert because of the "
        "following error (look up to see its traceback):\n"
        "Your currently installed version of Keras is Keras 3, but this is not yet supported in "
        "Transformers.\n"
    )
    errors = _scan(text).snapshot("text").reported_errors
    assert [(e.signature, e.count) for e in errors] == [
        ("cuda-out-of-memory", 1),
        ("keras3-legacy-needed", 1),
        ("unrecognised-error", 2),
    ]


def test_wsl1_is_read_from_the_kernel_or_the_reporters_words() -> None:
    from dlenv.importers.signatures import SIGNATURES

    [sig] = [s for s in SIGNATURES if s.id == "wsl1-stated"]
    for text in ("I'm using wsl 1 on windows 10", "Linux 4.4.0-19041-Microsoft x86_64", "on WSL1"):
        assert sig.regex.search(text), text
    for text in ("5.15.153.1-microsoft-standard-WSL2", "using WSL 2", "on wsl 12 machines"):
        assert not sig.regex.search(text), text


def test_undefined_cuda_symbols_name_the_library() -> None:
    from dlenv.importers.signatures import SIGNATURES

    [sig] = [s for s in SIGNATURES if s.id == "cuda-library-undefined-symbol"]
    m = sig.regex.search(
        "ImportError: /venv/lib/python3.10/site-packages/nvidia/cusparse/lib/libcusparse.so.12: "
        "undefined symbol: __nvJitLinkAddData_12_1, version libnvJitLink.so.12"
    )
    assert m is not None and m.group("sym") == "__nvJitLinkAddData_12_1"
    assert not sig.regex.search("libfoo.so: undefined symbol: _ZN3c104impl8GPUTrace")


def test_a_message_deep_in_a_long_line_is_kept() -> None:
    # huanshere/VideoLingo#183: a Windows console ran a progress bar and the cuDNN error into
    # one 700-character line; the quoted error must hold the library, not only the line's start
    line = (
        "Loading WHISPER model: large-v3 ... " + "Lightning upgraded your checkpoint. " * 12
        + "Transcribing... 0:00:00Could not locate cudnn_ops64_9.dll. Please make sure it is "
        "in your library path!"
    )
    snap = _scan(line).snapshot("text")
    quoted = [e.text for e in snap.reported_errors if e.signature == "windows-dll-missing"]
    assert quoted and "cudnn_ops64_9.dll" in quoted[0] and len(quoted[0]) <= 400


def test_pyannote_states_the_installed_torch() -> None:
    snap = _scan(
        "Model was trained with torch 1.10.0+cu102, yours is 2.0.0+cu118. Bad things might "
        "happen unless you revert torch to 1.x."
    ).snapshot("text")
    torch = snap.framework("torch")
    assert torch is not None and (torch.version, torch.variant) == ("2.0.0", "cu118")


def test_dominant_framework_counts_a_name_beside_cjk_text() -> None:
    """Akegarasu/lora-scripts#503: "venv中的torch版本" names torch although CJK letters are word
    characters to `\\b`; a longer ASCII word still does not ("pytorch_lightning", "torchvision")."""
    from dlenv.importers.signatures import dominant_framework

    assert dominant_framework("脚本无法识别venv中的torch版本？") == "torch"
    assert dominant_framework("tensorflow检测不到GPU") == "tensorflow"
    assert dominant_framework("import torchvision") is None

"""DL113 (a GPU the driver branch does not support) and DL114 (a failed GPU), from the messages
the NVIDIA kernel module, nvidia-installer, nvidia-smi and Windows print."""

from __future__ import annotations

from dlenv.fix.actions import ManualStep
from dlenv.snapshot.model import Snapshot
from tests.rules.snapshots import fired, gpu_machine, only


def _pasted(text: str) -> Snapshot:
    from dlenv.importers import import_text

    return import_text(text).snapshot


def _commands(f) -> list[str]:  # type: ignore[no-untyped-def]
    return [c for a in f.fixes if isinstance(a, ManualStep) for c in a.commands]


def _codes(text: str) -> list[str]:
    from dlenv.rules import diagnose

    return sorted({f.code for f in diagnose(_pasted(text))})


LEGACY_NVRM = """\
[    4.2] NVRM: The NVIDIA GeForce GT 730 GPU installed in this system is
[    4.2] NVRM:  supported through the NVIDIA 470.xx Legacy drivers. Please
[    4.2] NVRM:  visit http://www.nvidia.com/object/unix.html for more
[    4.2] NVRM:  information.  The 510.47.03 NVIDIA driver will ignore
[    4.2] NVRM:  this GPU.  Continuing probe...
[    4.3] NVRM: No NVIDIA devices probed.
"""


# -- DL113 ----------------------------------------------------------------------------------
def test_dl113_legacy_gpu_names_its_branch() -> None:
    f = only(_pasted(LEGACY_NVRM), "DL113")
    assert f.severity == "error"
    assert f.title == "GeForce GT 730 needs the NVIDIA 470 legacy driver"
    assert "last supported by the 470.xx branch" in f.message
    assert f.evidence[0].fact == "reported_errors.nvrm-legacy-gpu"
    assert "sudo apt install nvidia-driver-470  # Debian/Ubuntu" in _commands(f)
    # good: a driver that drives the GPU
    assert fired(gpu_machine(), "DL113") == []


def test_dl113_branch_from_the_gpu_architecture() -> None:
    """The kernel module names no branch; where the paste names the GPU, the knowledge base's
    GPU table gives its architecture (Kepler) and so the legacy branch."""
    text = (
        "NVRM: The NVIDIA GPU 0000:01:00.0 (PCI ID: 10de:1004)\n"
        "NVRM: installed in this system is not supported by the\n"
        "NVRM: NVIDIA 535.183.01 driver release.\n"
    )
    f = only(_pasted(text), "DL113")
    assert f.title == "The installed NVIDIA driver does not support this GPU"
    assert f.message.startswith("Driver 535.183.01 does not support the GPU, so it ignores it")
    kepler = only(_pasted(text + "GPU 0: NVIDIA GeForce GTX 780 Ti (UUID: GPU-1234)\n"), "DL113")
    assert kepler.title == "NVIDIA GeForce GTX 780 Ti needs the NVIDIA 470 legacy driver"


def test_dl113_from_a_legacy_gpu_and_a_later_driver_branch_alone() -> None:
    """No NVRM line: the paste names a Pascal GPU, driver 590 and "No devices were found": the
    590 branch dropped Pascal (its last is 580), so the driver ignores the GPU. Without the
    symptom, or with a branch that still supports the GPU, nothing is said."""
    text = (
        "I have a GeForce GTX 1080 and installed driver 590.44.01.\n"
        "$ nvidia-smi\nNo devices were found\n"
    )
    f = only(_pasted(text), "DL113")
    assert f.title == "GeForce GTX 1080 needs the NVIDIA 580 legacy driver, not 590.44.01"
    assert f.evidence[0].needed == "the 580.xx branch or older"
    assert "sudo apt install nvidia-driver-580  # Debian/Ubuntu" in _commands(f)
    assert "DL113" not in _codes(text.replace("590.44.01", "575.64.03"))
    assert "DL113" not in _codes("I have a GeForce GTX 1080 and installed driver 590.44.01.\n")
    kepler = "GT 730 with driver 535.183.01: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n"
    assert "DL113" in _codes(kepler)


def test_dl113_open_module_without_gsp() -> None:
    text = (
        "NVRM: The NVIDIA GPU 0000:01:00.0 (PCI ID: 10de:1c82)\n"
        "NVRM: installed in this system is not supported by open\n"
        "NVRM: nvidia.ko because it does not include the required GPU\n"
        "NVRM: System Processor (GSP).\n"
    )
    f = only(_pasted(text), "DL113")
    assert f.title == "The open NVIDIA kernel module does not support this GPU"
    assert any("not nvidia-driver-<branch>-open" in c for c in _commands(f))


def test_dl113_explains_the_module_not_loading() -> None:
    """The module is refused because of the GPU, not the kernel: DL113, not DL111."""
    smi = (
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make "
        "sure that the latest NVIDIA driver is installed and running.\n"
    )
    assert _codes(smi + LEGACY_NVRM) == ["DL113"]


def test_dl113_warning_from_the_reporters_sentence_naming_the_branch() -> None:
    """linuxmint/mintdrivers#111: "NVIDIA 535 is incompatible with the GTX 760 and explicitly
    ignored the GPU at boot" (Kepler: last 470.xx): a warning naming the 470 branch; a GPU the
    named branch still drives (a GTX 1080 with 535), or the right branch named, say nothing."""
    text = (
        "I use a GeForce GTX 760.\nNVIDIA 535 is incompatible with the GTX 760 and explicitly "
        "ignored the GPU at boot.\n"
    )
    f = only(_pasted(text), "DL113")
    assert f.severity == "warning" and "470" in f.title
    assert any("470" in c for c in _commands(f))
    assert fired(_pasted(text.replace("GTX 760", "GTX 1080")), "DL113") == []
    assert fired(_pasted(text.replace("NVIDIA 535", "NVIDIA 470")), "DL113") == []


def test_dl113_warning_from_the_reporter_saying_a_driver_drops_the_generation() -> None:
    """omacom/omarchy#3954: "As of NVIDIA driver version 590, nvidia-dkms no longer supports
    Pascal", or only "installs unsupported driver on Pascal and older GPUs", beside a GTX 1050
    (Pascal, last 580.xx): a warning naming the 580 branch; a generation the GPU is not of
    says nothing."""
    branch = (
        "GPU: NVIDIA GeForce GTX 1050\nAs of NVIDIA driver version 590, `nvidia-dkms` no longer "
        "supports Pascal or older GPUs.\n"
    )
    f = only(_pasted(branch), "DL113")
    assert f.severity == "warning" and "580" in f.title
    generation = (
        "GPU: NVIDIA GeForce GTX 1050\nThe script installs unsupported driver on Pascal GPUs\n"
    )
    g = only(_pasted(generation), "DL113")
    assert g.severity == "warning" and "580" in g.title and "Pascal" in g.message
    assert fired(_pasted(generation.replace("Pascal", "Kepler")), "DL113") == []


# -- DL114 ----------------------------------------------------------------------------------
def test_dl114_fallen_off_the_bus() -> None:
    text = (
        "[ 8712.3] NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, name=python, GPU has fallen off "
        "the bus.\n[ 8712.3] NVRM: GPU 0000:3b:00.0: GPU has fallen off the bus.\n"
    )
    f = only(_pasted(text), "DL114")
    assert f.severity == "error"
    assert f.title == "The GPU failed: the GPU stopped answering on the PCI Express bus"
    assert "(Xid 79)" in f.message
    assert "sudo nvidia-smi -r -i 0  # reset GPU 0, or reboot" in _commands(f)
    assert fired(gpu_machine(), "DL114") == []


def test_dl114_ecc_and_gpu_lost() -> None:
    dbe = (
        "NVRM: Xid (PCI:0000:86:00): 48, pid=0, An uncorrectable double bit error (DBE) has been "
        "detected on GPU in the framebuffer at partition 6, subpartition 0.\n"
    )
    assert "memory (ECC) errors (Xid 48)" in only(_pasted(dbe), "DL114").message
    lost = (
        "Unable to determine the device handle for GPU 0000:3B:00.0: GPU is lost.  Reboot the "
        "system to recover this GPU\n"
    )
    assert _codes(lost) == ["DL114"]


def test_dl114_from_the_cuda_status_of_an_uncorrectable_ecc_error() -> None:
    """nagadit/DeepFaceLab_Linux#89 (TensorFlow's CUDA_ERROR_ECC_UNCORRECTABLE), uw-ipd/
    RoseTTAFold2#40 and vllm-project/vllm#5222 (torch's "CUDA error: uncorrectable ECC error
    encountered"), PaddlePaddle/Paddle#10239 (CUDA 9's number 39): the GPU's memory failed, in
    whichever framework printed it; an illegal memory access (the program's fault) is not it."""
    for text in (
        "RuntimeError: CUDA error: uncorrectable ECC error encountered\n",
        "F tensorflow/stream_executor/lib/statusor.cc:34] Attempting to fetch value instead of "
        "handling error Internal: failed initializing StreamExecutor for CUDA device ordinal 0: "
        "Internal: failed call to cuDevicePrimaryCtxRetain: CUDA_ERROR_ECC_UNCORRECTABLE: "
        "uncorrectable ECC error encountered\n",
        "Check failed: cudaSuccess == cudaStat (0 vs. 39) Cuda Error: uncorrectable ECC error "
        "encountered\n",
    ):
        f = only(_pasted(text), "DL114")
        assert f.severity == "error" and "memory (ECC) errors" in f.message, text
    nvlink = "RuntimeError: CUDA error: uncorrectable NVLink error detected during the execution\n"
    assert "NVLink" in only(_pasted(nvlink), "DL114").message
    illegal = "RuntimeError: CUDA error: an illegal memory access was encountered\n"
    assert fired(_pasted(illegal), "DL114") == []


def test_dl114_application_faults_are_not_gpu_failures() -> None:
    """Xid 13/31/43 are the program's faults: no DL114 (DL901 says it is recognised)."""
    xid31 = (
        "NVRM: Xid (PCI:0000:01:00): 31, pid=9876, name=python, Ch 00000010, intr 10000000. "
        "MMU Fault: ENGINE GRAPHICS GPCCLIENT_T1_0 faulted @ 0x7f_12340000.\n"
    )
    assert fired(_pasted(xid31), "DL114") == []


def test_dl114_invalid_pci_region_asks_for_above_4g_decoding() -> None:
    text = (
        "NVRM: This PCI I/O region assigned to your NVIDIA device is invalid:\n"
        "NVRM: BAR1 is 0M @ 0x0 (PCI:0000:01:00.0)\n"
    )
    f = only(_pasted(text), "DL114")
    assert "no valid PCI memory window" in f.message
    assert "Above 4G decoding" in f.fixes[0].text  # type: ignore[union-attr]


def test_dl114_rm_init_adapter_beside_a_mismatch_is_dl105s() -> None:
    """github.com/ublue-os/bazzite: RmInitAdapter failed after a driver update without a reboot."""
    text = (
        "[   23.991672] NVRM: GPU 0000:07:00.0: RmInitAdapter failed! (0x61:0x56:1770)\n"
        "NVRM: API mismatch: the client has the version 570.153.02, but\n"
        "                NVRM: this kernel module has the version 570.144.  Please\n"
    )
    assert _codes(text) == ["DL105"]
    assert _codes(text.splitlines(keepends=True)[0]) == ["DL114"]


def test_dl114_warning_when_the_reporter_says_the_gpu_drops_out_mid_run() -> None:
    """ "The GPU randomly disappears during training" with no message: a warning asking for the
    Xid lines; an update or a kernel in the story is the driver's (vetoed), and a program's
    error names its own cause."""
    text = "The GPU randomly disappears during training, and only a reboot brings it back.\n"
    f = only(_pasted(text), "DL114")
    assert f.severity == "warning" and f.title.startswith("Probably a failing GPU")
    assert "sudo dmesg | grep -E 'NVRM|Xid'" in _commands(f)
    assert "DL114" not in _codes("After the kernel update the GPU disappeared during boot.\n")
    assert "DL114" not in _codes(
        text + "RuntimeError: CUDA out of memory. Tried to allocate 2 GiB\n"
    )


def test_dl113_a_kepler_gpu_without_a_driver_and_no_version_stated() -> None:
    """skypilot-org/skypilot#459: an Azure K80 (Kepler) VM whose image's driver fails
    ("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver"); every
    branch after 470 ignores Kepler, and pinning an image with driver 470 fixed it. A warning
    (the version is not stated); a Pascal card (last branch 580) says nothing of the kind, and
    neither does the reporter's own sentence."""
    from tests.rules.snapshots import pasted_codes

    smi = (
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure "
        "that the latest NVIDIA driver is installed and running.\n"
    )
    k80 = "Looks like the image doesn't work on Azure's K80 instance.\n$ nvidia-smi\n" + smi
    assert pasted_codes(k80).get("DL113") == "warning"
    pascal = "Looks like the image doesn't work on the GTX 1080 node.\n$ nvidia-smi\n" + smi
    assert "DL113" not in pasted_codes(pascal)


def test_data_centre_boards_by_their_number() -> None:
    from dlenv.kb.queries import gpu_model

    assert [gpu_model(n).name for n in ("K80", "a P100 node", "M40 24GB")] == [  # type: ignore[union-attr]
        "Tesla K80",
        "Tesla P100",
        "Tesla M40",
    ]
    assert gpu_model("K80s") is None and gpu_model("k800 steps") is None

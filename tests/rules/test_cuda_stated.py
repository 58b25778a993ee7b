"""DL201/DL202/DL206 reasoned from what a paste states beside the error: the CUDA the reporter
says is installed, the extension that asked for a library, two cuDNN versions in one sentence."""

from __future__ import annotations

from dlenv.importers.detect import import_text
from dlenv.snapshot.model import Snapshot
from tests.rules.snapshots import fired, only


def _pasted(text: str) -> Snapshot:
    return import_text(text, "paste.txt").snapshot


def test_dl202_a_bare_stated_major_against_the_asked_library() -> None:
    """DreamInvoker/GAIN#16: "libcublas.so.10 … 我的cuda版本是11": the stated major (a bare
    "11") is another major of cuBLAS than the one asked for."""
    bad = _pasted(
        "产生的错误是OSError: libcublas.so.10: cannot open shared object file: No such file or "
        "directory。\n我的cuda版本是11，请问一定需要10.2 的版本吗\n"
    )
    assert fired(bad, "DL202") == ["DL202"]
    good = _pasted(
        "OSError: libcublas.so.11: cannot open shared object file: No such file or directory\n"
        "我的cuda版本是11\n"
    )
    assert fired(good, "DL202") == []  # the same major: a path problem (DL201)


def test_dl202_what_the_program_searches_for_is_not_what_is_installed() -> None:
    """JunshengFu/traffic-light-detector#2: "searching for cuda 8.0 but i have installed cuda
    10.0": the installed release is the second, not the one searched for."""
    error = "ImportError: libcudart.so.8.0: cannot open shared object file: No such file\n"
    bad = _pasted(error + "python is searching for cuda 8.0 but i have installed cuda 10.0\n")
    assert fired(bad, "DL202") == ["DL202"]
    good = _pasted(error + "python is searching for cuda 8.0, which i have installed\n")
    assert fired(good, "DL202") == []


def test_dl202_an_extension_built_for_another_cuda() -> None:
    """facebookresearch/frankmocap#178: detectron2's compiled extension asks for the CUDA 10.1
    runtime and the environment has none: a warning (built for another CUDA), not DL201."""
    error = "ImportError: libcudart.so.10.1: cannot open shared object file: No such file\n"
    bad = _pasted("from detectron2 import _C\n" + error)
    f = only(bad, "DL202")
    assert f.severity == "warning"
    assert f.title == "detectron2's compiled extension was built for CUDA 10.1"
    assert any("pip uninstall -y detectron2" in c for a in f.fixes for c in a.commands)
    assert fired(bad, "DL201") == []  # DL202 names the cause
    # torch's own extension, or no extension import at all: nothing for DL202
    assert fired(_pasted("from torch._C import *\n" + error), "DL202") == []
    assert fired(_pasted(error), "DL202") == []
    # the paste shows the very major asked for: a path problem, not the extension's build
    listed = "/usr/local/cuda-10.1/lib64/libcudart.so.10.1\n"
    assert fired(_pasted("from detectron2 import _C\n" + error + listed), "DL202") == []


def test_dl206_installed_cudnn_but_the_program_finds_another() -> None:
    """PaddlePaddle/PaddleNLP#232: "cudnn安装了7.6，但是说我的cudnn是5.0": an older copy is
    found first (a warning read from the sentence)."""
    bad = _pasted("cudnn安装了7.6，但是说我的cudnn是5.0，有冲突，这要怎么解决\n")
    f = only(bad, "DL206")
    assert f.severity == "warning"
    assert f.title == "cuDNN 7.6 is installed, the program finds cuDNN 5.0"
    en = _pasted("I installed cuDNN 8.9 but torch reports cudnn 8.5 when I check.\n")
    assert only(en, "DL206").title == "cuDNN 8.9 is installed, the program finds cuDNN 8.5"
    good = _pasted("I installed cudnn 8.9 but it does not work.\n")
    assert fired(good, "DL206") == []


def test_dl201_a_torch_windows_dll_error_on_a_cudnn_dll() -> None:
    """erprogs/CViT#16: torch could not load its cudnn_adv_infer64_8.dll (WinError 127): a
    CUDA library the loader could not load; torch's other DLLs (fbgemm.dll) are not DL201's."""
    bad = _pasted(
        'OSError: [WinError 127] 找不到指定的程序。 Error loading "E:\\env\\lib\\site-packages'
        '\\torch\\lib\\cudnn_adv_infer64_8.dll" or one of its dependencies.\n'
    )
    f = only(bad, "DL201")
    assert f.severity == "warning"  # 127: another copy first on PATH is probable, not proven
    good = _pasted(
        "OSError: [WinError 126] The specified module could not be found. Error loading "
        '"C:\\Python311\\Lib\\site-packages\\torch\\lib\\fbgemm.dll" or one of its dependencies.\n'
    )
    assert fired(good, "DL201") == []


def test_dl202_a_stated_tensorflow_release_against_a_stated_cuda() -> None:
    """CSBDeep/CSBDeep#63: "I'm on Python 3.8 and Tensorflow 2.4, and cuda 10.1", training
    stalls: TensorFlow 2.4 was built with CUDA 11.0 (libcudart.so.11.0), and CUDA 10.1 gives
    libcudart.so.10.1, so it runs on the CPU (a warning from the tested build configurations)."""
    said = "Training stalls at epoch 1. I'm on Python 3.8 and Tensorflow 2.4, and cuda {}.\n"
    f = only(_pasted(said.format("10.1")), "DL202")
    assert f.severity == "warning"
    assert f.title.startswith("TensorFlow 2.4 is built for CUDA 11.0, the paste shows CUDA 10.1")
    assert any("cudatoolkit=11.0" in c for a in f.fixes for c in a.commands)
    # a CUDA 11 minor release gives the same runtime file (libcudart.so.11.0): nothing to say
    assert fired(_pasted(said.format("11.2")), "DL202") == []
    # before CUDA 11 the minor is part of the file: TensorFlow 2.1 (CUDA 10.1) on CUDA 10.2
    assert fired(_pasted(said.replace("2.4", "2.1").format("10.2")), "DL202") == ["DL202"]


def test_dl202_a_stated_tensorflow_release_where_the_toolkit_is_not_its() -> None:
    """The same versions where the stated toolkit is not what TensorFlow loads: the program runs
    in a container (google-research/seed_rl#22: the image brings its CUDA), torch beside it may
    own the toolkit, TensorFlow's own log shows it loaded CUDA, or the "CUDA 12.2" is
    nvidia-smi's driver figure."""
    said = "Tensorflow 2.4 does not use the GPU, and cuda 10.1 is installed.\n"
    assert fired(_pasted(said + "I run it in a docker container.\n"), "DL202") == []
    assert fired(_pasted(said + "torch 1.8.0 is installed too.\n"), "DL202") == []
    opened = "I tensorflow/stream_executor/platform/default/dso_loader.cc:49] Successfully "
    opened += "opened dynamic library libcudart.so.11.0\n"
    assert fired(_pasted(opened + said), "DL202") == []
    smi = "| NVIDIA-SMI 535.104.05   Driver Version: 535.104.05   CUDA Version: 12.2     |\n"
    assert (
        fired(_pasted(smi + "Tensorflow 2.4 does not use the GPU, I have CUDA 12.2\n"), "DL202")
        == []
    )

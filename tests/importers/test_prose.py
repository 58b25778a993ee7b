"""Facts read from prose: specific statements count, bare words do not, tables win."""

from __future__ import annotations

import pytest

from dlenv.importers.detect import import_text
from tests.importers.facts import flat_facts


def _prose(text: str) -> dict[str, object]:
    imported = import_text(text + "\nRuntimeError: CUDA error: boom\n", "t")
    found: dict[str, object] = {}
    for p in imported.parts:  # prose, or a parser that read the same statement first
        if p.kind != "messages":
            for line in p.found:
                key, _, value = line.partition(" = ")
                found[key] = value
    return found


@pytest.mark.parametrize(
    ("text", "fact", "value"),
    [
        ("- `torch=1.2.0` in virtualenv environment", "frameworks.torch.version", "1.2.0"),
        ("I use pytorch 2.0.1+cu117 on it", "frameworks.torch.version", "2.0.1+cu117"),
        ("PyTorch version: 1.13.1", "frameworks.torch.version", "1.13.1"),
        # an issue form's markdown bold around the key (edenaion/EZ-CorridorKey#87)
        ("- **PyTorch:** 2.9.1+cu130", "frameworks.torch.version", "2.9.1+cu130"),
        # the bugfix level is kept, as a probed interpreter reports it: it dates the report
        ("- **Python:** 3.11.15", "python.version", "3.11.15"),
        ("my python version is 3.8", "python.version", "3.8"),
        # "<name> version is <version>", as reporters write it
        ("My torch version is 2.1.0", "frameworks.torch.version", "2.1.0"),
        ("tensorflow version is 2.15.0", "frameworks.tensorflow.version", "2.15.0"),
        ("My cuDNN version is 8.9.7", "cuda.cudnn[]", "8.9.7 at (stated in prose)"),
        ("TensorFlow 2.7 with cuda_11.2", "frameworks.tensorflow.version", "2.7"),
        ("TensorFlow 2.7 with cuda_11.2", "cuda.toolkits[]", "11.2"),
        ("tensorflow-gpu==2.4.1 installed with pip", "frameworks.tensorflow.version", "2.4.1"),
        ("TF 2.10 on my box", "frameworks.tensorflow.version", "2.10"),
        ("keras 3.1.0 and jax 0.4.23", "frameworks.keras.version", "3.1.0"),
        ("keras 3.1.0 and jax 0.4.23", "frameworks.jax.version", "0.4.23"),
        ("Driver Version: 510.73.05", "driver.version", "510.73.05"),
        ("with the 470.82 driver", "driver.version", "470.82"),
        # a cuDNN stated as the machine's: DL202 weighs its major against the one asked for
        ("cuDNN 8.1.0 from the archive", "cuda.cudnn[]", "8.1.0 at (stated in prose)"),
        ("CUDA 12.1, cuDNN 8.9.7", "cuda.cudnn[]", "8.9.7 at (stated in prose)"),
        ("Windows 11, RTX 4090", "host.os", "Windows"),
        ("Ubuntu 22.04 LTS", "host.distro_version", "22.04"),
        ("my laptop GeForce RTX 3070", "gpus[0].name", "GeForce RTX 3070 Laptop GPU"),
        ("a Tesla K80 on AWS", "gpus[0].name", "Tesla K80"),
        ("NVIDIA A100 80GB", "gpus[0].name", "A100"),
        (
            'File "C:\\Users\\me\\AppData\\Local\\Programs\\Python\\Python312\\lib\\x.py"',
            "python.version",
            "3.12",
        ),
        ("/home/u/.local/lib/python3.8/site-packages/torch/__init__.py", "python.version", "3.8"),
        ("torch-2.3.0-cp313-cp313-win_amd64.whl", "python.version", "3.13"),
        ("Python 3.12.1", "python.version", "3.12.1"),
        # a bare CUDA major where it states what the machine has (NVIDIA/cudf#869)
        ("importing cudf on a CUDA 10 system fails", "cuda.toolkits[]", "10"),
        ("I have CUDA 12 installed", "cuda.toolkits[]", "12"),
        # glued in a list of parts (ISEE-Laboratory/LLMDet), the target of an upgrade
        # (ClementPinard/Pytorch-Correlation-extension#23)
        ("我的系统ubuntu20.04+nvidia530.30+cuda12.1+cudnn", "cuda.toolkits[]", "12.1"),
        ("Ps: I updated the cuda from 9.2 to 10.1.", "cuda.toolkits[]", "10.1"),
        # what nvcc said, in the reporter's words (longcw/faster_rcnn_pytorch#121)
        ("`nvcc --version` -> `9.2`", "cuda.toolkits[]", "9.2"),
        ("nvcc -V says 11.8", "cuda.toolkits[]", "11.8"),
        # a requirement or a build target is not what the machine has; the next mention is
        ("The model requires CUDA 12.8 but I have CUDA 11.8", "cuda.toolkits[]", "11.8"),
        ("torch was built with CUDA 12.1; my CUDA 11.4 install", "cuda.toolkits[]", "11.4"),
        ("With CUDA 12.2, I have encountered the following error", "cuda.toolkits[]", "12.2"),
        # a compute capability stated (pytorch/pytorch.github.io: "cuda capability 2.1")
        ("my old card (GeForce => cuda capability 2.1)", "gpus[0].compute_capability", "2.1"),
        # GPU names as users write them: glued (AlturosDestinations/Alturos.Yolo#162), a bare
        # model number beside a GPU word (QwenAudio/CosyVoice "有4080显卡", superpoint-pytorch
        # "2080Ti显卡", RVC "5090 rtx", deepfacelab_linux "GPU 4090"), GeForce without series
        ("It does not work on the RTX3060TI.", "gpus[0].name", "GeForce RTX 3060 Ti"),
        ("有4080显卡，却只使用CPU是怎么回事？", "gpus[0].name", "GeForce RTX 4080"),
        ("我目前所采用的设备是2080Ti显卡，8G显存", "gpus[0].name", "GeForce RTX 2080 Ti"),
        ("RVC1006Nvidia not working with 5090 rtx ?", "gpus[0].name", "GeForce RTX 5090"),
        ("  GPU 4090 *", "gpus[0].name", "GeForce RTX 4090"),
        ("my laptop 3070 GPU is idle", "gpus[0].name", "GeForce RTX 3070 Laptop GPU"),
        ("- Video: GeForce 1660 Super - 6GB RAM", "gpus[0].name", "GeForce GTX 1660"),
        # a GeForce 8/9 card by number and suffix (HKUST-Aerial-Robotics/open_quadtree_mapping#28)
        ("install it on a system with a NVidia 8400 GS.", "gpus[0].name", "GeForce 8400 GS"),
        # glued versions (alturos.yolo "Cuda10.2", chinese-ocr "tensorflow1.3+cudnn6.0.21",
        # mmdetection-mini "pytorch1.3.0+Python 3.6+CUDA10.1")
        ("tf2.10, torch1.13 and py3.8", "frameworks.tensorflow.version", "2.10"),
        ("tf2.10, torch1.13 and py3.8", "frameworks.torch.version", "1.13"),
        ("tf2.10, torch1.13 and py3.8", "python.version", "3.8"),
        ("我安装的是cudnn6.0.21", "cuda.cudnn[]", "6.0.21 at (stated in prose)"),
        ("按照pytorch1.3.0+Python 3.6+CUDA10.1来装的", "frameworks.torch.version", "1.3.0"),
        ("from torch-1.10.0+cu113.html", "frameworks.torch.version", "1.10.0+cu113"),
        # Chinese labels and full-width colons (lora-scripts "torch版本是2.4.0", ufold "cuda：11.7")
        ("venv中的torch版本是2.4.0：", "frameworks.torch.version", "2.4.0"),
        ("cuDNN:8.5.0\ncuda：11.7", "cuda.toolkits[]", "11.7"),
        ("我的CUDA版本是11.8", "cuda.toolkits[]", "11.8"),
        # a bare major stated as the version (DreamInvoker/GAIN: "我的cuda版本是11")
        ("我的cuda版本是11，请问一定需要10.2 的版本吗", "cuda.toolkits[]", "11"),
        ("my CUDA version is 12, the build wants 11", "cuda.toolkits[]", "12"),
        # what the program searches for is not what the machine has (traffic-light-detector)
        (
            "python is searching for cuda 8.0 but i have installed cuda 10.0",
            "cuda.toolkits[]",
            "10.0",
        ),
        ("NVIDIA驱动版本：535.104.05", "driver.version", "535.104.05"),
        ("- Python：3.12.3", "python.version", "3.12.3"),
        # Markdown labels (comfyui-nvidia-docker "- **NVIDIA Driver**: 570.195.03")
        ("- **NVIDIA Driver**: 570.195.03", "driver.version", "570.195.03"),
        ("**cuDNN**: 9.1.0", "cuda.cudnn[]", "9.1.0 at (stated in prose)"),
        # the OS in short forms (ctransformers "Ubuntu 22", numpy "win7", tfjs-to-tf "M1 Mac")
        ("OS: Ubuntu 22", "host.distro_version", "22"),
        ("on Ubuntu 18.04.", "host.distro_version", "18.04"),
        ("Windows: win7 x64", "host.os", "Windows"),
        # the 64-bit platform's names (jacobgil/pytorch-grad-cam: "I set up Anaconda for Win64")
        ("1. I set up Anaconda for Win64.", "host.os", "Windows"),
        ("conda platform: win-64", "host.os", "Windows"),
        # pip's line for an installed package (jupyter/docker-stacks#2166)
        (
            "Requirement already satisfied: torch in /opt/conda/lib/python3.11/site-packages "
            "(2.2.2+cu121)",
            "frameworks.torch.version",
            "2.2.2+cu121",
        ),
        (
            "Requirement already satisfied: tensorflow>=2.4 in /usr/lib/python3/dist-packages "
            "(from -r requirements.txt (line 1)) (2.15.0)",
            "frameworks.tensorflow.version",
            "2.15.0",
        ),
        # a range's bound is not the machine's Python; the next statement is
        ("Python 3.8 or later is required; I run python 3.11", "python.version", "3.11"),
    ],
)
def test_prose_states_a_fact(text: str, fact: str, value: str | None) -> None:
    found = _prose(text)
    assert found.get(fact) == value, found


@pytest.mark.parametrize(
    "text",
    [
        "I installed CUDA and torch, but my GPU is not used",  # no version: nothing
        "tf is not working",  # lower-case "tf" is a word, not TensorFlow
        "see table A2 in the paper",  # a short GPU name without a GPU word
        "the transformer has 2.7 billion parameters",
        "this package requires CUDA 12 or newer",  # a requirement, not what is installed
        "the model requires cuDNN 9.1",  # the same for cuDNN
        "ctranslate2 4.5.0, which uses cuDNN 9.2",  # a library's own cuDNN
        "RTX 50 series GPUs require CUDA 12.8 to function",
        "please add a wheel built against CUDA 12.4",
        "the code needs at least cuda capability 7.0",  # a requirement, not the GPU's
        "download the cuda12 build for a CUDA 12.x system",  # no minor: "12.x" is not a version
        "pip install pytorch-cuda11.8-builds",  # glued inside a longer name
        # bare numbers that are no GPU, words that are no framework
        "ran 3060 iterations on the GPU",
        "my 2080 x 1080 image",
        "a 3060 step schedule",
        "torchvision 0.8.2 and pytorch3d 0.7.1, tf2onnx 1.9.3",
        "cudnn 0.8.2",  # torchvision's version beside cuDNN's name (genippi)
        "it keeps looking for cuda 8.0",  # what a program looks for
        "run nvcc --version to check",  # a command, no version
        "the cuda version is 11.x or later",  # no bare major: a range
        "I run it with cudnn10.1",  # CUDA's version under cuDNN's name (vae_tacotron2)
        "driver 1.2",
        "8GB of RAM",
        # bounds of a range are not the machine's Python (brignet, idaes-pse)
        "wheels for the CUDA versions up to Python 3.9",
        "Python 3.9+ tests now throw errors",
        "supports python 3.8-3.11",
        # NGC containers are tagged by year and month, not by the framework's version
        # (NVIDIA-Merlin/NVTabular#1764)
        "I'm using the following container merlin-pytorch:22.12",
        "docker pull nvcr.io/nvidia/tensorflow:23.03-tf2-py3",
    ],
)
def test_vague_prose_states_nothing(text: str) -> None:
    assert _prose(text) == {}


@pytest.mark.parametrize(
    "text",
    [
        "on my M1 MacBook Pro",
        "an Apple Silicon machine",
        "M2 Max Mac",
        # where the reporter installs (render-examples/fastai-v3#4)
        "running into this error when trying to install the requirements on a mac",
        "it fails on my Mac too",
    ],
)
def test_prose_reads_an_apple_silicon_mac_as_macos(text: str) -> None:
    """(the message catalogue reads these too: prose alone must as well)"""
    from dlenv.importers.prose import parse_prose
    from dlenv.importers.sheet import FactSheet

    sheet = FactSheet()
    parse_prose(text, sheet)
    assert sheet.host.get("os") == "Darwin"


@pytest.mark.parametrize(
    ("text", "wsl"),
    [
        ("I am using the windows subsystem for Linux (wsl) with cuda=11.0", 2),
        # misspelt (taichi-dev/taichi#2460)
        ("not supported on Windows Subsytem for Linux", 2),
        ("it fails under WSL too", 2),
        ("on WSL1 with Ubuntu 18.04", 1),
    ],
)
def test_prose_reads_wsl_by_its_name(text: str, wsl: int) -> None:
    """WSL named in any of its forms is Linux under WSL (the version unstated is 2, the one with
    GPU support), never native Windows."""
    from dlenv.importers.prose import parse_prose
    from dlenv.importers.sheet import FactSheet

    sheet = FactSheet()
    parse_prose(text, sheet)
    assert sheet.host.get("os") == "Linux" and sheet.host.get("wsl") == wsl


def test_prose_never_overrides_a_table() -> None:
    text = (
        "PyTorch version: 2.1.0+cu121\nIs debug build: False\nCUDA used to build PyTorch: 12.1\n"
        "OS: Ubuntu 22.04.3 LTS (x86_64)\n\nI am on torch 1.13 really\n"
    )
    snap = import_text(text, "t").snapshot
    facts = flat_facts(snap)
    assert facts["frameworks[0].version"] == "2.1.0+cu121"


def test_a_paste_of_versions_alone_is_read_not_refused() -> None:
    """A paste that states versions but shows no error reports what it read and no problem."""
    imported = import_text("Ubuntu 22.04, driver 550.54.14, torch 2.3.1+cu121, RTX 4090\n", "t")
    facts = flat_facts(imported.snapshot)
    assert facts["driver.version"] == "550.54.14"
    assert facts["frameworks[0].version"] == "2.3.1+cu121"
    assert not imported.snapshot.reported_errors


@pytest.mark.parametrize(
    "line",
    [
        "torch" + " " * 200_000,
        "torch" + " ==" * 70_000,
        "driver " * 30_000,
        "python3." + "1" * 200_000,
        "RTX " * 50_000,
        "cuda_" * 40_000,
        "my 3090 " * 30_000,
        "4090" * 60_000 + "显卡",
        "cudnn" * 40_000,
        "python 3.9 " * 20_000,
        "torch1.1+" * 30_000,
        "[0] " + "x" * 200_000 + " | 77'C, | 1 / 2 MB",
        "[0] a |" + " 1'C," * 40_000,
        "Requirement already satisfied: torch in " + "/a" * 100_000,
        "Requirement already satisfied: torch in /a (from " + "(" * 100_000,
    ],
)
def test_prose_is_linear_on_long_lines(line: str) -> None:
    import time

    from dlenv.importers.prose import parse_prose
    from dlenv.importers.sheet import FactSheet

    start = time.perf_counter()
    parse_prose(line, FactSheet())
    assert time.perf_counter() - start < 1.0


def test_plain_template_fields_are_read_beside_marked_ones() -> None:
    """NVIDIA's template after its markdown is lost: "PyTorch Version (if applicable):1.12.1"
    (NVIDIA/TensorRT#3589) is an answer when other fields are marked or the paste is short; a
    tool's own "Label: value" lines (collect_env, nvidia-smi -q) are left to their parsers."""
    found = _prose(
        "**NVIDIA GPU**: GT 730\n"
        "**NVIDIA Driver Version**: 470.223.02\n"
        "Python Version (if applicable):3.9.12\n"
        "PyTorch Version (if applicable):1.12.1\n"
    )
    assert found.get("frameworks.torch.version") == "1.12.1", found
    assert found.get("python.version") == "3.9.12", found
    # one plain line alone is no template
    assert "frameworks.torch.version" not in _prose("the compiler version: 1.12.1\n")


@pytest.mark.parametrize(
    "text", ["a mac address", "on my machine", "on a macro benchmark", "on a mach-o binary"]
)
def test_a_mac_in_passing_is_no_operating_system(text: str) -> None:
    from dlenv.importers.prose import parse_prose
    from dlenv.importers.sheet import FactSheet

    sheet = FactSheet()
    parse_prose(text, sheet)
    assert sheet.host.get("os") != "Darwin"


def test_the_tag_of_a_wheel_pip_refused_is_not_the_interpreters_python() -> None:
    """The reporter named the wheel in the command and pip refused it lines later
    (Qengineering/TensorFlow-JetsonNano#2): its cp36 is the Python it did not fit, not the
    interpreter's; a wheel pip installed still states it."""
    refused = (
        "pip3 install ~/tensorflow-2.3.1-cp36-cp36m-linux_aarch64.whl\n\n"
        "ERROR: tensorflow-2.3.1-cp36-cp36m-linux_aarch64.whl is not a supported wheel on this "
        "platform.\n"
    )
    assert "python.version" not in _prose(refused)
    chosen = "pip3 install ~/tensorflow-2.3.1-cp36-cp36m-linux_aarch64.whl\nSuccessfully installed\n"
    assert _prose(chosen).get("python.version") == "3.6"


def test_prose_of_a_long_log_is_read_at_its_edges_with_true_line_numbers() -> None:
    """The middle of a long paste is a program's log: what the reporter wrote at its start and
    end is read, and the part's lines are the paste's own."""
    from dlenv.importers.prose import parse_prose
    from dlenv.importers.sheet import FactSheet
    from dlenv.importers.signatures import PROSE_EDGE

    noise = "step 1 loss 0.5\n" * (3 * PROSE_EDGE // 16)
    text = "I run torch 2.1.0 here\n" + noise + "torch 1.2.0 in the middle\n" + noise
    text += "and my python version is 3.10\n"
    sheet = FactSheet()
    part = parse_prose(text, sheet)
    assert part is not None
    assert sheet.framework("torch").get("version") == "2.1.0"
    assert sheet.python.get("version") == "3.10"
    lines = text.split("\n")
    assert part.first_line == 1
    assert lines[part.last_line - 1] == "and my python version is 3.10"


def test_the_version_a_reporter_moved_to_as_the_fix_is_not_the_machines() -> None:
    """julianklug/PerfusionCT-Net#3: "in a venv with python >3.7 … Downgrading to python 3.7
    solves that issue": 3.7 is where the reporter went, not the Python that failed; a version
    moved to that still fails is the machine's."""
    fixed = "pip install failed.\nDowngrading to python 3.7 solves that issue.\n"
    assert "python.version" not in _prose(fixed)
    still = "pip install failed.\nI downgraded to python 3.8 and still get the error.\n"
    assert _prose(still).get("python.version") == "3.8"

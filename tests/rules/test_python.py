from __future__ import annotations

from dataclasses import replace

from dlenv.fix.actions import InstallPackages, RemoveFromPath
from dlenv.snapshot.model import DuplicateDistribution, InstallFailure, PathEntry, Shadowing
from tests.rules.snapshots import cpu_machine, dist, fired, gpu_machine, only, tensorflow, torch


def test_dl501_python_outside_release_range() -> None:
    f = only(
        gpu_machine(frameworks=[tensorflow("2.15.1", "12.2", "8.9")], python="3.12.3"), "DL501"
    )
    assert f.evidence[0].needed == "3.9-3.11"
    assert (
        fired(
            gpu_machine(frameworks=[tensorflow("2.15.1", "12.2", "8.9")], python="3.11.9"), "DL501"
        )
        == []
    )
    # unknown release (not in the KB) or unknown Python: silent
    assert fired(gpu_machine(frameworks=[torch("9.9.0+cu999")], python="3.14.0"), "DL501") == []
    assert fired(cpu_machine(), "DL501") == []


def _py(s, **changes):  # type: ignore[no-untyped-def]
    return replace(s, python=replace(s.python, **changes))


def test_dl502_module_shadows_framework() -> None:
    sh = Shadowing(
        module="torch",
        path="/home/u/proj/torch.py",
        shadows="/venv/lib/python3.11/site-packages/torch",
        distribution="torch",
    )
    f = only(_py(gpu_machine(), shadowing=[sh]), "DL502")
    assert f.message == (
        "`import torch` would load /home/u/proj/torch.py instead of "
        "/venv/lib/python3.11/site-packages/torch."
    )
    other = replace(sh, module="utils", path="/home/u/proj/utils.py")
    assert fired(_py(gpu_machine(), shadowing=[other]), "DL502") == []


def test_dl503_pythonpath_entry_missing() -> None:
    entries = [PathEntry("/gone/src", False, "PYTHONPATH"), PathEntry("/ok", True, "PYTHONPATH")]
    f = only(_py(gpu_machine(), pythonpath=entries), "DL503")
    assert f.fixes == [
        RemoveFromPath(name="PYTHONPATH", entries=["/gone/src"], reason="it does not exist")
    ]
    assert fired(_py(gpu_machine(), pythonpath=entries[1:]), "DL503") == []


def test_dl504_duplicate_distribution() -> None:
    dup = DuplicateDistribution(
        name="torch",
        installs=[
            dist("torch", "2.1.0", "/home/u/.local/lib/python3.11/site-packages"),
            dist("torch", "2.3.1"),
        ],
    )
    f = only(_py(gpu_machine(), duplicates=[dup]), "DL504")
    assert f.title == "torch is installed 2 times"
    single = replace(dup, installs=dup.installs[:1])
    assert fired(_py(gpu_machine(), duplicates=[single]), "DL504") == []


# -- no wheel for this Python / platform: real installer errors as facts -----------------------
def _failed(s, *failures, **python):  # type: ignore[no-untyped-def]
    return _py(s, install_failures=list(failures), **python)


def test_dl501_no_wheel_for_this_python() -> None:
    # https://github.com/nuwandda/stable-diffusion-aging-time-lapse/issues/3: only 2.20 offered
    pinned = InstallFailure("tensorflow", "2.13.0", ["2.20.0rc0", "2.20.0"], message="...")
    f = only(_failed(cpu_machine(), pinned, version=None), "DL501")
    assert f.severity == "error" and "newer than that release supports (3.8-3.11)" in f.message
    assert (
        InstallPackages(
            packages=["tensorflow==2.20.0"], reason="a release that has wheels for this Python"
        )
        in f.fixes
    )
    # https://github.com/tensorflow/tensorflow/issues/79349: nothing at all for Python 3.13
    none = InstallFailure("tensorflow", None, [], message="(from versions: none)")
    f = only(_failed(cpu_machine(), none, version="3.13.0"), "DL501")
    assert "only from 2.20 on" in f.message
    assert "uv venv --python 3.12" in f.fixes[0].commands[0]  # type: ignore[union-attr]
    # a cp35 wheel offered to Python 3.4
    wheel = InstallFailure(
        "tensorflow", "1.10.0", wheel="tensorflow-1.10.0-cp35-none-linux_armv7l.whl"
    )
    assert "built for Python 3.5 only" in only(_failed(cpu_machine(), wheel), "DL501").message
    # a package dlenv does not know: nothing at all for a stated Python on a common platform is
    # probably the Python (a warning); with the Python unstated, or on ARM, not this rule
    other = InstallFailure("left-pad", None, [])
    f = only(_failed(cpu_machine(), other, version="3.13.0"), "DL501")
    assert f.severity == "warning" and "Python 3.13" in f.message
    assert fired(_failed(cpu_machine(), other, version=None), "DL501") == []
    arm = replace(cpu_machine(), host=replace(cpu_machine().host, arch="aarch64"))
    assert fired(_failed(arm, other, version="3.13.0"), "DL501") == []
    jaxlib = InstallFailure("jaxlib", "0.1.37", [])
    windows = replace(cpu_machine(), host=replace(cpu_machine().host, os="Windows"))
    assert fired(_failed(windows, jaxlib), "DL501") == []


def test_dl506_no_wheel_for_platform() -> None:
    # https://github.com/jax-ml/jax/issues/2187: jaxlib 0.1.37 on Windows
    jaxlib = InstallFailure("jaxlib", "0.1.37", [])
    windows = replace(cpu_machine(), host=replace(cpu_machine().host, os="Windows"))
    f = only(_failed(windows, jaxlib), "DL506")
    assert "before 0.4.13" in f.message and "wsl --install" in f.fixes[0].commands  # type: ignore[union-attr]
    # the same failure on Linux is no platform gap
    assert fired(_failed(cpu_machine(), jaxlib), "DL506") == []
    # 32-bit Python: no torch wheels
    torch32 = InstallFailure("torch", None, [])
    assert "32-bit" in only(_failed(windows, torch32, bits=32), "DL506").message
    assert fired(_failed(windows, torch32, bits=64, version="3.12.1"), "DL506") == []
    # tensorflow-cpu on an Apple Silicon Mac
    mac = replace(cpu_machine(), host=replace(cpu_machine().host, os="Darwin", arch="arm64"))
    tf_cpu = InstallFailure("tensorflow-cpu", None, [])
    assert "arm64" in only(_failed(mac, tf_cpu), "DL506").message


def test_dl501_dl506_the_installer_says_what_did_not_fit() -> None:
    # pip's "Package 'tensorflow' requires a different Python: 3.12.1 not in '<3.12,>=3.9'"
    stated = InstallFailure(
        "tensorflow", None, mismatch="python", requires_python="<3.12,>=3.9", message="..."
    )
    f = only(_failed(cpu_machine(), stated, version="3.12.1"), "DL501")
    assert "requires Python <3.12,>=3.9; this is Python 3.12" in f.message
    assert "uv venv --python 3.11" in f.fixes[0].commands[0]  # type: ignore[union-attr]
    # uv's hint names the wheels' tags, for a package outside the KB too
    tags = InstallFailure(
        "faiss-cpu", "1.8.0", mismatch="python", requires_python="cp39, cp310, cp312", message="╰─▶"
    )
    f = only(_failed(cpu_machine(), tags, version="3.13.0"), "DL501")
    assert f.message.startswith("uv could not install") and "cp39, cp310, cp312" in f.message
    assert "uv venv --python 3.12" in f.fixes[0].commands[0]  # type: ignore[union-attr]
    assert fired(_failed(cpu_machine(), tags, version="3.13.0"), "DL506") == []
    # conda's build list: the newest Python any of its builds needs
    conda = InstallFailure(
        "tensorflow", None, mismatch="python", requires_python=">=3.6,<3.7.0a0|>=3.7,<3.8.0a0"
    )
    f = only(_failed(cpu_machine(), conda, version="3.10.4"), "DL501")
    assert "uv venv --python 3.7" in f.fixes[0].commands[0]  # type: ignore[union-attr]
    # uv's "no wheels with a matching platform tag": DL506, not DL501
    platform = InstallFailure("onnxruntime", "1.20.1", mismatch="platform", message="hint: ...")
    f = only(_failed(cpu_machine(), platform, version="3.12.1"), "DL506")
    assert "no wheel for this platform" in f.message
    assert fired(_failed(cpu_machine(), platform, version="3.12.1"), "DL501") == []
    # nothing said about what did not fit, for a package outside the KB: no finding
    unsaid = InstallFailure("onnxruntime", "1.20.1")
    assert fired(_failed(cpu_machine(), unsaid, version="3.12.1"), "DL501") == []
    assert fired(_failed(cpu_machine(), unsaid, version="3.12.1"), "DL506") == []


def test_dl502_stdlib_module_shadowed() -> None:
    sh = Shadowing(module="inspect", path="/home/u/inspect.py")
    f = only(_py(cpu_machine(), shadowing=[sh]), "DL502")
    # found by the probes: a warning; quoted in a pasted traceback: the error itself
    assert f.severity == "warning"
    assert f.fixes[0].commands == [  # type: ignore[union-attr]
        "mv /home/u/inspect.py /home/u/inspect_script.py",
        "rm -rf /home/u/__pycache__ /home/u/inspect.pyc",
    ]
    pasted = replace(_py(cpu_machine(), shadowing=[sh]), origin="text")
    assert only(pasted, "DL502").severity == "error"


def test_dl505_foreign_site_packages_on_path() -> None:
    ros = PathEntry("/opt/ros/kinetic/lib/python2.7/dist-packages", True, "PYTHONPATH")
    own = PathEntry("/venv/lib/python3.7/site-packages", True, "site-packages")
    s = _py(cpu_machine(), version="3.7.3", sys_path=[own, ros], pythonpath=[ros])
    f = only(s, "DL505")
    assert f.severity == "error" and "packages of Python 2.7" in f.message
    assert f.fixes[0] == RemoveFromPath(
        name="PYTHONPATH", entries=[ros.path], reason="another Python's packages"
    )
    assert any("/opt/ros/kinetic/setup.bash" in c for c in f.fixes[1].commands)  # type: ignore[union-attr]
    # only the interpreter's own directories: nothing
    assert fired(_py(cpu_machine(), version="3.7.3", sys_path=[own]), "DL505") == []
    # another environment of the same Python on PYTHONPATH: a warning
    other = PathEntry("/home/u/envs/old/lib/python3.7/site-packages", True, "PYTHONPATH")
    s = _py(
        cpu_machine(), version="3.7.3", prefix="/venv", sys_path=[own, other], pythonpath=[other]
    )
    assert only(s, "DL505").severity == "warning"


def test_wheel_tags_python_tag_first_then_platform_tag() -> None:
    """A wheel file in hand exists for its platform: the Python tag differing wins, then a
    platform tag naming another OS; the KB's "no wheel published" gaps do not apply to it."""
    arm = InstallFailure(
        "tensorflow", "1.10.0", wheel="tensorflow-1.10.0-cp35-none-linux_armv7l.whl"
    )
    unknown = replace(cpu_machine(), host=replace(cpu_machine().host, os=None, arch=None))
    # Python not stated, nor the platform (a Raspberry Pi): check the Python tag first
    f = only(_failed(unknown, arm, version=None), "DL501")
    assert "built for Python 3.5 only" in f.message
    assert fired(_failed(unknown, arm, version=None), "DL506") == []
    # the Python matches the tag: the platform is what differs
    windows = replace(cpu_machine(), host=replace(cpu_machine().host, os="Windows"))
    linux_wheel = InstallFailure("torch", "2.3.1", wheel="torch-2.3.1-cp311-cp311-linux_x86_64.whl")
    assert fired(_failed(windows, linux_wheel, version="3.11.9"), "DL501") == []
    # Python unknown, but the wheel names another OS: the platform
    win_wheel = InstallFailure("torch", "2.3.1", wheel="torch-2.3.1-cp311-cp311-win_amd64.whl")
    assert fired(_failed(cpu_machine(), win_wheel, version=None), "DL501") == []
    f = only(_failed(cpu_machine(), win_wheel, version=None), "DL506")
    assert "built for win_amd64" in f.message


def _pasted_codes(text: str) -> list[tuple[str, str]]:
    from dlenv.importers.explain import explain_text

    findings = explain_text(text, "paste.txt", probe=False).report.findings
    return sorted({(f.code, f.severity) for f in findings if f.severity != "info"})


def test_installer_messages_end_to_end() -> None:
    # pip's "Ignored the following versions" names no package: it joins pip's next failure
    pip = (
        "ERROR: Ignored the following versions that require a different python version: "
        "1.21.2 Requires-Python >=3.7,<3.11; 1.21.3 Requires-Python >=3.7,<3.11\n"
        "ERROR: Could not find a version that satisfies the requirement numpy==1.21.2 "
        "(from versions: 1.26.0, 1.26.1)\n"
    )
    assert _pasted_codes(pip) == [("DL501", "error")]
    # alone it names no package: nothing for the install rules to judge
    alone = _pasted_codes(pip.splitlines()[0] + "\n")
    assert ("DL501", "error") not in alone and ("DL506", "error") not in alone
    uv = (
        "  ╰─▶ Because onnxruntime==1.20.1 has no wheels with a matching platform tag (e.g., "
        "`macosx_12_0_x86_64`) and you require onnxruntime==1.20.1, we can conclude that your "
        "requirements are unsatisfiable.\n"
    )
    assert _pasted_codes(uv) == [("DL506", "error")]
    assert _pasted_codes(uv.replace("platform tag", "Python ABI tag")) == [("DL501", "error")]


def test_dl501_when_the_release_asked_for_falls_in_a_gap_after_an_older_series() -> None:
    """goru001/inltk: torch==1.3.1+cpu on Python 3.8; pip lists torch's ancient 0.1.2 sdists
    and then 1.4.0 on: the releases of 1.3's era have no wheel for this Python. A version of
    the asked-for series in the list means something else is wrong."""
    pip = (
        "ERROR: Could not find a version that satisfies the requirement torch==1.3.1+cpu (from "
        "versions: 0.1.2, 0.1.2.post1, 0.1.2.post2, 1.4.0, 1.4.0+cpu, 1.5.0, 1.5.0+cpu)\n"
        "ERROR: No matching distribution found for torch==1.3.1+cpu\n"
    )
    assert ("DL501", "error") in _pasted_codes(pip)
    same_series = pip.replace("1.4.0, 1.4.0+cpu", "1.3.0, 1.4.0")
    assert ("DL501", "error") not in _pasted_codes(same_series)


def test_dl501_for_any_package_whose_every_listed_version_is_newer() -> None:
    """collabora/WhisperLive: onnxruntime==1.16.0 on Python 3.12, pip listing 1.17.0 on: that
    release has no wheel for this Python (a warning, onnxruntime being outside the knowledge
    base). Only older versions listed (onnxruntime==1.18.0 on RHEL 7) can be a platform floor
    (glibc) as well: not taken."""
    pip = (
        "ERROR: Could not find a version that satisfies the requirement onnxruntime==1.16.0 "
        "(from versions: 1.17.0, 1.17.1, 1.18.0, 1.20.1)\n"
        "ERROR: No matching distribution found for onnxruntime==1.16.0\n"
    )
    assert ("DL501", "warning") in _pasted_codes(pip)
    older = pip.replace("1.16.0", "1.18.0").replace(
        "1.17.0, 1.17.1, 1.18.0, 1.20.1", "1.12.0, 1.16.3"
    )
    assert not any(code == "DL501" for code, _ in _pasted_codes(older))


def test_python_import_messages_end_to_end() -> None:
    shadow = (
        "ImportError: cannot import name 'randint' from 'random' (consider renaming "
        "'/home/me/random.py' since it has the same name as the standard library module named "
        "'random' and prevents importing that standard library module)\n"
    )
    assert ("DL502", "error") in _pasted_codes(shadow)
    assert ("DL502", "error") in _pasted_codes(
        "AttributeError: module 'torch' has no attribute 'tensor'\n"
    )
    # a name TensorFlow 2 removed is no sign of shadowing
    removed = "AttributeError: module 'tensorflow' has no attribute 'placeholder'\nPython 3.10.4\n"
    assert ("DL502", "error") not in _pasted_codes(removed)
    foreign = (
        "ImportError: Python version mismatch: module was compiled for Python 3.12, but the "
        "interpreter version is incompatible: 3.10.12\n"
    )
    assert _pasted_codes(foreign) == [("DL505", "error")]
    assert _pasted_codes(
        "ImportError: Module use of python39.dll conflicts with this version of Python.\n"
    ) == [("DL505", "error")]


def test_user_site_command_and_platform_statements_end_to_end() -> None:
    # ~/.local/bin/torchrun (pip install --user) ran instead of the environment's own
    user_site = (
        'File "/n/home10/u/.local/bin/torchrun", line 8, in <module>\n'
        "ModuleNotFoundError: No module named 'kempnerforge'\n"
    )
    assert ("DL505", "error") in _pasted_codes(user_site)
    assert ("DL505", "error") not in _pasted_codes(user_site.replace(".local/bin", ".venv/bin"))
    # Raspbian is 32-bit ARM: PyPI's "from versions: none" is the platform, not the Python
    raspbian = (
        "Raspbian GNU/Linux 9\nCould not find a version that satisfies the requirement "
        "tensorflow (from versions: none)\n"
    )
    assert _pasted_codes(raspbian) == [("DL506", "error")]


def test_core_names_every_release_has() -> None:
    from dlenv.importers.catalog.converters import CONVERTERS

    core = CONVERTERS["core_attr"]
    assert core("pandas:DataFrame") == "pandas" and core("tensorflow:keras") == "tensorflow"
    # names a release removed or never had: no sign of shadowing
    assert core("numpy:float") is None and core("tensorflow:placeholder") is None
    assert core("left_pad:pad") is None


def test_installed_package_needing_a_newer_python_end_to_end() -> None:
    from dlenv.importers.explain import explain_text

    text = (
        '  File "/usr/local/lib/python3.6/dist-packages/torch/__init__.py", line 1\n'
        "    from __future__ import annotations\n"
        "SyntaxError: future feature annotations is not defined\n"
    )
    findings = explain_text(text, "paste.txt", probe=False).report.findings
    f = next(f for f in findings if f.code == "DL501" and f.severity == "error")
    assert "torch requires Python >=3.7; this is Python 3.6" in f.message
    # the user's own file: nothing installed to blame
    own = text.replace(
        "/usr/local/lib/python3.6/dist-packages/torch/__init__.py", "/home/u/model.py"
    )
    assert all(f.code != "DL501" for f in explain_text(own, "p.txt", probe=False).report.findings)


def test_dl506_for_a_package_the_kb_knows_is_linux_only_on_windows() -> None:
    """triton publishes Linux wheels only: pip's "from versions: none" on a Windows prompt is the
    platform (DL506), with the route; without any sign of the OS too (a Linux interpreter would
    have found its wheels), but not when the paste shows Linux."""
    from dlenv.importers.explain import explain_text

    def codes(text: str) -> set[str]:
        report = explain_text(text, "t", probe=False).report
        return {f.code for f in report.findings if f.severity in ("error", "warning")}

    failure = (
        "ERROR: Could not find a version that satisfies the requirement triton==2.0.0 "
        "(from versions: none)\nERROR: No matching distribution found for triton==2.0.0\n"
    )
    assert "DL506" in codes("(venv) E:\\proj>pip install triton==2.0.0\n" + failure)
    assert "DL506" in codes(failure)
    assert "DL506" not in codes("Running on Ubuntu 22.04\n" + failure)


def test_dl506_a_cuda_build_on_a_mac() -> None:
    """onnxruntime-gpu and CuPy's CUDA wheels exist for Linux and Windows only (NVIDIA ships no
    CUDA for macOS, microsoft/onnxruntime#12252): "from versions: none" on a Mac is the
    platform, with the non-CUDA build as the route; on aarch64 Linux the macOS gap says
    nothing, and the package is judged as any other."""
    from dlenv.importers.explain import explain_text

    failure = (
        "ERROR: Could not find a version that satisfies the requirement onnxruntime-gpu "
        "(from versions: none)\nERROR: No matching distribution found for onnxruntime-gpu\n"
    )
    mac = explain_text("Installing requirements on M1 Mac\n" + failure, "t", probe=False)
    [f] = [f for f in mac.report.findings if f.code == "DL506"]
    assert f.severity == "error" and "macOS" in f.message
    assert any("pip install onnxruntime " in c for a in f.fixes for c in getattr(a, "commands", []))
    arm = explain_text("uname -m: aarch64, Ubuntu 22.04\n" + failure, "t", probe=False)
    assert not [f for f in arm.report.findings if "macOS" in f.message]


def test_dl502_any_package_when_the_paste_proves_it() -> None:
    # a pasted traceback through the user's own onnx2keras.py: shadowing whatever the name
    mine = Shadowing(module="onnx2keras", path="/home/u/pose/onnx2keras.py")
    f = only(replace(_py(cpu_machine(), shadowing=[mine]), origin="text"), "DL502")
    assert f.severity == "error"
    assert f.fixes[0].commands[0] == (  # type: ignore[union-attr]
        "mv /home/u/pose/onnx2keras.py /home/u/pose/onnx2keras_script.py"
    )
    # the same fact from the probes, for a name dlenv does not know: not judged
    assert fired(_py(cpu_machine(), shadowing=[mine]), "DL502") == []
    # the traceback shows the installed package's own files: a cycle inside it, not shadowing
    inside = Shadowing(module="cv2", path="/venv/lib/python3.10/site-packages/cv2/__init__.py")
    assert fired(replace(_py(cpu_machine(), shadowing=[inside]), origin="text"), "DL502") == []


def test_shadowing_mechanisms_end_to_end() -> None:
    itself = (
        "Traceback (most recent call last):\n"
        '  File "/home/me/uvm/mlx.py", line 1, in <module>\n'
        "    import mlx.core as mx\n"
        "ModuleNotFoundError: No module named 'mlx.core'; 'mlx' is not a package\n"
    )
    assert ("DL502", "error") in _pasted_codes(itself)
    installed = (
        '  File "/env/lib/python3.11/site-packages/hf_olmo/configuration_olmo.py", line 8, in <module>\n'
        "    from olmo.config import ModelConfig\n"
        '  File "/srv/home/u/debug/olmo.py", line 5, in <module>\n'
        "    olmo = AutoModelForCausalLM.from_pretrained(name)\n"
    )
    assert ("DL502", "error") in _pasted_codes(installed)
    prose = (
        "AttributeError: partially initialized module 'ollama' has no attribute 'chat' "
        "(most likely due to a circular import)\n"
    )
    assert ("DL502", "error") in _pasted_codes(prose)
    # the project's own module, imported on purpose: nothing
    own = (
        '  File "/home/u/proj/train.py", line 8, in <module>\n'
        "    from models import Net\n"
        '  File "/home/u/proj/models.py", line 5, in <module>\n'
        "    import torch.nn as nn\n"
        "NameError: name 'x' is not defined\n"
    )
    assert ("DL502", "error") not in _pasted_codes(own)
    # a cycle inside an installed package's submodules: not a user's file
    inner = (
        "ImportError: cannot import name 'PromptTemplate' from partially initialized module "
        "'opencompass.openicl' (most likely due to a circular import) "
        "(/env/lib/python3.10/site-packages/opencompass/openicl/__init__.py)\n"
    )
    assert ("DL502", "error") not in _pasted_codes(inner)


def test_wheel_tags_and_supported_python_end_to_end() -> None:
    # any package: the refused wheel's cpXY tag against the Python the report states
    tagged = (
        "ERROR: torchao-0.6.1+git-cp312-cp312-win_amd64.whl is not a supported wheel on this "
        "platform.\nI am on Windows 10 with python 3.11\n"
    )
    assert ("DL501", "error") in _pasted_codes(tagged)
    assert ("DL506", "error") not in _pasted_codes(tagged)
    # the release supports this Python and pip saw nothing at all: the platform is why
    supported = (
        "ERROR: Could not find a version that satisfies the requirement tensorflow==2.10.1 "
        "(from versions: none)\nERROR: No matching distribution found for tensorflow==2.10.1\n"
        "Python 3.10.6\n"
    )
    assert _pasted_codes(supported) == [("DL506", "error")]
    too_new = supported.replace("Python 3.10.6", "Python 3.12.1")
    assert ("DL501", "error") in _pasted_codes(too_new)
    assert ("DL506", "error") not in _pasted_codes(too_new)


def test_dl506_reasoned_from_the_platform_when_pip_saw_nothing() -> None:
    # https://github.com/tensorflow/io/issues/1441: tensorflow-io 0.16.0 on a Jetson Nano (aarch64)
    tfio = InstallFailure("tensorflow-io", "0.16.0", [], message="(from versions: none)")
    jetson = replace(cpu_machine(), host=replace(cpu_machine().host, os="Linux", arch="aarch64"))
    f = only(_failed(jetson, tfio, version=None), "DL506")
    assert "aarch64" in f.message and f.fixes
    # the same failure on x86_64 Linux: no platform to blame
    x86 = replace(cpu_machine(), host=replace(cpu_machine().host, os="Linux", arch="x86_64"))
    assert fired(_failed(x86, tfio, version=None), "DL506") == []
    # a package outside the KB on Windows with Python 3.9 (sail-sg/jax_xc#32): a warning
    jax_xc = InstallFailure("jax-xc", None, [], message="(from versions: none)")
    windows = replace(cpu_machine(), host=replace(cpu_machine().host, os="Windows"))
    f = only(_failed(windows, jax_xc, version="3.9.18"), "DL506")
    assert f.severity == "warning" and "pypi.org/project/jax-xc" in (f.fixes[0].url or "")  # type: ignore[union-attr]
    # on Linux x86_64, or with a Python too old to say, nothing
    assert fired(_failed(x86, jax_xc, version="3.9.18"), "DL506") == []
    assert fired(_failed(windows, jax_xc, version="3.6.8"), "DL506") == []
    # pip saw releases: not "nothing for this platform"
    seen = InstallFailure("jax-xc", "0.0.1", ["0.0.7"], message="...")
    assert fired(_failed(windows, seen, version="3.9.18"), "DL506") == []


def test_dl402_from_a_tensorflow_gpu_list_ending_at_2_10() -> None:
    # https://github.com/nicknochnack/TFODCourse/issues: tensorflow-gpu==2.11 offered up to 2.10.1
    listed = ["2.8.0rc1", "2.8.0", "2.9.0", "2.9.3", "2.10.0rc3", "2.10.0", "2.10.1"]
    gpu211 = InstallFailure("tensorflow-gpu", "2.11", listed, message="(from versions: ...)")
    s = _failed(cpu_machine(), gpu211, version="3.10.6")
    f = only(s, "DL402")
    assert "native Windows" in f.message and "wsl --install" in f.fixes[0].commands  # type: ignore[union-attr]
    assert fired(s, "DL501") == []  # the Python is not why
    # a list that goes on past 2.10 says nothing about Windows
    later = InstallFailure("tensorflow-gpu", "2.12", [*listed, "2.11.0"], message="...")
    assert fired(_failed(cpu_machine(), later, version="3.10.6"), "DL402") == []
    # asking for 2.10 itself is not the Windows limit
    ten = InstallFailure("tensorflow-gpu", "2.10.5", listed, message="...")
    assert fired(_failed(cpu_machine(), ten, version="3.10.6"), "DL402") == []


def test_dl505_user_site_in_an_environment_traceback() -> None:
    """nextstrain/cli#309: a conda runtime's traceback continues into ~/.local/lib/python3.10:
    DL505 with PYTHONNOUSERSITE=1 first; a traceback that stays in the environment is silent."""
    from dlenv.fix.actions import SetEnv
    from dlenv.importers.explain import explain_text

    env = "/home/u/.nextstrain/runtimes/conda/env/lib/python3.10/site-packages"
    leak = (
        "Traceback (most recent call last):\n"
        f'  File "{env}/treetime/treetime.py", line 2, in <module>\n'
        "    from scipy import optimize as sciopt\n"
        '  File "/home/u/.local/lib/python3.10/site-packages/scipy/__init__.py", line 1\n'
        "ImportError: cannot import name 'x'\n"
    )
    found = [f for f in explain_text(leak, "t", probe=False).report.findings if f.code == "DL505"]
    assert len(found) == 1 and "user site" in found[0].message
    assert isinstance(found[0].fixes[0], SetEnv) and found[0].fixes[0].name == "PYTHONNOUSERSITE"
    inside = leak.replace("/home/u/.local/lib/python3.10/site-packages", env)
    assert all(f.code != "DL505" for f in explain_text(inside, "t", probe=False).report.findings)


def _paste_codes(text: str) -> dict[str, str]:
    from dlenv.importers.explain import explain_text

    return {f.code: f.severity for f in explain_text(text, "paste", probe=False).report.findings}


def test_dl501_compatible_release_specifier_names_the_release() -> None:
    # pip quotes the requirement as written: "~=2.4.0" is the 2.4 series, whose Python range
    # (3.6-3.8) decides, as "==2.4.0" would
    bad = "ERROR: No matching distribution found for tensorflow~=2.4.0\nPython 3.9.2\n"
    codes = _paste_codes(bad)
    assert codes.get("DL501") == "error" and "DL506" not in codes
    good = "ERROR: No matching distribution found for tensorflow~=2.4.0\nPython 3.8.10\n"
    assert "DL501" not in _paste_codes(good)


def test_dl506_torch_cuda_build_missing_for_the_platform(no_priors: None) -> None:
    # a Mac asked PyTorch's CUDA index: no CUDA wheel exists for macOS, whatever the Python
    mac = (
        "Johns-MacBook-Pro:~ john$ pip install torch==2.2.0 --index-url "
        "https://download.pytorch.org/whl/cu121\n"
        "Looking in indexes: https://download.pytorch.org/whl/cu121\n"
        "ERROR: Could not find a version that satisfies the requirement torch==2.2.0 "
        "(from versions: none)\n"
    )
    codes = _paste_codes(mac)
    assert codes.get("DL506") == "error" and "DL501" not in codes
    # pip listed the release itself from PyPI, the CUDA links page had no +cu build of it here
    listed = (
        "Looking in links: https://download.pytorch.org/whl/torch_stable.html\n"
        "ERROR: Could not find a version that satisfies the requirement torch==1.13.1+cu117 "
        "(from versions: 1.12.1, 1.13.0, 1.13.1, 2.0.0)\n"
    )
    assert _paste_codes(listed).get("DL506") == "error"
    # good: the same pin without the CUDA links page searched is a missing index, not the
    # platform; and a Linux machine on the CUDA index with nothing seen is not this reasoning
    assert "DL506" not in _paste_codes(listed.split("\n", 1)[1])
    linux = mac.replace("Johns-MacBook-Pro:~ john$", "user@gpu-box:~$")
    assert "DL506" not in _paste_codes(linux)


def test_dl505_a_reinstall_that_did_not_change_the_imported_version() -> None:
    """cloveranon/Clover-Edition#128: "I even tried to reinstall it ... but somehow it's still
    finding a wrong version" (an old torch in ~/.local/lib/python3.7): a warning naming the
    commands that show which copy Python imports; a reinstall that worked says nothing."""
    from dlenv.importers.explain import explain_text

    def found(text: str) -> list[tuple[str, str]]:
        report = explain_text(text, "t", probe=False).report
        return [(f.code, f.severity) for f in report.findings if f.code.startswith("DL5")]

    bad = (
        "I figured it was a wrong Torch version. I even tried to reinstall it without using "
        "cache but somehow it's still finding a wrong version on my system:\n"
        ">>> import torch\n>>> print(torch.__version__)\n1.1.0\n"
    )
    assert found(bad) == [("DL505", "warning")]
    report = explain_text(bad, "t", probe=False).report
    [f] = [f for f in report.findings if f.code == "DL505"]
    assert 'python -c "import torch; print(torch.__version__, torch.__file__)"' in (
        f.fixes[0].commands
    )
    good = "I reinstalled torch 2.1.0 and now it imports the new version on Python 3.10\n"
    assert found(good) == []


def test_dl506_from_condas_solver_and_the_platform_its_subdir_names() -> None:
    """gdsfactory/sax#17: mamba on Windows, every jax needs a jaxlib "which does not exist";
    conda names its platform in channel URLs and `conda info` ("platform : win-64"). jaxlib
    has no native Windows build before 0.4.13: DL506. The same solver error on linux-64 is not
    a platform gap the knowledge base knows of."""
    from dlenv.importers.explain import explain_text

    def found(text: str) -> list[str]:
        report = explain_text(text, "t", probe=False).report
        return [f.code for f in report.findings if f.severity in ("error", "warning")]

    solver = (
        "Could not solve for environment specs\n"
        "   ├─ jax 0.3.14 would require\n"
        "   │  └─ jaxlib >=0.3.7 , which does not exist (perhaps a missing channel);\n"
    )
    assert found("conda-forge/win-64    Using cache\n" + solver) == ["DL506"]
    not_found = (
        "PackagesNotFoundError: The following packages are not available from current "
        "channels:\n\n  - jaxlib\n\nCurrent channels:\n\n"
        "  - https://conda.anaconda.org/conda-forge/{sub}\n"
    )
    assert found(not_found.format(sub="win-64")) == ["DL506"]
    report = explain_text(not_found.format(sub="osx-arm64"), "t", probe=False).report
    assert (report.snapshot.host.os, report.snapshot.host.arch) == ("Darwin", "arm64")
    assert "DL506" not in found(not_found.format(sub="linux-64"))


# -- DL501: nothing found for a Python the reporter calls new ----------------------------------
def test_dl501_nothing_found_for_a_python_said_to_be_new() -> None:
    # https://github.com/pradyunsg/vendoring/issues/16: a package outside the KB, Python 3.9
    # just moved to; the maintainer: "It's due to the ~= 3.8.0 in the project's Python-Requires"
    failure = (
        "ERROR: Could not find a version that satisfies the requirement vendoring\n"
        "ERROR: No matching distribution found for vendoring\n"
    )
    pip = "pip 20.2.3 from /usr/lib/python3.9/site-packages/pip (python 3.9)\n"
    said = "I was upgrading my pipx-managed commands today for Python 3.9 when it failed.\n"
    assert _paste_codes(said + pip + failure).get("DL501") == "warning"
    # the same failure without the statement: nothing says the Python is why
    assert "DL501" not in _paste_codes(pip + failure)


def test_dl501_framework_release_lagging_the_newest_python() -> None:
    # https://github.com/GoogleCloudPlatform/tensorflow-without-a-phd/pull/33 (2018: no
    # TensorFlow wheel for Python 3.7 yet)
    text = (
        'You\'ll get a "Could not find a version that satisfies the requirement tensorflow" '
        "when running 'pip3 install --upgrade tensorflow' using latest python, which is 3.7.\n"
    )
    assert _paste_codes(text).get("DL501") == "error"
    # a release asked for whose range holds the Python: the statement does not make it DL501
    pinned = (
        "I moved to Python 3.9 and now:\n"
        "ERROR: No matching distribution found for tensorflow==2.5.0\n"
    )
    assert "DL501" not in _paste_codes(pinned)


# -- DL506: pip's list of versions ends at the last release of a platform ----------------------
_TORCH_TO_222 = ["1.11.0", "1.13.1", "2.0.1", "2.1.2", "2.2.0", "2.2.1", "2.2.2"]


_NO_PLATFORM = {"version": None, "machine": None, "platform": None}


def _unknown_platform():  # type: ignore[no-untyped-def]
    """A paste that states no OS or CPU."""
    s = cpu_machine()
    return replace(s, host=replace(s.host, os=None, arch=None))


def test_dl506_list_ending_at_a_platforms_last_release() -> None:
    # https://github.com/datalab-to/marker/issues/666: torch==2.5.1, pip lists up to 2.2.2 (the
    # last release with Intel Mac wheels): the platform, not the Python
    failure = InstallFailure("torch", "2.5.1", _TORCH_TO_222, message="(from versions: ...)")
    f = only(_failed(_unknown_platform(), failure, **_NO_PLATFORM), "DL506")
    assert f.severity == "warning" and "probably this is an Intel Mac" in f.message
    assert f.fixes[0].packages == ["torch==2.2.2"]  # type: ignore[union-attr]
    assert fired(_failed(_unknown_platform(), failure, **_NO_PLATFORM), "DL501") == []
    # shown to be an Intel Mac: an error, said without "probably"
    mac = replace(cpu_machine(), host=replace(cpu_machine().host, os="Darwin", arch="x86_64"))
    g = only(_failed(mac, failure, version=None), "DL506")
    assert g.severity == "error" and "probably" not in g.message


def test_list_ending_at_a_pythons_last_release_stays_dl501() -> None:
    # torch 2.4.1 is the last release for Python 3.8: that list names the Python
    to_241 = InstallFailure("torch", "2.5.1", ["2.2.2", "2.3.1", "2.4.0", "2.4.1"], message="...")
    assert fired(_failed(_unknown_platform(), to_241, **_NO_PLATFORM), "DL506") == []
    assert only(_failed(_unknown_platform(), to_241, **_NO_PLATFORM), "DL501").severity == "error"
    # a list ending at 2.2.2 on a machine shown to be Linux: not the Intel Mac's end
    linux = replace(cpu_machine(), host=replace(cpu_machine().host, os="Linux", arch="x86_64"))
    to_222 = InstallFailure("torch", "2.5.1", _TORCH_TO_222, message="...")
    assert fired(_failed(linux, to_222, version=None), "DL506") == []
    # the release asked for is inside the list: nothing to reason about
    inside = InstallFailure("torch", "2.1.5", _TORCH_TO_222, message="...")
    assert fired(_failed(_unknown_platform(), inside, **_NO_PLATFORM), "DL506") == []


def test_dl506_list_end_for_a_package_outside_the_framework_tables() -> None:
    # https://github.com/NousResearch/hermes-agent/issues/81560: onnxruntime==1.27.0, pip lists
    # up to 1.23.2 (the last with macOS x86_64 wheels)
    listed = ["1.15.0", "1.20.1", "1.22.1", "1.23.0", "1.23.1", "1.23.2"]
    failure = InstallFailure("onnxruntime", "1.27.0", listed, message="...")
    f = only(_failed(_unknown_platform(), failure, **_NO_PLATFORM), "DL506")
    assert "onnxruntime==1.23.2" in f.fixes[0].packages  # type: ignore[union-attr]
    shorter = InstallFailure("onnxruntime", "1.27.0", listed[:-1], message="...")
    assert fired(_failed(_unknown_platform(), shorter, **_NO_PLATFORM), "DL506") == []


def test_poetry_wheels_skipped_for_abi_tags_end_to_end() -> None:
    # https://github.com/mindverse/Second-Me/issues/32: Poetry skipped all 17 torch 2.5.1 wheels
    # on an Intel Mac with Python 3.12, which torch 2.5.1 supports
    text = (
        "    | Unable to find installation candidates for torch (2.5.1)\n"
        "    |   - 17 wheel(s) were skipped as your project's environment does not support the "
        "identified abi tags\n"
        "python version 3.12\n"
    )
    assert _pasted_codes(text) == [("DL506", "error")]
    # the same on a Python 3.8, outside torch 2.5.1's range: the Python
    assert ("DL501", "error") in _pasted_codes(text.replace("3.12", "3.8"))


def test_dl506_wheel_word_size_against_the_pythons() -> None:
    # https://github.com/pydantic/pydantic-core/issues/1687: pip debug shows a 32-bit Python
    # ("MSC v.1938 32 bit (Intel)", tags ...-win32) offered a win_amd64 wheel
    wheel = InstallFailure(
        "pydantic-core",
        "2.20.1",
        wheel="pydantic_core-2.20.1-cp311-none-win_amd64.whl",
        message="ERROR: pydantic_core-2.20.1-cp311-none-win_amd64.whl is not a supported wheel",
    )
    windows = replace(cpu_machine(), host=replace(cpu_machine().host, os="Windows"))
    on_win = {"version": "3.11.9", "platform": "win32"}
    f = only(_failed(windows, wheel, bits=32, **on_win), "DL506")
    assert "32-bit Python" in f.message and f.severity == "error"
    # named alone (no installer error) on a 64-bit Python: its tags fit, nothing to say
    named = replace(wheel, message=wheel.wheel)
    assert fired(_failed(windows, named, bits=64, **on_win), "DL506") == []
    assert only(_failed(windows, named, bits=32, **on_win), "DL506").severity == "warning"
    # a win32 wheel on a 64-bit Python is the same mismatch the other way round
    win32 = replace(wheel, wheel="pydantic_core-2.20.1-cp311-none-win32.whl")
    assert "64-bit Python" in only(_failed(windows, win32, bits=64, **on_win), "DL506").message


def test_pip_debug_word_size_and_a_wheel_named_alone_end_to_end() -> None:
    text = (
        "pydantic_core-2.20.1-cp311-none-win_amd64.whl\n"
        "sys.version: 3.11.9 (tags/v3.11.9:de54cf5, Apr 2 2024, 10:00:00) "
        "[MSC v.1938 32 bit (Intel)]\n"
        "cp311-cp311-win32\n"
    )
    assert _pasted_codes(text) == [("DL506", "warning")]
    # the same wheel named on a 64-bit Python: its tags fit, nothing to say
    assert _pasted_codes(text.replace("32 bit", "64 bit").replace("-win32", "-win_amd64")) == []


def test_said_not_installable_every_alternative_states_the_failure() -> None:
    # https://github.com/LyuJ1998/HandTailor/issues/9 (the third alternative: "installation
    # problem of jaxlib on Windows") and the second ("I cannot install jaxlib on Windows")
    for said in (
        "Hello, how to solve the installation problem of jaxlib on Windows?\n",
        "I cannot install jaxlib on Windows PC (CPU only).\n",
        "Jaxlib can't be installed under Windows\n",
    ):
        assert _pasted_codes(said) == [("DL506", "warning")], said
    # the package installed and running on Windows: nothing said about installing it
    assert _pasted_codes("I installed jaxlib on Windows and it works\n") == []


def test_dl506_nothing_found_on_a_raspberry_pi_not_shown_64_bit() -> None:
    # https://github.com/rhasspy/piper/issues/543: "pip install onnxruntime" finds nothing on a
    # Raspberry Pi 4; the maintainer: "Is this for a 32-bit OS?"
    text = (
        "I'm having a terrible time getting it installed on my RasPi 4.\n"
        '"pip install onnxruntime" gives Error: No matching distribution found for onnxruntime.\n'
    )
    assert ("DL506", "warning") in _pasted_codes(text)
    # the sentence's full stop is not part of the package's name
    snap = __import__("dlenv.importers.explain", fromlist=["x"]).explain_text(
        text, "paste.txt", probe=False
    )
    assert [f.package for f in snap.report.snapshot.python.install_failures] == ["onnxruntime"]
    # shown to run the 64-bit OS: not this reasoning
    pi = replace(cpu_machine(), host=replace(cpu_machine().host, cpu_model="Raspberry Pi 4"))
    torch_none = InstallFailure("torch", None, [], message="(from versions: none)")
    on_64 = _failed(replace(pi, host=replace(pi.host, arch="aarch64")), torch_none)
    assert "32-bit OS" not in only(on_64, "DL506").message
    armv7 = _failed(replace(pi, host=replace(pi.host, arch="armv7l")), torch_none)
    assert only(armv7, "DL506").severity == "error"


def test_dl505_numpy_c_api_mismatch_end_to_end() -> None:
    """lkreidberg/batman, moble/quaternion: an extension built against a newer NumPy C API than
    the numpy imported; the version numbers name the NumPy release it needs."""
    from dlenv.importers.explain import explain_text

    api = (
        "RuntimeError: module compiled against API version 0xf but this version of numpy is 0xe\n"
        "Traceback (most recent call last):\n"
        '  File "/env/lib/python3.9/site-packages/batman/transitmodel.py", line 18, in <module>\n'
        "    from . import _nonlinear_ld\n"
        "ImportError: numpy.core.multiarray failed to import\n"
    )
    assert _pasted_codes(api) == [("DL505", "error")]
    f = next(
        f for f in explain_text(api, "p.txt", probe=False).report.findings if f.code == "DL505"
    )
    assert f.evidence[0].needed == "numpy C API >= 0xf (NumPy 1.22+)"
    assert f.fixes[0] == InstallPackages(
        packages=["numpy>=1.22"],
        reason="the extension needs at least the NumPy it was built against",
    )
    # the failed import alone (the reason cut off) still names the cause
    assert _pasted_codes("ImportError: numpy.core.multiarray failed to import\n") == [
        ("DL505", "error")
    ]
    # NumPy 2 refusing a module built with NumPy 1.x: pin numpy<2
    numpy2 = (
        "A module that was compiled using NumPy 1.x cannot be run in\n"
        "NumPy 2.0.0 as it may crash. To support both 1.x and 2.x\n"
    )
    assert _pasted_codes(numpy2) == [("DL505", "error")]
    # the API line alone (numpy 1.x printed it and some imports went on) is a warning
    alone = (
        "RuntimeError: module compiled against API version 0xc but this version of numpy is 0xb\n"
    )
    assert _pasted_codes(alone) == [("DL505", "warning")]
    # a DLL that failed to load is not NumPy's C-API check
    dll = (
        "ImportError: DLL load failed while importing _multiarray_umath: The specified module "
        "could not be found.\n"
    )
    assert ("DL505", "error") not in _pasted_codes(dll)


def test_dl502_package_without_its_namesake_end_to_end() -> None:
    """osome-iu/botometer-python, mapequation/infomap, KindXiaoming/pykan: the package lacks its
    own namesake, so what was imported is probably the user's file of that name (a warning)."""
    assert _pasted_codes("AttributeError: module 'botometer' has no attribute 'Botometer'\n") == [
        ("DL502", "warning")
    ]
    star = (
        "from kan import *\nmodel = KAN(width=[2,5,1])\n\nerror:\n"
        "NameError: name 'KAN' is not defined\n"
    )
    assert _pasted_codes(star) == [("DL502", "warning")]
    # another attribute, or another undefined name: no sign of shadowing
    assert ("DL502", "warning") not in _pasted_codes(
        "AttributeError: module 'botometer' has no attribute 'BotometerLite'\nPython 3.10.4\n"
    )
    assert ("DL502", "warning") not in _pasted_codes(
        "from kan import *\nNameError: name 'model' is not defined\nPython 3.10.4\n"
    )


def test_dl506_piwheels_index_marks_a_raspberry_pi() -> None:
    """xuancong84/pikaraoke: pip on Raspberry Pi OS searches piwheels (its /etc/pip.conf); no
    torch release at all there is the Pi's 32-bit ARM, not the Python version."""
    pi = (
        "pi@pikaraoke:~/pikaraoke $ pip3 install torch\n"
        "Looking in indexes: https://pypi.org/simple, https://www.piwheels.org/simple\n"
        "Collecting torch\n"
        "  Could not find a version that satisfies the requirement torch (from versions: )\n"
        "No matching distribution found for torch\n"
    )
    assert _pasted_codes(pi) == [("DL506", "warning")]
    # the same failure with PyTorch's own index searched: nothing says Raspberry Pi (nothing
    # listed with no Python named is, probably, the word size: no Pi in the reasoning)
    other = pi.replace("https://www.piwheels.org/simple", "https://download.pytorch.org/whl/cpu")
    from dlenv.importers.explain import explain_text

    found = explain_text(other, "p.txt", probe=False).report.findings
    assert not any("Raspberry" in f.message for f in found)


def test_dl502_source_checkout_and_a_package_named_in_the_same_name_sentence() -> None:
    """zhanghang1989/PyTorch-Encoding: the checkout's encoding/ lacks the compiled `cpu` the
    installed package has; kitzeslab/opensoundscape: the sentence saying "same name" names
    torch."""
    checkout = (
        "Traceback (most recent call last):\n"
        '  File "/home/szy/PyTorch-Encoding/encoding/functions/encoding.py", line 15, in <module>\n'
        "    from encoding import cpu\n"
        "ImportError: cannot import name 'cpu'\n"
    )
    assert _pasted_codes(checkout) == [("DL502", "error")]
    installed = checkout.replace(
        "/home/szy/PyTorch-Encoding/", "/opt/conda/lib/python3.6/site-packages/"
    )
    assert ("DL502", "error") not in _pasted_codes(installed)
    said = (
        "It might be a problem that we have a dependency and module with the same name "
        "(torch and /opensoundscape/torch).\n"
    )
    assert _pasted_codes(said) == [("DL502", "warning")]
    assert ("DL502", "warning") not in _pasted_codes(
        "Two of my GPUs have the same name in nvidia-smi.\nPython 3.10.4\n"
    )


def test_dl501_from_the_reporters_version_missing_words() -> None:
    """FontaineRiant/wrAIter: "Required torch version dosn't exist." is pip's "Could not find a
    version" in the reporter's words: the Python version is the usual cause (a warning)."""
    assert _pasted_codes("Required torch version dosn't exist.\n") == [("DL501", "warning")]
    assert _pasted_codes("the torch version does not matter here\nPython 3.10.4\n") == []


def test_dl506_alpine_musl_has_no_framework_wheels() -> None:
    """docker-library/python: on python:3.7-alpine pip finds no torch wheel (manylinux only) and
    falls back to the 0.1.2 placeholder sdist; a glibc image is the fix, not another Python."""
    alpine = (
        "I'm trying to install PyTorch on the `python:3.7-alpine` image.\n"
        "/ # pip3.7 install --no-cache-dir torch\n"
        "Collecting torch\n"
        "  Downloading https://files.pythonhosted.org/packages/5f/e9/00/"
        "torch-0.1.2.post1.tar.gz\n"
    )
    assert _pasted_codes(alpine) == [("DL506", "error")]
    # the same fallback on a glibc image is not Alpine's (and not a glibc floor either)
    slim = alpine.replace("python:3.7-alpine", "python:3.7-slim")
    assert ("DL506", "error") not in _pasted_codes(slim)
    assert ("DL507", "warning") not in _pasted_codes(slim)


def test_dl505_numpy2_dtype_size_and_array_api() -> None:
    """numpy/numpy#26710: a module built against NumPy 1.x imported with NumPy 2."""
    from dlenv.importers.explain import explain_text

    size = (
        "ValueError: numpy.dtype size changed, may indicate binary incompatibility. "
        "Expected 96 from C header, got 88 from PyObject\n"
    )
    assert _pasted_codes(size) == [("DL505", "error")]
    f = next(
        f for f in explain_text(size, "p.txt", probe=False).report.findings if f.code == "DL505"
    )
    assert f.fixes[0] == InstallPackages(
        packages=["numpy<2"], reason="the extensions here were built against NumPy 1.x"
    )
    assert _pasted_codes("AttributeError: _ARRAY_API not found\n") == [("DL505", "error")]
    # a paste cut after "from C header" (misdoro/Electronic_load_px100#30) still names NumPy 1's
    # dtype size; another size alone is the generic reading, not NumPy 2's
    cut = size.split(", got")[0] + "\n"
    assert _pasted_codes(cut) == [("DL505", "error")]
    f = next(
        f for f in explain_text(cut, "p.txt", probe=False).report.findings if f.code == "DL505"
    )
    assert "NumPy 2" in f.message
    other = cut.replace("Expected 96", "Expected 80")
    g = next(
        f for f in explain_text(other, "p.txt", probe=False).report.findings if f.code == "DL505"
    )
    assert "NumPy 2" not in g.message


def test_dl501_pip_version_dates_a_new_python() -> None:
    """pypa/pip#11056: pip 22.0.4 dates the report to early 2022, when Python 3.10 was the newest
    Python and onnxruntime had no wheels for it yet; the same failure with a pip from long after
    the Python's release names the platform instead."""
    new = (
        "pip 22.0.4 from C:\\Python310\\lib\\site-packages\\pip (python 3.10)\n"
        "ERROR: Could not find a version that satisfies the requirement onnxruntime "
        "(from versions: none)\n"
        "ERROR: No matching distribution found for onnxruntime\n"
        "OS: Windows 10\n"
    )
    assert _pasted_codes(new) == [("DL501", "warning")]
    later = new.replace("pip 22.0.4", "pip 24.0")
    assert ("DL501", "warning") not in _pasted_codes(later)


def test_kb_pip_and_python_release_months() -> None:
    from dlenv.kb.wheels import newest_python_at, pip_release_month

    assert pip_release_month("22.0.4") == (2022, 1)
    assert pip_release_month("23.3.1") == (2023, 10)
    assert pip_release_month("9.0.1") == (2016, 11)
    assert pip_release_month("not a version") is None
    assert newest_python_at((2022, 1)) == ("3.10", (2021, 10))
    assert newest_python_at((2010, 1)) is None


_NONE = (
    "ERROR: Could not find a version that satisfies the requirement {pkg} (from versions: none)\n"
    "ERROR: No matching distribution found for {pkg}\n"
)


def test_dl506_python_dated_after_the_first_wheels_for_it() -> None:
    """A Python whose bugfix level dates it after the first release with wheels for its minor:
    pip would list releases for it, so nothing listed names the platform (tensorflow/tensorflow
    #41871: Python 3.8.5 on Windows, a 32-bit install)."""
    late = "Python version: 3.8.7\n" + _NONE.format(pkg="tensorflow")
    assert _pasted_codes(late) == [("DL506", "warning")]
    # a Python 3.8 that may predate TensorFlow 2.2 (May 2020): the paste cannot settle it, so
    # both candidates are reported, as warnings (CorentinJ/Real-Time-Voice-Cloning#534)
    early = "Using python version 3.8.1.\n" + _NONE.format(pkg="tensorflow")
    assert _pasted_codes(early) == [("DL501", "warning"), ("DL506", "warning")]
    # good: a Python newer than every release is the Python's fault alone
    new = "Python 3.30.0\n" + _NONE.format(pkg="tensorflow")
    assert ("DL506", "warning") not in _pasted_codes(new)


def test_dl506_nothing_listed_and_no_python_named_is_the_word_size_first() -> None:
    """milksense/venus#8, NikhilCodes/VirtualBLU#2: pip's own "from versions: none" for torch
    or TensorFlow with neither the Python nor a release named: probably a 32-bit Python."""
    f = _pasted_codes(_NONE.format(pkg="torch"))
    assert f == [("DL506", "warning")]
    # a retyped message in a title keeps what pip saw (RyanKor/2021-google-ml-bootcamp#24)
    typed = (
        "could not find a version that satisfies the requirement tensorflow (from versions none)\n"
    )
    assert _pasted_codes(typed) == [("DL506", "warning")]
    # good for DL506: no list shown, or a release asked for, keeps the Python reading
    bare = "ERROR: No matching distribution found for torch\n"
    assert ("DL506", "warning") not in _pasted_codes(bare)
    asked = _NONE.format(pkg="torch==1.10.0")
    assert ("DL506", "warning") not in _pasted_codes(asked)


def test_kb_first_wheels_for_python_and_python_dates() -> None:
    from dlenv.kb import load
    from dlenv.kb.queries import python_in_range
    from dlenv.kb.wheels import _first_wheels, first_wheels_for_python, python_released_by

    assert python_released_by("3.8.5") == (2020, 5)
    assert python_released_by("3.12") == (2023, 10)
    assert python_released_by("2.5.1") is None
    first = first_wheels_for_python("tensorflow", "3.12.4")
    assert first is not None and first.release == "2.16.1" and first.month == (2024, 3)
    assert first_wheels_for_python("jaxlib", "3.12") is None
    numpy = first_wheels_for_python("numpy", "3.12")
    assert numpy is not None and numpy.release == "1.26.0"
    # each row agrees with the release tables: that release supports the Python, the one before
    # it (where the KB has it) does not
    kb = load()
    for row in _first_wheels():
        if row.package not in ("torch", "tensorflow"):
            continue  # numpy: no release table to agree with
        releases = kb.torch if row.package == "torch" else kb.tensorflow
        mm = ".".join(row.release.split(".")[:2])
        r = next(r for r in releases if r.version == mm)
        assert python_in_range(row.python, r.python_min, r.python_max), row


def test_dl501_stated_python_ceiling_against_the_python_here() -> None:
    """pKrime/brignet#21: the report says the builds it needs go only up to Python 3.9, and the
    paste runs in Blender 3.2, which bundles Python 3.10 (kb/data/wheels.json)."""
    blender = (
        "Read prefs: C:\\Users\\P\\AppData\\Roaming\\Blender Foundation\\Blender\\3.2\\config\\"
        "userpref.blend\n"
        "pip cannot resolve it: the wheel listing only offers the CUDA builds up to Python 3.9.\n"
    )
    assert _pasted_codes(blender) == [("DL501", "warning")]
    stated = "Python 3.11.4\nThis project supports python 3.8 ~ 3.10 only.\n"
    assert _pasted_codes(stated) == [("DL501", "warning")]
    # good: the Python here is within the ceiling, or the paste shows no Python at all
    assert _pasted_codes(blender.replace("up to Python 3.9", "up to Python 3.10")) == []
    assert _pasted_codes("Python 3.9.7\nit only has builds up to Python 3.9.\n") == []
    assert _pasted_codes("The builds go up to Python 3.9.\n") == []


def test_kb_bundled_python() -> None:
    from dlenv.kb.wheels import bundled_python

    assert bundled_python("blender", "3.2") is not None
    assert bundled_python("blender", "3.2")[0] == "3.10"  # type: ignore[index]
    assert bundled_python("blender", "2.93")[0] == "3.9"  # type: ignore[index]
    assert bundled_python("blender", "9.9") is None


def test_dl501_pip_inside_blender_installs_for_its_bundled_python() -> None:
    """A Blender add-on's pip install in Blender 3.2 runs on its bundled Python 3.10, which
    torch 1.8.1 has no wheels for (pKrime/brignet#21)."""
    from dlenv.importers.explain import explain_text

    paste = (
        "Read prefs: C:\\Users\\P\\AppData\\Roaming\\Blender Foundation\\Blender\\3.2\\config\\"
        "userpref.blend\n"
        "ERROR: Could not find a version that satisfies the requirement torch==1.8.1 (from "
        "versions: 1.11.0, 1.12.0, 1.12.1, 1.13.0)\n"
    )
    f = [f for f in explain_text(paste, "p.txt", probe=False).report.findings if f.code == "DL501"]
    assert len(f) == 1 and "Blender 3.2 bundles it" in f[0].message
    # good: Blender 2.93 bundles Python 3.9, which torch 1.8 supports: pip finding nothing
    # there is not the Python's fault
    older = paste.replace("Blender\\3.2", "Blender\\2.93").replace(
        "1.11.0, 1.12.0, 1.12.1, 1.13.0", "none"
    )
    assert "DL501" not in {code for code, _ in _pasted_codes(older)}


def test_wheel_for_another_cpu_family_is_the_platform_not_the_python() -> None:
    """An x86_64 wheel on a Jetson (aarch64: h2oai/h2o4gpu#769), with no Python stated: the
    wheel's CPU is not this machine's, so the platform is why (DL506); on an x86_64 machine the
    same wheel's tags fit its platform, and its cp36 tag is the one left to blame (DL501)."""
    wheel = "h2o4gpu-0.3.2-cp36-cp36m-linux_x86_64.whl"
    refused = f"ERROR: {wheel} is not a supported wheel on this platform.\n"
    jetson = (
        "nano@desktop:/opt/h2oai$ uname -a\nLinux desktop 4.9.140-tegra #2 SMP PREEMPT Wed May 22 "
        "19:42:16 PDT 2019 aarch64 aarch64 aarch64 GNU/Linux\n"
    )
    assert _pasted_codes(jetson + refused) == [("DL506", "error")]
    pc = jetson.replace("aarch64", "x86_64").replace("-tegra", "-generic")
    assert _pasted_codes(pc + refused) == [("DL501", "error")]
    # an aarch64 wheel on a PC the other way round, a universal2 Mac wheel has no one CPU
    arm = refused.replace("linux_x86_64", "manylinux2014_aarch64")
    assert _pasted_codes(pc + arm) == [("DL506", "error")]


def test_the_reporter_named_the_refused_wheel_in_the_command() -> None:
    """pip3 of another Python refuses a cp36 wheel whose platform fits the Jetson
    (Qengineering/TensorFlow-JetsonNano#2): the Python tag is the one that does not fit."""
    text = (
        "Unable to install any of the wheels on jetson nano\n\nMy Jetpack = 4.5.1\n\n"
        "pip3 install ~/tensorflow-2.3.1-cp36-cp36m-linux_aarch64.whl\n\n"
        "ERROR: tensorflow-2.3.1-cp36-cp36m-linux_aarch64.whl is not a supported wheel on this "
        "platform.\n"
    )
    assert _pasted_codes(text) == [("DL501", "error")]


def test_pips_list_of_skipped_releases_is_not_always_the_failed_packages() -> None:
    """pip's "Ignored the following versions that require a different python version" lists what
    it skipped for every package (numpy's 1.21.x beside "requirement torch<3.0.0,>=2.3.0",
    instructlab/instructlab#1469): versions the requirement does not admit explain nothing, and
    the list ending at torch 2.2.2 on a Mac "that is not arm64" names the Intel Mac (DL506);
    with the failed package's own versions in it, the Python stays the cause."""
    from dlenv.importers.explain import explain_text

    numpy = (
        "ERROR: Ignored the following versions that require a different python version: 1.21.2 "
        "Requires-Python >=3.7,<3.11; 1.21.3 Requires-Python >=3.7,<3.11\n"
    )
    torch = (
        "ERROR: Could not find a version that satisfies the requirement torch<3.0.0,>=2.3.0 "
        "(from versions: 2.2.0, 2.2.1, 2.2.2)\n"
        "ERROR: No matching distribution found for torch<3.0.0,>=2.3.0\n"
    )
    intel = "tox fails on macosx that is not arm64\n" + numpy + torch
    explained = explain_text(intel, "t", probe=False)
    assert explained.imported.snapshot.host.arch is None  # "not arm64" is not Apple Silicon
    codes = {f.code for f in explained.report.findings if f.severity in ("error", "warning")}
    assert "DL506" in codes and "DL501" not in codes
    own = numpy.replace("1.21.2", "2.3.0").replace("1.21.3", "2.3.1")
    found = explain_text(own + torch, "t", probe=False).report.findings
    assert "DL501" in {f.code for f in found}


def test_a_list_of_releases_newer_than_the_one_asked_names_the_python() -> None:
    """test-time-training/ttt-lm-jax#5: jaxlib==0.4.14+cuda12 with pip listing 0.4.17 and later
    only, on a platform the paste does not name: the release has no wheel for this Python
    (DL501), not the CUDA builds' Linux-only gap; a list that begins at 0.4.13, the first
    release with Windows wheels, names Windows (DL506)."""
    from tests.rules.snapshots import pasted_codes

    newer = (
        "ERROR: Could not find a version that satisfies the requirement "
        "jaxlib==0.4.14+cuda12.cudnn89 (from versions: 0.4.17, 0.4.18, 0.4.19, 0.4.20)\n"
        "ERROR: No matching distribution found for jaxlib==0.4.14+cuda12.cudnn89\n"
    )
    assert pasted_codes(newer).get("DL501") == "error"
    windows = newer.replace("0.4.14", "0.4.9").replace("0.4.17, ", "0.4.13, 0.4.14, ")
    assert "DL506" in pasted_codes(windows) and "DL501" not in pasted_codes(windows)


def test_dl501_a_standard_library_name_this_python_removed() -> None:
    """Python 3.12 removed pkgutil.ImpImporter and distutils, which an old numpy pin's source
    build and old setup.py files use ("module 'pkgutil' has no attribute 'ImpImporter'"); 3.10
    removed the collections ABC aliases. The code predates the Python: DL501 (an error with the
    Python stated, a warning without), whatever Python runs dlenv; not a file of the user's
    shadowing the module (DL502). On an older Python the name exists: no DL501."""
    from dlenv.importers.explain import explain_text

    def found(text: str) -> dict[str, str]:
        report = explain_text(text, "p", probe=False).report
        return {f.code: f.severity for f in report.findings}

    imp = (
        'File "/home/u/venv/lib/python3.12/site-packages/pip/_vendor/pyproject_hooks/'
        '_in_process/_in_process.py", line 353, in <module>\n'
        "AttributeError: module 'pkgutil' has no attribute 'ImpImporter'. Did you mean: "
        "'zipimporter'?\n"
    )
    codes = found(imp)
    assert codes.get("DL501") == "error" and "DL502" not in codes
    assert found(imp.replace("python3.12", "python3.11")).get("DL501") is None
    assert found("ModuleNotFoundError: No module named 'distutils.util'\n") == {"DL501": "warning"}
    mapping = (
        "ImportError: cannot import name 'Mapping' from 'collections' "
        "(/usr/local/lib/python3.10/collections/__init__.py)\n"
    )
    assert found(mapping).get("DL501") == "error"
    # a name every Python has still points at a file of the user's
    assert "DL501" not in found("AttributeError: module 'random' has no attribute 'randint'\n")


def test_stdlib_removals_name_real_modules_with_sources() -> None:
    """Every row of the knowledge base's stdlib_removals cites the What's New of the release
    that removed it, and a name whose module still exists names it by that module."""
    from dlenv.kb.tables import read_data
    from dlenv.kb.wheels import stdlib_removal

    rows = read_data("wheels")["stdlib_removals"]
    assert [r["python"] for r in rows] == sorted(
        {r["python"] for r in rows}, key=lambda v: int(v[2:])
    )
    for row in rows:
        assert row["source"].startswith(f"https://docs.python.org/3/whatsnew/{row['python']}.html")
        for name in row["names"]:
            assert stdlib_removal(name) == (row["python"], row["source"])
    assert stdlib_removal("random.randint") is None


def test_dl506_a_source_build_on_an_architecture_without_wheels() -> None:
    """google/sentencepiece#544: on a ppc64le machine pip took sentencepiece's source
    distribution and its build failed ("Failed to find sentencepiece pkgconfig"): the project had
    no ppc64le wheel (DL506, a warning). The same lines on x86_64, or with no failure after the
    source distribution, are no finding."""
    from dlenv.importers.explain import explain_text

    def found(text: str) -> list[str]:
        try:
            report = explain_text(text, "p", probe=False).report
        except Exception:  # nothing recognised
            return []
        return [f.code for f in report.findings if f.code == "DL506"]

    built = (
        "How can I install it using pip with ppc64le-architecture CPU?\n"
        "Collecting sentencepiece\n  Using cached sentencepiece-0.1.91.tar.gz (500 kB)\n"
        "    ERROR: Command errored out with exit status 1:\n"
        "    Failed to find sentencepiece pkgconfig\n"
    )
    assert found(built) == ["DL506"]
    assert found(built.replace("ppc64le-architecture", "x86_64")) == []
    assert found(built.split("    ERROR")[0]) == []


def test_dl501_a_pin_after_other_clauses_below_every_listed_release() -> None:
    """SKTBrain/KoBERT#101: "onnxruntime<=1.8.0,==1.8.0 (from versions: 1.12.0, …, 1.14.1)":
    the pin comes after another clause of the specifier, and the release asked for is older
    than every release pip lists for this Python (Colab had moved to Python 3.10): DL501, not an
    old glibc (the listing's end says nothing when an older release is asked for)."""
    from tests.rules.snapshots import pasted_codes

    codes = pasted_codes(
        "ERROR: Could not find a version that satisfies the requirement onnxruntime<=1.8.0,"
        "==1.8.0 (from kobert) (from versions: 1.12.0, 1.12.1, 1.13.1, 1.14.0, 1.14.1)\n"
        "ERROR: No matching distribution found for onnxruntime<=1.8.0,==1.8.0\n"
    )
    assert "DL501" in codes and "DL507" not in codes


def test_dl501_an_installed_package_with_f_string_debugging_on_python_36() -> None:
    """neuraloperator/neuraloperator#117: Python 3.6.8 compiling neuralop's f"{norm=}" fails in
    the pseudo-file "<fstring>" ("(norm=)"): self-documenting f-strings need Python 3.8, so
    the release needs a newer Python (DL501); the same lines from one's own script do not say
    which package."""
    from tests.rules.snapshots import pasted_codes

    frame = (
        '  File "/home/u/.local/lib/python3.6/site-packages/neuralop/models/__init__.py", line 1,'
        " in <module>\n    from .tfno import TFNO3d\n"
    )
    fstring = '  File "<fstring>", line 1\n    (norm=)\n'
    assert pasted_codes(frame + fstring).get("DL501") == "error"
    own = '  File "/home/u/proj/model.py", line 3, in <module>\n'
    assert "DL501" not in pasted_codes(own + fstring)


def test_dl501_pip_builds_a_release_older_than_the_pythons_first_wheels() -> None:
    """NVIDIA/physicsnemo#746: on Python 3.12 (a cp312 wheel beside it) pip took
    numpy-1.24.4.tar.gz, a release older than numpy's first with Python 3.12 wheels (1.26.0):
    no wheel for this Python, so pip builds it (a warning, DL501). A release that has wheels
    for the Python, or torch's 0.1.2 placeholder (a platform without wheels), says nothing."""
    from tests.rules.snapshots import pasted_codes

    wheel = "  Downloading torch-2.5.1-cp312-cp312-win_amd64.whl.metadata (28 kB)\n"
    sdist = "Collecting numpy<1.25,>=1.22.4\n  Downloading numpy-1.24.4.tar.gz (10.9 MB)\n"
    assert pasted_codes(wheel + sdist).get("DL501") == "warning"
    newer = sdist.replace("1.24.4", "1.26.4")
    assert "DL501" not in pasted_codes(wheel + newer)
    cp311 = wheel.replace("cp312-cp312", "cp311-cp311")
    assert "DL501" not in pasted_codes(cp311 + sdist)

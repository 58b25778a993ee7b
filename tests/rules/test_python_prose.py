"""What reporters say about the Python environment (prose-python.toml), judged by rules/python.py:
each statement fires only with what makes it a cause, as a warning that says "probably", and
never over what a program printed. Snapshots as data first, then the same through `explain`."""

from __future__ import annotations

from dataclasses import replace

from dlenv.fix.actions import ManualStep, SetEnv, UnsetEnv
from dlenv.snapshot.model import InstallFailure, ReportedError, Shadowing, Snapshot
from tests.rules.snapshots import cpu_machine, fired, only


def _said(s: Snapshot, *errors: tuple[str, str]) -> Snapshot:
    return replace(
        s,
        origin="text",
        reported_errors=[
            ReportedError(signature=sig, text=text, meaning="") for sig, text in errors
        ],
    )


_USER_SITE = (
    "said-user-site-used-instead",
    "It seems my user install in $HOME/.local/lib/python3.10/site-packages gets preferred over "
    "the conda environment.",
)
_IMPORT_ERROR = ("no-module-framework", "ModuleNotFoundError: No module named 'torch'")
_ATTRIBUTE = (
    "stdlib-module-missing-attribute",
    "AttributeError: module 'random' has no attribute 'randint'",
)


def test_dl505_user_site_used_instead_is_a_warning_with_pythonnousersite() -> None:
    """conda/conda#664, ARCHER2-HPC/archer2-docs#525: the user site named as what is used."""
    f = only(_said(cpu_machine(), _USER_SITE), "DL505")
    assert f.severity == "warning"
    assert "probably" in f.title.lower()
    assert any(isinstance(a, SetEnv) and a.name == "PYTHONNOUSERSITE" for a in f.fixes)
    assert f.evidence[0].note == "the reporter's words"
    # good: the same machine without the statement
    assert fired(_said(cpu_machine()), "DL505") == []


def test_dl505_pip_of_another_python() -> None:
    said = ("said-pip-other-python", "pip installs into a different python than jupyter uses")
    f = only(_said(cpu_machine(), said), "DL505")
    assert f.severity == "warning"
    assert any(
        isinstance(a, ManualStep) and "python -m pip --version" in a.commands for a in f.fixes
    )


def test_dl505_pythonpath_context_needs_a_failure_and_no_shadowing_file() -> None:
    """PYTHONPATH naming another install is context: only beside a printed failure, and not
    where a shadowing file explains that failure."""
    said = ("said-pythonpath-other-install", "My PYTHONPATH points to the ROS python2.7 packages")
    assert fired(_said(cpu_machine(), said), "DL505") == []
    f = only(_said(cpu_machine(), said, _IMPORT_ERROR), "DL505")
    assert any(isinstance(a, UnsetEnv) and a.name == "PYTHONPATH" for a in f.fixes)
    shadowed = _said(cpu_machine(), said, _IMPORT_ERROR)
    shadowed = replace(
        shadowed,
        python=replace(
            shadowed.python, shadowing=[Shadowing(module="torch", path="./torch/__init__.py")]
        ),
    )
    assert fired(shadowed, "DL505") == []


def test_dl505_unset_pythonpath_worked() -> None:
    said = ("said-unset-pythonpath-works", "After I did unset PYTHONPATH everything works.")
    assert only(_said(cpu_machine(), said), "DL505").severity == "warning"


def test_dl502_same_name_needs_the_module_an_error_names() -> None:
    said = ("said-same-name-as-module", "my script had the same name as the library")
    assert fired(_said(cpu_machine(), said), "DL502") == []
    f = only(_said(cpu_machine(), said, _ATTRIBUTE), "DL502")
    assert f.severity == "warning"
    assert f.subject == "random"
    assert 'python -c "import random; print(random.__file__)"' in f.fixes[0].commands


def test_dl502_renaming_the_file_worked() -> None:
    said = ("said-renamed-file-works", "After renaming my file everything works.")
    f = only(_said(cpu_machine(), said), "DL502")
    assert f.severity == "warning"
    assert fired(_said(cpu_machine()), "DL502") == []


def test_dl506_a_failure_only_the_reporter_states_is_a_warning() -> None:
    line = "I did research and jax is not installable on windows"
    s = _said(
        cpu_machine(), ("said-not-installable-on-platform", "jax is not installable on windows")
    )
    s = replace(
        s,
        python=replace(
            s.python,
            install_failures=[InstallFailure(package="jax", message=line, mismatch="platform")],
        ),
    )
    f = only(s, "DL506")
    assert f.severity == "warning"
    assert f.message.startswith("The report says jax cannot be installed here; probably")
    # the installer's own message for the same failure stays an error
    printed = replace(
        s,
        reported_errors=[
            ReportedError(signature="pip-no-matching-distribution", text=line, meaning="")
        ],
    )
    assert only(printed, "DL506").severity == "error"


def _codes(text: str) -> dict[str, str]:
    """The error/warning findings of `explain` on a paste ({} where it recognises nothing)."""
    from dlenv.errors import DlenvError
    from dlenv.importers.explain import explain_text

    try:
        report = explain_text(text, "paste.txt", probe=False).report
    except DlenvError as e:
        assert "nothing recognised" in str(e)
        return {}
    return {f.code: f.severity for f in report.findings if f.severity in ("error", "warning")}


def test_end_to_end_the_reporters_words() -> None:
    """The dev reports' wordings (archer2-docs#525, whisper-jax#33, Deep-Live-Cam#343) and their
    healthy twins."""
    user_site = (
        "Python modules installed by users to venvs are not being found during jobs. This was "
        "due to previous `pip install --user` commands having installed them to `$HOME/.local`.\n"
    )
    assert _codes(user_site).get("DL505") == "warning"
    assert "DL505" not in _codes("pip install --user numpy  # installs into ~/.local\n")
    jax = "I did research and jax is not installable on windows\n"
    assert _codes(jax).get("DL506") == "warning"
    assert "DL506" not in _codes("jax is installable on windows since 0.4.13\n")
    tf = (
        "Tensorflow version 2.12.1 and lower do not have wheels for MacOS with ARM64 "
        "architectures, this makes the project unable to be installed.\n"
    )
    assert _codes(tf).get("DL506") == "warning"
    shadow = (
        "ImportError: cannot import name 'Diagram' from 'diagrams' (unknown location)\n"
        "It turned out my script had the same name as the library.\n"
    )
    assert _codes(shadow).get("DL502") == "warning"
    named = "ImportError: cannot import name 'x'\nmy file name was torch.py, that was it\n"
    assert "DL502" in _codes(named)


def test_dl502_circular_import_inside_a_package_names_the_likely_files() -> None:
    """ "cannot import name 'StdioServerParams' from partially initialized module
    'autogen_ext.tools.mcp' (most likely due to a circular import)" (microsoft/autogen: the
    user's mcp.py): a warning naming the files to look for, the script the paste runs among
    them; the same error through the user's own file is the error finding instead."""
    line = (
        "ImportError: cannot import name 'StdioServerParams' from partially initialized module "
        "'autogen_ext.tools.mcp' (most likely due to a circular import)\n"
    )
    assert _codes(line) == {"DL502": "warning"}
    from dlenv.importers.explain import explain_text

    [f] = [f for f in explain_text(line, "t", probe=False).report.findings if f.code == "DL502"]
    assert "mcp.py, tools.py, autogen_ext.py" in f.message
    own = (
        '  File "/home/u/proj/mcp.py", line 1, in <module>\n'
        "    from autogen_ext.tools.mcp import StdioServerParams\n" + line
    )
    assert _codes(own).get("DL502") == "error"


_PIP_NONE = (
    "ERROR: Could not find a version that satisfies the requirement mediapipe (from versions: "
    "none)\nERROR: No matching distribution found for mediapipe\n"
)


def test_dl501_no_build_for_the_python_said_beside_pip_none() -> None:
    """Acly/krita-ai-diffusion#576, pypmc/pypmc#104: the reporter names the Python the package
    has no build for, beside pip's "from versions: none": a probable DL501 (a warning); pip's
    failure alone, or the statement naming another Python than the paste's, is not."""
    said = "Because there is no mediapipe available for Python 3.12, the install fails.\n"
    assert _codes(said + _PIP_NONE).get("DL501") == "warning"
    assert "DL501" not in _codes(_PIP_NONE)
    other = "Python 3.11.9\nThere is no mediapipe available for Python 3.12, so I use 3.11.\n"
    assert "DL501" not in _codes(other + _PIP_NONE)
    assert "DL501" not in _codes(said)  # no installer failure: a statement only


def test_dl501_setup_py_python_guards() -> None:
    """numba/llvmlite's setup.py (0Xiaohei0/LocalAIVtuber#35) and PyTorch's setup.py state the
    Python range themselves: an error naming the package and a Python in the range."""
    from dlenv.importers.explain import explain_text

    numba = (
        "RuntimeError: Cannot install on Python version 3.12.0; only versions >=3.8,<3.12 are "
        "supported.\n      [end of output]\n"
    )
    [f] = [f for f in explain_text(numba, "t", probe=False).report.findings if f.code == "DL501"]
    assert f.severity == "error" and "numba" in f.title
    assert any("Python 3.11" in getattr(a, "text", "") for a in f.fixes)
    torch = "You are using Python 3.7.16. Python >=3.8.0 is required.\n"
    assert _codes(torch).get("DL501") == "error"
    inside = "RuntimeError: Cannot install on Python version 3.10.4; only versions >=3.8,<3.12"
    assert "DL501" not in _codes(inside)


def test_dl501_a_package_guard_names_its_range_and_the_running_python() -> None:
    """coqui-ai/TTS#3627: the package's own guard ("TTS requires python >= 3.9 and < 3.12 but
    your Python version is 3.12.0") is the package refusing this Python, in words turned into a
    specifier; pip 9's "requires Python '>=3.7' but the running Python is 2.7.17" is pip's."""
    from dlenv.importers.explain import explain_text

    guard = (
        "RuntimeError: TTS requires python >= 3.9 and < 3.12 but your Python version is 3.12.0 "
        "(tags/v3.12.0:0fb18b0, Oct  2 2023, 13:03:39) [MSC v.1935 64 bit (AMD64)]\n"
    )
    [f] = [f for f in explain_text(guard, "t", probe=False).report.findings if f.code == "DL501"]
    assert f.severity == "error" and f.title == "tts refuses this Python"
    assert ">=3.9,<3.12" in f.message and "Python 3.12" in f.message
    assert any("Python 3.11" in getattr(a, "text", "") for a in f.fixes)
    pip9 = (
        "UnsupportedPythonVersion: numpy requires Python '>=3.7' but the running Python is 2.7.17\n"
    )
    [g] = [f for f in explain_text(pip9, "t", probe=False).report.findings if f.code == "DL501"]
    assert g.title.startswith("No numpy wheel") and g.message.startswith("pip could not")
    assert "DL501" not in _codes("TTS requires python >= 3.9 and < 3.12.\n")


def test_dl502_a_submodule_every_release_has_is_missing() -> None:
    """rotem-shalev/Ham2Pose#5: "No module named 'tokenizers.pre_tokenizers'" (the project's
    tokenizers/ folder) is a probable DL502 (a warning); a submodule that releases dropped
    (torch._six) or a compiled part (sklearn.utils._typedefs) is not this."""
    line = (
        "RuntimeError: Failed to import transformers.models.auto because of the following "
        "error (look up to see its traceback):\nNo module named 'tokenizers.pre_tokenizers'\n"
    )
    assert _codes(line).get("DL502") == "warning"
    assert "DL502" not in _codes("ModuleNotFoundError: No module named 'torch._six'\n")
    typed = "ModuleNotFoundError: No module named 'sklearn.utils._typedefs'\n"
    assert "DL502" not in _codes(typed)


def test_dl501_no_release_at_all_for_a_stated_python_on_a_common_platform() -> None:
    """stellargraph/stellargraph (Colab moved to Python 3.9.16; stellargraph needs <3.9) and
    tensorflow/tflite-support ("Python 10 is not supported at this moment"): pip found no
    release at all of a package outside the KB, the paste states the Python, and nothing shows
    a platform gap: the Python's version is the maintainers' answer. On Windows, macOS, ARM or a
    32-bit Python the platform stays the likelier gap (DL506)."""
    from tests.rules.snapshots import pasted_codes

    pip = (
        "ERROR: Could not find a version that satisfies the requirement stellargraph (from "
        "versions: none)\nERROR: No matching distribution found for stellargraph\n"
    )
    linux = pip + "My operating system is Ubuntu 22.04 LTS and my python version is Python 3.10.4\n"
    assert pasted_codes(linux).get("DL501") == "warning"
    colab = pip + "Python version: 3.9.16\n"
    assert pasted_codes(colab).get("DL501") == "warning"
    arm = pip + "Python 3.10.4 on a Jetson Nano (aarch64)\n"
    assert "DL501" not in pasted_codes(arm)

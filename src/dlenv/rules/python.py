"""Rules about the Python environment: unsupported Python versions, shadowing modules,
missing PYTHONPATH entries, duplicate installs. Codes DL5xx.
"""

from __future__ import annotations

from collections.abc import Iterator

from dlenv.fix.actions import ManualStep, RemoveFromPath
from dlenv.kb.queries import python_in_range, tensorflow_release, torch_release
from dlenv.rules.derived import FRAMEWORK_MODULES, label
from dlenv.rules.findings import Evidence, Finding
from dlenv.rules.registry import finding, rule
from dlenv.snapshot.model import Snapshot


@rule("DL501", "python-unsupported-by-framework", "warning", "python")
def python_unsupported(s: Snapshot) -> Iterator[Finding]:
    """What it checks: that the target Python's version is within the range the installed
    torch/tensorflow release supports (experimental versions count as supported).

    Why it matters: such an install came from a source build, a forced install or a broken
    resolver, and breaks in odd ways (missing compiled extensions, ABI errors); pip will not
    install that release again for this Python.

    Example: tensorflow 2.15 (Python 3.9-3.11) in a Python 3.12 environment.

    Fix: use a Python the release supports, or a release that supports this Python.
    """
    py = s.python.version
    if not py:
        return
    for fw in s.frameworks:
        release = (
            torch_release(fw.version)
            if fw.name == "torch"
            else tensorflow_release(fw.version)
            if fw.name == "tensorflow"
            else None
        )
        if (
            release is None
            or python_in_range(py, release.python_min, release.python_max) is not False
        ):
            continue
        needed = f"{release.python_min}-{release.python_max}"
        yield finding(
            "DL501",
            title=f"{label(fw)} does not support Python {py}",
            message=f"{fw.name} {release.version} supports Python {needed}; the target "
            f"interpreter is Python {py}.",
            evidence=[
                Evidence(
                    fact="python.version",
                    found=py,
                    needed=needed,
                    note=f"supported by {fw.name} {release.version}",
                )
            ],
            fixes=[
                ManualStep(
                    text=f"Create the environment with a Python in {needed}, or install a "
                    f"{fw.name} release that supports Python {py}."
                )
            ],
            subject=fw.name,
        )


@rule("DL502", "module-shadows-framework", "error", "python")
def module_shadows_framework(s: Snapshot) -> Iterator[Finding]:
    """What it checks: a file or directory that `import torch`/`tensorflow`/`keras`/… would load
    instead of the installed package (a torch.py in the working directory, a stray folder on
    PYTHONPATH).

    Why it matters: errors that make no sense: "module 'torch' has no attribute 'cuda'",
    "partially initialized module 'tensorflow' has no attribute ... (most likely due to a
    circular import)".

    Example: ./tensorflow.py, written as a first experiment, shadows site-packages/tensorflow.

    Fix: rename the file (and delete its __pycache__).
    """
    for sh in s.python.shadowing:
        if sh.module not in FRAMEWORK_MODULES:
            continue
        yield finding(
            "DL502",
            title=f"{sh.path} shadows the installed {sh.module}",
            message=f"`import {sh.module}` would load {sh.path}"
            + (f" instead of {sh.shadows}" if sh.shadows else "")
            + ".",
            evidence=[
                Evidence(
                    fact=f"python.shadowing.{sh.module}",
                    found=sh.path,
                    needed=sh.shadows,
                    note=f"the installed {sh.distribution or sh.module}",
                )
            ],
            fixes=[
                ManualStep(
                    text=f"Rename {sh.path} (and remove its __pycache__ directory).",
                )
            ],
            subject=sh.module,
        )


@rule("DL503", "pythonpath-entry-missing", "warning", "python")
def pythonpath_entry_missing(s: Snapshot) -> Iterator[Finding]:
    """What it checks: PYTHONPATH entries that do not exist.

    Why it matters: usually a leftover from another machine or project; the code it was meant to
    expose is not importable ("ModuleNotFoundError"), and a later directory of the same name can
    be picked up by surprise.

    Example: PYTHONPATH=/home/old/project/src after the project moved.

    Fix: remove the entry from PYTHONPATH (or create the directory it should point at).
    """
    missing = [e.path for e in s.python.pythonpath if not e.exists]
    if not missing:
        return
    yield finding(
        "DL503",
        title=f"PYTHONPATH names {len(missing)} missing path(s)",
        message=f"PYTHONPATH contains {', '.join(missing)}, which do(es) not exist.",
        evidence=[
            Evidence(fact="python.pythonpath", found=p, needed="an existing directory")
            for p in missing
        ],
        fixes=[RemoveFromPath(name="PYTHONPATH", entries=missing, reason="it does not exist")],
    )


@rule("DL504", "duplicate-distribution", "warning", "python")
def duplicate_distribution(s: Snapshot) -> Iterator[Finding]:
    """What it checks: a distribution installed more than once on sys.path (user site and the
    environment, or two site-packages).

    Why it matters: `import` takes the first, pip reports the other; upgrades seem to do nothing
    and mixed files cause import errors ("cannot import name ... from partially initialized
    module").

    Example: torch 2.1.0 in ~/.local/lib/python3.10/site-packages and torch 2.3.1 in the venv.

    Fix: uninstall the copy that should not be there (`pip uninstall` with the matching
    interpreter, `--user` for the user site).
    """
    for dup in s.python.duplicates:
        if len(dup.installs) < 2:
            continue
        where = "; ".join(f"{d.version} in {d.location}" for d in dup.installs)
        first = dup.installs[0]
        yield finding(
            "DL504",
            title=f"{dup.name} is installed {len(dup.installs)} times",
            message=f"{dup.name} is installed more than once: {where}. Python imports the "
            f"first ({first.version} in {first.location}).",
            evidence=[
                Evidence(fact=f"python.duplicates.{dup.name}", found=f"{d.version} in {d.location}")
                for d in dup.installs
            ],
            fixes=[
                ManualStep(
                    text=f"Uninstall every copy of {dup.name}, then install one.",
                    commands=[
                        f"python -m pip uninstall -y {dup.name}  # repeat until none is left",
                        f"python -m pip install {dup.name}=={first.version}",
                    ],
                )
            ],
            subject=dup.name,
        )

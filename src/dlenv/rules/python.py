"""Rules about the Python environment: unsupported Python versions, no wheel for this Python or
platform, shadowing modules, another interpreter's packages on the path, missing PYTHONPATH
entries, duplicate installs. Codes DL5xx.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import replace
from typing import Literal, NamedTuple

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from dlenv.fix.actions import (
    Action,
    InstallPackages,
    ManualStep,
    RemoveFromPath,
    SetEnv,
    UnsetEnv,
)
from dlenv.kb.packages import SHADOWED_PACKAGES
from dlenv.kb.queries import (
    major_minor,
    python_in_range,
    tensorflow_release,
    torch_release,
)
from dlenv.kb.wheels import (
    bundled_python,
    distro_glibc,
    first_wheels_for_python,
    glibc_older,
    manylinux_glibc,
    newest_python_at,
    normalise_arch,
    pip_release_month,
    platform_end,
    python_released_by,
    stdlib_removal,
    wheel_gap,
    wheel_gaps,
)
from dlenv.rules.derived import (
    FRAMEWORK_MODULES,
    in_prose,
    label,
    os_name,
    reported,
    windows_gpu_list_ends,
)
from dlenv.rules.findings import Evidence, Finding, first_line
from dlenv.rules.registry import finding, rule
from dlenv.snapshot.model import InstallFailure, PathEntry, ReportedError, Snapshot

# packages users name their first scripts after, beside the frameworks
_MORE_PACKAGES = ("jaxlib", "scipy", "pandas", "sklearn", "cv2", "matplotlib", "torchvision")
PASTED_PATH = "pasted"  # PathEntry.origin of a directory a pasted traceback names
# a path inside a Python installation: lib/pythonX.Y, Windows' Lib, site-/dist-packages
_INSTALLED = re.compile(
    r"-packages[/\\]|[/\\]lib(?:64)?[/\\](?:python|pypy)\d|[/\\]Lib[/\\]"
    r"|[/\\]frameworks[/\\]python",
    re.IGNORECASE,
)
# messages that prove a module was found in the user's own file or folder, whatever its name
_SHADOWING_PROOF = frozenset(
    {
        "circular-import-shadowing",
        "module-is-not-a-package",
        "script-imports-itself",
        "installed-code-imports-local-file",
        "cannot-import-name-from-local-file",
        "python-consider-renaming",
        "python-import-consider-renaming",
    }
)


def _installed_copy(top: str, path: str) -> bool:
    """Whether `path` is the installed package `top` itself (site-packages/top/...)."""
    return (
        re.search(rf"-packages[/\\]{re.escape(top)}(?:[/\\]|\.py\b)", path, re.IGNORECASE)
        is not None
    )


@rule("DL501", "python-unsupported-by-framework", "warning", "python")
def python_unsupported(s: Snapshot) -> Iterator[Finding]:
    """What it checks: that the target Python's version is within the range the installed
    torch/tensorflow release supports (experimental versions count as supported); and, in a
    pasted installer error for a framework package ("Could not find a version that satisfies
    the requirement tensorflow (from versions: none)", "No matching distribution found for
    torch==1.11.0+cu113", "tensorflow-1.10.0-cp35-...whl is not a supported wheel"), whether the
    Python version is why no wheel fits: outside the release's range in the KB, a cpXY tag
    that is not this Python, a list of versions that all lie after (or before) the one asked
    for (or around it, with nothing of its series and only an older major's below it: torch's
    0.1.2 sdists, then 1.4.0, for torch==1.3.1 on Python 3.8), or no version at all (the
    usual cause when no platform gap explains it, DL506). A refused wheel's cpXY tag counts
    for any package, the KB's or not: it names its Python; so does, as a warning, a list whose
    every version is newer than the one asked for (onnxruntime==1.16.0 on Python 3.12).
    Where pip found nothing at all and the reporter says the Python is the newest one or one
    just upgraded to ("using latest python, which is 3.7"), the Python is why, for any package
    (as a warning outside the KB), unless the release asked for is known to support it; so
    does pip's own version in the paste (`pip --version`, its upgrade notice, a template's
    answer) when it dates the report to within nine months of that Python's release, while it
    was the newest (pip 22.0.4, early 2022, with Python 3.10). The
    reporter's own words for pip's failure ("Required torch version doesn't exist", "no version
    of Torch") are read as such a failure, judged the same way as a warning. A package's own
    setup.py guard states the range as Requires-Python does (numba's and llvmlite's "Cannot
    install on Python version 3.12.0; only versions >=3.8,<3.12 are supported", PyTorch's
    "Python >=3.8.0 is required"); and the reporter's words that a package has no build for
    the Python the paste runs ("there is no mediapipe available for Python 3.12") explain pip's
    "from versions: none" for a package outside the KB, as a warning. Where pip lists nothing
    for torch or TensorFlow, names no release, and the stated Python is one they have wheels for
    since some release, the paste rarely dates itself: a Python whose bugfix level shows it came
    out after the first release with wheels for its minor (kb/data/wheels.json:
    first_wheels_for_python; X.Y.Z is at least about 1.5*Z months after X.Y.0) rules the Python
    out (DL506's); otherwise both readings are reported as warnings, this one (the report may
    predate those wheels) and DL506's (a 32-bit Python, a platform without wheels). With no
    installer message at all, the report's own ceiling ("only offers support ... up to Python
    3.9", "python should be version 3.8 ~ 3.10") against a newer Python the paste shows, stated
    or bundled by the Blender release it runs in (kb/data/wheels.json: bundled_pythons, Blender
    3.1-4.0 run Python 3.10), is the same fault, as a warning; and an installer error pasted
    from inside Blender is judged against the Python that Blender release bundles. A
    standard-library name that a Python release removed ("No module named 'distutils'", "module
    'pkgutil' has no attribute 'ImpImporter'" from an old numpy pin's source build, "cannot
    import name 'Mapping' from 'collections'"; the knowledge base's stdlib_removals, from each
    release's What's New) says the code predates the Python: an error with the Python stated
    at or after that release, a warning with none stated, nothing on an older Python.

    Why it matters: such an install came from a source build, a forced install or a broken
    resolver, and breaks in odd ways (missing compiled extensions, ABI errors); pip will not
    install that release again for this Python. A Python too new for every release makes
    `pip install tensorflow` fail outright.

    Example: tensorflow 2.15 (Python 3.9-3.11) in a Python 3.12 environment; `pip install
    tensorflow==2.13.0` that sees only 2.20.0 on Python 3.13.

    Fix: use a Python the release supports (`uv venv --python 3.11`, `conda create -n tf
    python=3.11`), or a release that supports this Python.
    """
    installing = list(_install_findings(s, "DL501"))
    yield from installing
    if not installing and not s.python.install_failures:
        yield from _said_ceiling(s)
    if not installing:
        yield from _stdlib_name_removed(s)
        yield from _source_build_predates_python(s)
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


_REMOVED = "stdlib-name-removed"  # python-env.toml
_REMOVED_NAME = re.compile(
    r"module '([\w.]+)' has no attribute '(\w+)'|cannot import name '(\w+)' from '([\w.]+)'"
    r"|No module named '([\w.]+)'"
)


def _removed_name(text: str) -> tuple[str, str, str] | None:
    """(the removed name, the Python that removed it, the source) a message names."""
    m = _REMOVED_NAME.search(text)
    if m is None:
        return None
    if m.group(5):  # a module: "distutils.util" is distutils's
        parts = m.group(5).split(".")
        names = [".".join(parts[:k]) for k in range(len(parts), 0, -1)]
    else:
        names = [f"{m.group(1)}.{m.group(2)}" if m.group(1) else f"{m.group(4)}.{m.group(3)}"]
    for name in names:
        known = stdlib_removal(name)
        if known is not None:
            return name, known[0], known[1]
    return None


def _stdlib_name_removed(s: Snapshot) -> Iterator[Finding]:
    """DL501 from a standard-library name that a Python release removed ("No module named
    'distutils'", "module 'pkgutil' has no attribute 'ImpImporter'"): the code, or a package
    it builds or imports, predates that Python. An error when the paste's Python is that
    release or newer; a warning when the paste does not state its Python; nothing when it is
    older (the name is there, so something else hides it)."""
    for e in s.reported_errors:
        if e.signature != _REMOVED:
            continue
        found = _removed_name(e.text)
        if found is None:
            continue
        name, removed, source = found
        here = _paste_python(s)
        mm, gone = (major_minor(here[0]) if here else None), major_minor(removed)
        if mm is not None and gone is not None and mm < gone:
            continue
        older = f"3.{int(removed.split('.')[1]) - 1}"
        yield finding(
            "DL501",
            severity="error" if mm is not None else "warning",
            title=f"{name} was removed in Python {removed}: the code predates this Python",
            message=f"Python {removed} removed {name} from the standard library"
            + (f", and the Python here is {here[0]}" if here else "")
            + ": the code, or a package it installs or imports (an old numpy or setuptools "
            "building from source, a pinned release), was written for an older Python.",
            evidence=[
                Evidence(
                    fact=f"reported_errors.{_REMOVED}",
                    found=first_line(e.text, 160),
                    needed=f"Python {older} or older",
                    note=source,
                ),
                *([Evidence(fact="python.version", found=here[0], note=here[1])] if here else []),
            ],
            fixes=[
                ManualStep(
                    text=f"Run it on Python {older} or older, or upgrade the package that uses "
                    f"{name} to a release made for Python {removed} (pip install -U numpy "
                    "setuptools when a source build of an old pin fails).",
                    commands=[
                        f"uv venv --python {older} .venv",
                        f"conda create -n py{older.replace('.', '')} python={older}",
                        "pip install -U pip setuptools wheel",
                    ],
                    url=source,
                )
            ],
            subject="python",
        )
        return


_CEILING_SAID = "said-python-ceiling"  # prose-python.toml: "... up to Python 3.9"
_BLENDER = "blender-bundled-python"  # prose-python.toml: Blender Foundation\Blender\3.2\
# the ceiling the statement names (prose-python.toml's said-python-ceiling, its two forms)
_CEILING = re.compile(
    r"\b(?:up to|until|through|at most|no newer than|<=) (?:c?python ?v?|py)(3\.\d{1,2})\b(?![.]\d)"
    r"|\bpython (?:(?:should|must|needs to) be )?(?:version )?3\.\d{1,2} ?(?:-|~|to) ?"
    r"(3\.\d{1,2})\b(?![.]\d)",
    re.IGNORECASE,
)
_BLENDER_VERSION = re.compile(r"(?<![\d.])([2-5]\.\d{1,2})(?![.\d])")


def _paste_python(s: Snapshot) -> tuple[str, str] | None:
    """(the Python's minor, where it was read): the one the paste states, else the one the
    Blender release it runs in bundles (kb/data/wheels.json)."""
    if s.python.version:
        return _mm(s.python.version), "the paste states it"
    for e in s.reported_errors:
        if e.signature != _BLENDER:
            continue
        m = _BLENDER_VERSION.search(e.text[e.text.lower().rfind("blender") :])
        known = bundled_python("blender", m.group(1)) if m else None
        if m and known:
            return known[0], f"Blender {m.group(1)} bundles it: {known[1].split(', ')[0]}"
    return None


def _said_ceiling(s: Snapshot) -> Iterator[Finding]:
    """DL501 as a warning: the report states the newest Python what it needs supports ("only
    ... up to Python 3.9"), and the Python the paste runs (stated, or bundled by the Blender it
    runs in) is newer: the maintainers' reading of an install that cannot resolve."""
    here = _paste_python(s)
    mm = major_minor(here[0]) if here else None
    if here is None or mm is None:
        return
    for e in s.reported_errors:
        if e.signature != _CEILING_SAID:
            continue
        m = _CEILING.search(e.text)
        said = (m.group(1) or m.group(2)) if m else None
        top = major_minor(said) if said else None
        if said is None or top is None or mm <= top:
            continue
        yield finding(
            "DL501",
            severity="warning",
            title=f"Probably Python {here[0]} is newer than what the report needs supports",
            message=f"The report says what it needs goes only up to Python {said} "
            f'("{first_line(e.text, 120).strip()}"), and the Python here is {here[0]} '
            f"({here[1].split(': ')[0]}): pip finds no build of it for this Python.",
            evidence=[
                Evidence(
                    fact=f"reported_errors.{e.signature}",
                    found=first_line(e.text, 160),
                    needed=f"Python {said} or older",
                    note="the report's words",
                ),
                Evidence(fact="python.version", found=here[0], note=here[1]),
            ],
            fixes=[
                ManualStep(
                    text=f"Run it on a Python {said} or older (in Blender: a release whose "
                    "bundled Python is that old, such as Blender 3.0 for Python 3.9), or use a "
                    f"release of the package built for Python {here[0]}.",
                    commands=[
                        f"uv venv --python {said} .venv",
                        "python -m pip index versions <package>  # what exists for this Python",
                    ],
                )
            ],
            subject="python",
        )
        return


@rule("DL502", "module-shadows-framework", "error", "python")
def module_shadows_framework(s: Snapshot) -> Iterator[Finding]:
    """What it checks: a file or directory that `import torch`/`tensorflow`/`keras`/… or a
    standard-library module (`random`, `inspect`, `code`, `numbers`, `typing`…) would load
    instead of the real one: a torch.py or inspect.py in the working directory, a stray folder
    on PYTHONPATH, the framework's source checkout in the working directory. In a pasted
    report: a traceback through such a file, "'keras' is not a package", a circular import
    of the framework, or the report saying the script is named so; and, for any module name,
    what proves the shadowing by itself: the user's own X.py whose line imports X, installed
    code (site-packages, the standard library) importing X and landing in the user's X.py or
    X/__init__.py, "'X' is not a package", "partially initialized module 'X'" for a top-level
    X. A traceback through the installed package's own files is a cycle inside it, not this.
    From the reporter's words alone (a warning that says "probably"): renaming their file made
    it work, or their file has the same name as a module that a printed import error names. A
    circular import inside an installed package ("partially initialized module
    'autogen_ext.tools.mcp'") with no user file in the paste is a warning naming the files to
    look for (mcp.py, tools.py, …); a traceback through the user's mcp.py is the error. A
    package without its own namesake ("module 'botometer' has no attribute 'Botometer'", or
    `from kan import *` and then "name 'KAN' is not defined") is a warning: what was imported
    is probably the user's script of that name. A traceback inside a source checkout's package
    folder whose own line imports a member of that package which is missing ("from encoding
    import cpu": the compiled part exists only in the installed copy) is the error: the
    checkout is imported instead of the package. The reporter's "same name" sentence may name
    the package itself ("a dependency and module with the same name (torch and …/torch)").
    A submodule every release of the package has, missing ("No module named
    'tokenizers.pre_tokenizers'", "'torch.nn'", "'scipy.sparse'"), is a warning: a folder of
    that name (the project's, or one a failed install left) was imported instead.

    Why it matters: errors that make no sense: "module 'torch' has no attribute 'cuda'",
    "partially initialized module 'tensorflow' has no attribute ... (most likely due to a
    circular import)", "No module named 'torch._C'"; a file named like a standard-library
    module breaks every package that imports that module. A shadowed framework (or a pasted
    error through a shadowing file) is an error; a standard-library name found only by
    `dlenv doctor` in the working directory is a warning.

    Example: ./tensorflow.py, written as a first experiment, shadows site-packages/tensorflow;
    ~/inspect.py makes `import tensorflow` fail when Python starts in the home directory.

    Fix: rename the file (and delete its __pycache__ and any .pyc of the same name); for a
    source checkout, run Python from another directory.
    """
    stdlib: frozenset[str] = getattr(sys, "stdlib_module_names", frozenset())
    pasted = s.origin != "probe"
    if not s.python.shadowing:
        stated = _said_shadowing(s) or _core_submodule_missing(s)
        if stated is not None:
            yield stated
        return
    for sh in s.python.shadowing:
        top = sh.module.split(".", 1)[0]
        framework = sh.module in FRAMEWORK_MODULES or sh.module in _MORE_PACKAGES
        known = framework or top in SHADOWED_PACKAGES or top in stdlib
        if top not in stdlib and _installed_copy(top, sh.path):
            continue  # the traceback shows the package's own files: a cycle inside it
        # in a paste, the message itself can prove the shadowing for any name: a traceback
        # through the user's own file of that name, or Python's "'X' is not a package" and
        # "partially initialized module 'X'" for a top-level X
        user_file = sh.path != "unknown" and not _INSTALLED.search(sh.path)
        said = "." not in sh.module and any(
            e.signature in _SHADOWING_PROOF and f"'{sh.module}'" in e.text
            for e in s.reported_errors
        )
        # the package without its own namesake (botometer.Botometer): a strong sign, no proof
        namesake = next(
            (
                e
                for e in s.reported_errors
                if e.signature in _NAMESAKE_MISSING and f"{sh.module}" in e.text
            ),
            None,
        )
        if not known and not (pasted and (user_file or said)) and namesake is not None:
            yield _namesake_missing(sh.module, namesake)
            continue
        if not known and not (pasted and (user_file or said)):
            circular = _circular_in_chain(s, sh.module) if pasted and not user_file else None
            if circular is not None:
                yield circular
            continue
        where = (
            sh.path
            if sh.path != "unknown"
            else f"a file {sh.module}.py (or a folder {sh.module}/) in the script's directory"
        )
        stem = sh.path.rstrip("/\\")
        base = stem[:-3] if stem.endswith(".py") else stem
        folder = (
            base.rsplit("/", 1)[0]
            if "/" in base
            else base.rsplit("\\", 1)[0]
            if "\\" in base
            else "."
        )
        commands = (
            [f"mv {stem} {base}_script.py", f"rm -rf {folder}/__pycache__ {base}.pyc"]
            if stem.endswith(".py")
            else [f"cd ..  # run Python outside {stem}'s parent directory"]
        )
        checkout = next(
            (
                e
                for e in s.reported_errors
                if e.signature == _CHECKOUT_LACKS_MEMBER and f"from {sh.module} import" in e.text
            ),
            None,
        )
        if checkout is not None:
            yield _source_checkout(sh.module, stem, folder, checkout)
            continue
        yield finding(
            "DL502",
            severity="error" if framework or s.origin != "probe" else "warning",
            title=f"{where} shadows the installed {sh.module}",
            message=f"`import {sh.module}` would load {where}"
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
                    text=f"Rename {where} (and remove its __pycache__ directory and .pyc), so "
                    f"that `import {sh.module}` finds the real module.",
                    commands=commands if sh.path != "unknown" else [],
                )
            ],
            subject=sh.module,
        )


# a traceback inside a checkout's package folder importing a member it lacks (python-env.toml)
_CHECKOUT_LACKS_MEMBER = "source-checkout-lacks-own-member"


def _source_checkout(module: str, folder: str, parent: str, said: ReportedError) -> Finding:
    """DL502 for a source checkout imported instead of the installed package: its folder lacks
    a member (a compiled extension) that exists only in the built copy."""
    lines = said.text.strip().splitlines()
    return finding(
        "DL502",
        title=f"The source checkout's {module}/ is imported instead of the installed {module}",
        message=f"The traceback runs inside {folder}, a source checkout (not an installation), "
        f'whose code imports from `{module}` a member the folder lacks ("{lines[-1].strip()}"): '
        f"Python finds the checkout's {module}/ first because the program runs from (or has on "
        "its path) the checkout's directory, and the compiled parts exist only in the installed "
        "or built copy.",
        evidence=[
            Evidence(
                fact=f"python.shadowing.{module}",
                found=folder,
                needed=f"the installed {module} (site-packages) or an in-place build",
                note="the traceback's own paths",
            )
        ],
        fixes=[
            ManualStep(
                text=f"Run the program from outside the checkout (so that `import {module}` "
                "finds the installed package), or build the checkout in place.",
                commands=[
                    f"cd ..  # outside {parent}",
                    f'python -c "import {module}; print({module}.__file__)"',
                    f"python -m pip install -e {parent}  # or build it in place",
                ],
            )
        ],
        subject=module,
    )


# a package without its own namesake (python-env.toml): botometer.Botometer, `from kan import *`
# and then KAN undefined
_CORE_SUBMODULE = "package-core-submodule-missing"  # python-env.toml
_MISSING_NAME = re.compile(r"No module named '(\w+)\.(\w+)'")


def _core_submodule_missing(s: Snapshot) -> Finding | None:
    """DL502 as a warning: a submodule every release of the package has is missing ("No module
    named 'tokenizers.pre_tokenizers'"), so what Python imported under the package's name is
    not the package: a folder of that name in the project (a namespace package, which imports
    without error until its submodule is asked for) or one a failed install left behind."""
    said = next((e for e in s.reported_errors if e.signature == _CORE_SUBMODULE), None)
    m = _MISSING_NAME.search(said.text) if said is not None else None
    if said is None or m is None:
        return None
    module, sub = m.group(1), m.group(2)
    return finding(
        "DL502",
        severity="warning",
        title=f"Probably a folder named {module} hides the installed {module} package",
        message=f"`{module}.{sub}` is part of every {module} release, yet Python found a "
        f"`{module}` without it: what it imported as {module} is probably a folder {module}/ "
        "(or a file) of the project, in the script's directory or on its path, or an empty "
        f"{module}/ a failed install or uninstall left in site-packages.",
        evidence=[
            Evidence(
                fact=f"reported_errors.{said.signature}",
                found=first_line(said.text, 200),
                needed=f"the installed {module} package",
                note="read from the error: a strong sign, not a proof",
            )
        ],
        hint=f'Check what Python imports: `python -c "import {module}; print({module}.__path__)"`'
        " in the script's directory.",
        fixes=[
            ManualStep(
                text=f"Rename the project's {module}/ folder (and update its imports), or run "
                f"from another directory; if the path is a leftover {module}/ in site-packages, "
                f"remove it and reinstall {module}.",
                commands=[
                    f'python -c "import {module}; print({module}.__path__)"',
                    f"python -m pip install --force-reinstall --no-deps {module}",
                ],
            )
        ],
        subject=module,
    )


_NAMESAKE_MISSING = frozenset(
    {"package-namesake-attribute-missing", "star-import-namesake-undefined"}
)


def _namesake_missing(module: str, said: ReportedError) -> Finding:
    """DL502 as a warning: the module imported as `module` lacks the package's namesake, the
    headline every release exports; what was imported is probably the user's own file."""
    return finding(
        "DL502",
        severity="warning",
        title=f"Probably a file of yours named {module}.py shadows the {module} package",
        message=f"The `{module}` that Python imported lacks the package's own namesake (its "
        f"headline class or function): what was imported is probably not the package but a "
        f"file {module}.py (often the script itself) or a folder {module}/ in the script's "
        "directory, found before site-packages.",
        evidence=[
            Evidence(
                fact=f"reported_errors.{said.signature}",
                found=first_line(said.text.strip().splitlines()[-1], 200),
                needed=f"the installed {module} package",
                note="read from the error: a strong sign, not a proof",
            )
        ],
        hint=f'Check what Python imports as {module}: `python -c "import {module}; '
        f"print({module}.__file__)\"` in the script's directory.",
        fixes=[
            ManualStep(
                text=f"Rename your {module}.py (or folder {module}/) and delete its __pycache__ "
                f"and .pyc, so that `import {module}` finds the installed package.",
                commands=[
                    f'python -c "import {module}; print({module}.__file__)"',
                    f"mv {module}.py my_{module}_script.py",
                    f"rm -rf __pycache__ {module}.pyc",
                ],
            )
        ],
        subject=module,
    )


_SCRIPT_NAMED = re.compile(
    r"(?:\bpython3?\s+|\bfile\s+(?:named\s+|called\s+)?['\"`]?|\bnamed\s+['\"`]?"
    r"|\bscript\s+['\"`]?)(?P<name>[A-Za-z_]\w{0,60})\.py\b"
)


def _circular_in_chain(s: Snapshot, module: str) -> Finding | None:
    """DL502 as a warning for Python's "partially initialized module 'a.b.c' (most likely due
    to a circular import)" inside an installed package, where no traceback line shows the user's
    own file (that is the error finding above): in a user's program the usual cause is a file
    of theirs named like a module
    that the package imports (mcp.py beside autogen_ext.tools.mcp, which imports `mcp`), so
    importing the package runs the user's file, which imports the package again."""
    said = next(
        (
            e
            for e in s.reported_errors
            if e.signature == "circular-import-shadowing" and f"'{module}'" in e.text
        ),
        None,
    )
    if said is None or "." not in module:
        return None
    parts = [p for p in module.split(".") if p]
    scripts = [
        m["name"]
        for e in s.reported_errors
        for m in _SCRIPT_NAMED.finditer(e.text)
        if m["name"] not in parts
    ]
    candidates = ", ".join(f"{p}.py" for p in dict.fromkeys([*reversed(parts), *scripts]))
    return finding(
        "DL502",
        severity="warning",
        title=f"Probably a file of yours shadows a module that {parts[0]} imports",
        message=f"Python stopped with {module} only partially initialised (a circular import). "
        "In a user's program, inside an installed package, that is usually a file or folder "
        "of theirs named like a module the package imports, "
        f"found first because it sits beside the script (for example {candidates}): importing "
        "the package runs that file, which imports the package again.",
        evidence=[
            Evidence(
                fact="reported_errors.circular-import-shadowing",
                found=first_line(said.text, 200),
                note="Python's own words",
            )
        ],
        hint="List the script's folder: a .py named like a module in the error, or like a "
        "package the failing one depends on, is the culprit.",
        fixes=[
            ManualStep(
                text="Find a file or folder of yours named like a module in the import chain, "
                "rename it and delete its __pycache__.",
                commands=[
                    f'ls *.py; python -c "import {parts[-1]}; print({parts[-1]}.__file__)"',
                ],
            )
        ],
        subject=module,
    )


# the reporter: a file of theirs shares a module's name, or renaming it made it work
# (prose-python.toml); which module comes from the error the paste shows
_SAME_NAME_SAID = "said-same-name-as-module"
_RENAMED_SAID = "said-renamed-file-works"
_ERROR_MODULE = re.compile(
    r"module '(?P<a>[A-Za-z_]\w*)(?:\.\w+)*' has no attribute"
    r"|cannot import name '\w+' from '(?P<b>[A-Za-z_]\w*)"
    r"|partially initialized module '(?P<c>[A-Za-z_]\w*)"
    r"|No module named '(?P<d>[A-Za-z_]\w*)\.\w"
)


_WORD = re.compile(r"(?<![\w/\\.-])[A-Za-z_]\w{1,40}\b")


def _error_module(s: Snapshot) -> str | None:
    """The top-level module a printed import or attribute error names."""
    for e in s.reported_errors:
        if in_prose(e.signature):
            continue
        m = _ERROR_MODULE.search(e.text)
        if m is not None:
            return m["a"] or m["b"] or m["c"] or m["d"]
    return None


def _said_shadowing(s: Snapshot) -> Finding | None:
    """DL502 (a warning) from the reporter's words: their file shares a module's name (with the
    module an error names), or renaming their file made it work."""
    said = {
        e.signature: e for e in s.reported_errors if e.signature in (_SAME_NAME_SAID, _RENAMED_SAID)
    }
    module = _error_module(s)
    if module is None and _SAME_NAME_SAID in said:
        # the sentence that says "same name" may name the package itself ("a dependency and
        # module with the same name (torch and /opensoundscape/torch)")
        module = next(
            (
                w
                for w in _WORD.findall(said[_SAME_NAME_SAID].text)
                if w in SHADOWED_PACKAGES or w in _MORE_PACKAGES
            ),
            None,
        )
    if not said or (module is None and _RENAMED_SAID not in said):
        return None
    e = said.get(_RENAMED_SAID) or said[_SAME_NAME_SAID]
    name = f"`{module}`" if module else "a module it imports"
    return finding(
        "DL502",
        severity="warning",
        title=f"Probably a file of the user's shadows {module or 'a module'}",
        message=(
            "The report says renaming a file of the user's made it work"
            if e.signature == _RENAMED_SAID
            else "The report says a file of the user's has the same name as a module"
        )
        + f": a file or folder named like {name} in the script's directory (or on PYTHONPATH) "
        "is probably imported instead of the real one.",
        evidence=[
            Evidence(
                fact=f"reported_errors.{e.signature}",
                found=first_line(e.text, 200),
                note="the reporter's words",
            )
        ],
        fixes=[
            ManualStep(
                text=f"Find the file Python imports as {name} and rename it (and delete its "
                "__pycache__ and .pyc).",
                commands=[
                    f'python -c "import {module}; print({module}.__file__)"'
                    if module
                    else "ls *.py */__init__.py",
                    "rm -rf __pycache__",
                ],
            )
        ],
        subject=module or "python",
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


# -- no wheel for this Python / this platform (DL501, DL506) ------------------------------------
_TF_FAMILY = re.compile(r"^(?:tensorflow(?:-[a-z]+)?|tf-nightly(?:-[a-z]+)?|intel-tensorflow)$")
_TORCH_FAMILY = ("torch", "torchvision", "torchaudio")
_JAX_FAMILY = re.compile(r"^(?:jax|jaxlib|jax-cuda\d+-(?:plugin|pjrt))$")
_WHEEL_PY = re.compile(r"-cp(?P<major>\d)(?P<minor>\d{1,2})-")
_WHEEL_PLATFORM = re.compile(
    r"-(?P<plat>win32|win_amd64|linux_armv7l|linux_armv6l|[\w]*i686|macosx_[\w]+)\.whl$"
)


def _framework_release_package(name: str) -> bool:
    """torch, TensorFlow or JAX: packages whose releases the knowledge base knows."""
    return bool(name in _TORCH_FAMILY or _TF_FAMILY.match(name) or _JAX_FAMILY.match(name))


def _framework_package(name: str) -> bool:
    """A package whose wheels the knowledge base knows: the frameworks, and any package with a
    platform gap recorded in kb/data/wheels.json (triton: Linux only)."""
    return _framework_release_package(name) or any(name in gap.packages for gap in wheel_gaps())


def _judged_by_the_kb(s: Snapshot, f: InstallFailure) -> bool:
    """Whether the knowledge base judges this failure: a framework whose releases it knows, or
    a package with a platform gap recorded (onnxruntime-gpu on macOS) where that gap fits this
    platform, or where the paste does not say which platform it is; on a platform the gap does
    not cover such a package is judged as any other (onnxruntime-gpu on aarch64 Linux)."""
    if _framework_release_package(f.package):
        return True
    if not _framework_package(f.package):
        return False
    known = os_name(s) is not None or (s.host.arch or s.python.machine) is not None
    return not known or _platform_cause(s, f) is not None


class _Range(NamedTuple):
    release: str  # "2.13"
    low: str
    high: str


def _release_range(package: str, requested: str | None) -> _Range | None:
    """The Python range the KB gives for this release of torch or tensorflow."""
    if requested is None:
        return None
    if package == "torch":
        t = torch_release(requested)
        return _Range(t.version, t.python_min, t.python_max) if t else None
    if _TF_FAMILY.match(package) and package != "tensorflow-text":
        r = tensorflow_release(requested)
        return _Range(r.version, r.python_min, r.python_max) if r else None
    return None


def _releases(package: str) -> list[_Range]:
    from dlenv.kb import load

    kb = load()
    if package == "torch":
        return [_Range(r.version, r.python_min, r.python_max) for r in kb.torch]
    if _TF_FAMILY.match(package) and package != "tensorflow-text":
        return [_Range(r.version, r.python_min, r.python_max) for r in kb.tensorflow]
    return []


def _key(version: str) -> Version | None:
    try:
        return Version(version.split("+", 1)[0])
    except InvalidVersion:
        return None


def _asked_older_than_listed(f: InstallFailure) -> bool:
    """pip lists versions for this interpreter, all newer than the one asked for (or around it
    after an older series): that release has no wheel for this Python. The other way round (only
    older ones listed) a platform floor can explain as well (a newer glibc, manylinux_2_28)."""
    keys = [k for v in f.available or [] if (k := _key(v)) is not None]
    want = _key(f.requested) if f.requested else None
    return (
        want is not None
        and bool(keys)
        and (want < min(keys) or _in_a_gap_after_old_series(want, keys))
    )


def _in_a_gap_after_old_series(want: Version, keys: list[Version]) -> bool:
    """pip lists versions around the one asked for, but none of its series: the nearest below
    is of an older major (torch's ancient 0.1.2 sdists before 1.4.0 for torch==1.3.1 on Python
    3.8), so the releases of that era have no wheel for this Python, and later ones do."""
    below = [k for k in keys if k < want]
    above = [k for k in keys if k > want]
    return bool(above) and bool(below) and max(below).major < want.major


def _mm(text: str) -> str:
    mm = major_minor(text)
    return f"{mm[0]}.{mm[1]}" if mm else text


class _Cause(NamedTuple):
    code: str  # "DL501" or "DL506"
    why: str  # the sentence that explains it
    needed: str  # what would be needed
    fixes: list[Action]
    probable: bool = False  # reasoned from context (pip's list of versions): a warning
    # the paste cannot settle it: the other candidate, reported too (both as warnings)
    alternative: _Cause | None = None


def _python_fix(package: str, python: str, requested: str | None, why: str) -> ManualStep:
    spec = f"{package}=={requested}" if requested else package
    return ManualStep(
        text=f"Create the environment with Python {python} ({why}) and install {spec} there.",
        commands=[
            f"uv venv --python {python} .venv && uv pip install --python .venv '{spec}'",
            f"conda create -n {package}-py{python.replace('.', '')} python={python} && "
            f"conda activate {package}-py{python.replace('.', '')} && pip install '{spec}'",
        ],
    )


_CHECK_PYTHON = ManualStep(
    text="Check which Python pip runs for: its version must be one the release has wheels for, "
    "and it must be a 64-bit build.",
    commands=[
        "python -m pip --version",
        "python -c \"import sys, struct; print(sys.version, struct.calcsize('P') * 8, 'bit')\"",
    ],
)


def _newest(available: list[str]) -> str | None:
    keyed = [(k, v) for v in available if (k := _key(v)) is not None and not k.is_prerelease]
    return max(keyed)[1] if keyed else None


def _python_cause(s: Snapshot, f: InstallFailure) -> _Cause | None:
    """Why no wheel of `f` fits: the Python version (DL501), with the range it needs."""
    py = s.python.version
    pkg, req = f.package, f.requested
    rng = _release_range(pkg, req)
    what = f"{pkg} {req}" if req else pkg
    wheel_py = _WHEEL_PY.search(f.wheel or "")
    if wheel_py:
        built = f"{wheel_py['major']}.{wheel_py['minor']}"
        if py is None or _mm(py) != built:
            said = f"this interpreter is Python {_mm(py)}" if py else "the interpreter differs"
            return _Cause(
                "DL501",
                f"the wheel {f.wheel} is built for Python {built} only ({said})",
                f"Python {built}",
                [_python_fix(pkg, built, req, f"the wheel's cp{built.replace('.', '')} tag")],
            )
        return None
    if py and rng and python_in_range(py, rng.low, rng.high) is False:
        target = (
            rng.high if (major_minor(py) or (0, 0)) > (major_minor(rng.high) or (0, 0)) else rng.low
        )
        fixes: list[Action] = [
            _python_fix(pkg, _mm(target), req, f"{pkg} {rng.release} supports {rng.low}-{rng.high}")
        ]
        newest = _newest(f.available or [])
        if newest:
            fixes.append(
                InstallPackages(
                    packages=[f"{pkg}=={newest}"],
                    reason=f"the newest {pkg} pip offers for Python {_mm(py)}",
                )
            )
        return _Cause(
            "DL501",
            f"{pkg} {rng.release} supports Python {rng.low}-{rng.high}; this is Python {_mm(py)}",
            f"Python {rng.low}-{rng.high}",
            fixes,
        )
    available = f.available or []
    keys = [k for v in available if (k := _key(v)) is not None]
    want = _key(req) if req else None
    if (
        want is not None
        and keys
        and (want < min(keys) or want > max(keys) or _in_a_gap_after_old_series(want, keys))
    ):
        newer = want < max(keys)
        seen = f"{available[0]} to {available[-1]}" if len(available) > 1 else available[0]
        direction = "newer" if newer else "older"
        fixes = []
        if rng:
            fixes.append(
                _python_fix(
                    pkg,
                    rng.high if newer else rng.low,
                    req,
                    f"{pkg} {rng.release} supports {rng.low}-{rng.high}",
                )
            )
        newest = _newest(available)
        if newest:
            fixes.append(
                InstallPackages(
                    packages=[f"{pkg}=={newest}"],
                    reason="a release that has wheels for this Python",
                )
            )
        return _Cause(
            "DL501",
            f"pip sees only {pkg} {seen} for this interpreter, so {what} has no wheel for its "
            f"Python, which is {direction} than that release supports"
            + (f" ({rng.low}-{rng.high})" if rng else ""),
            f"a Python {what} supports" + (f" ({rng.low}-{rng.high})" if rng else ""),
            fixes or [_CHECK_PYTHON],
        )
    if f.available is not None and not f.available:
        return _nothing_for_python(s, f, what)
    return None


_NEW_PYTHON = "said-python-is-new"  # tune-b.toml: "using latest python, which is 3.7"


_PIP_STATED = "pip-version-stated"  # python-install.toml
_PIP_VERSION = re.compile(r"(?<![\w.])(\d{1,2}\.\d{1,2}(?:\.\d{1,2})?)(?![\w.])")


def _new_at_pip_date(s: Snapshot, py: str) -> tuple[str, str, str] | None:
    """(pip version, its month, the Python's release month) when pip's own version in the paste
    dates the report to within nine months of the release of `py`'s minor, then the newest
    Python: the window in which packages with compiled code have no wheels for it yet."""
    versions = [
        v
        for e in s.reported_errors
        if e.signature == _PIP_STATED
        for v in _PIP_VERSION.findall(e.text)
        if pip_release_month(v) is not None and not v.startswith(("2.", "3."))
    ]
    if not versions:
        return None
    pip = max(versions, key=lambda v: pip_release_month(v) or (0, 0))
    month = pip_release_month(pip)
    newest = newest_python_at(month) if month else None
    if month is None or newest is None or newest[0] != _mm(py):
        return None
    (y0, m0), (y1, m1) = newest[1], month
    if (y1 - y0) * 12 + (m1 - m0) > 9:
        return None
    return pip, f"{y1}-{m1:02d}", f"{y0}-{m0:02d}"


def _new_python_cause(s: Snapshot, f: InstallFailure) -> _Cause | None:
    """pip found no release at all (or the report says only that it found none), and the
    reporter says the Python is the newest or one just upgraded to: packages publish wheels for
    a new Python months after its release, so its version is why (a maintainer's "3.9 is not
    supported yet"), unless the release asked for is known to support it."""
    py = s.python.version
    if py is None or f.wheel or f.available or f.mismatch is not None:
        return None
    dated = _new_at_pip_date(s, py)
    if not reported(s, _NEW_PYTHON) and dated is None:
        return None
    rng = _release_range(f.package, f.requested)
    if rng is not None and python_in_range(py, rng.low, rng.high):
        return None
    mm = major_minor(py)
    what = f"{f.package} {f.requested}" if f.requested else f.package
    older = f"{mm[0]}.{mm[1] - 1}" if mm and mm[1] > 0 else _mm(py)
    said = (
        f"the report says Python {_mm(py)} is new (the latest, or just upgraded to)"
        if dated is None
        else f"pip {dated[0]} dates the report to about {dated[1]}, when Python {_mm(py)} "
        f"was the newest Python (released {dated[2]})"
    )
    return _Cause(
        "DL501",
        f"{said}, and pip found no {what} release for it: packages publish wheels and accept "
        "a new Python only months after its release",
        f"a Python {f.package} has released for (Python {older} or older)",
        [
            _python_fix(f.package, older, f.requested, f"{f.package} supports it"),
            ManualStep(
                text=f"Or check whether {f.package} has released for Python {_mm(py)} yet "
                "(its PyPI files and Requires-Python).",
                commands=[f"python -m pip index versions {f.package}"],
                url=f"https://pypi.org/project/{f.package}/#files",
            ),
        ],
    )


def _nothing_for_python(s: Snapshot, f: InstallFailure, what: str) -> _Cause:
    """pip saw no release at all: the Python version is the usual cause."""
    py = s.python.version
    pkg = f.package
    releases = _releases(pkg)
    rng = _release_range(pkg, f.requested)
    if py and releases and rng is None:
        mm = major_minor(py) or (0, 0)
        supporting = [r for r in releases if python_in_range(py, r.low, r.high)]
        top = max((major_minor(r.high) or (0, 0)) for r in releases)
        if supporting:
            first = min(supporting, key=lambda r: major_minor(r.release) or (0, 0))
            dated = _python_after_first_wheels(pkg, py) if s.python.bits != 64 else None
            if dated is not None:
                return dated
            why = (
                f"pip found no {what} wheel for Python {_mm(py)} at all; {pkg} publishes wheels "
                f"for Python {_mm(py)} only from {first.release} on"
            )
            target = f"{mm[0]}.{mm[1] - 1}" if mm > (3, 9) else first.low
            return _Cause(
                "DL501",
                f"{why} (if the report predates that release; the paste does not date it)",
                f"a Python {pkg} has wheels for",
                [
                    _python_fix(pkg, target, None, f"{pkg} has wheels for it"),
                    _CHECK_PYTHON,
                ],
                probable=True,
                # a 64-bit Python shown rules the word size out (the usual platform reading)
                alternative=None
                if s.python.bits == 64
                else _word_size_cause(
                    pkg,
                    what,
                    f"{pkg} has had wheels for Python {_mm(py)} since {first.release}, so "
                    "if the report is later than that, nothing listed at all points at",
                ),
            )
        else:
            why = f"no {pkg} release has wheels for Python {_mm(py)}"
            target = (
                f"{top[0]}.{top[1]}"
                if mm > top
                else min(releases, key=lambda r: major_minor(r.low) or (0, 0)).low
            )
        return _Cause(
            "DL501",
            why,
            f"a Python {pkg} has wheels for",
            [
                _python_fix(pkg, target, None, f"{pkg} has wheels for it"),
                ManualStep(
                    text="Or upgrade pip (an old pip does not see newer wheel tags) and retry.",
                    commands=["python -m pip install -U pip", f"python -m pip install {pkg}"],
                ),
            ],
        )
    if py and rng and python_in_range(py, rng.low, rng.high):
        # the release supports this Python, and pip still saw nothing: the platform is why
        # (an ARM Mac, a 32-bit Python, a musl or 32-bit ARM Linux, an OS it has no wheels for)
        return _Cause(
            "DL506",
            f"pip found no {what} wheel at all, although {pkg} {rng.release} supports Python "
            f"{_mm(py)} ({rng.low}-{rng.high}): this platform (OS, CPU or a 32-bit Python) is "
            "one it publishes no wheels for",
            "a platform the release has wheels for",
            [
                ManualStep(
                    text=f"See which platform pip installs for, then use one {pkg} publishes "
                    "wheels for (64-bit Python; Linux or Windows x86_64, or the package made for "
                    "this OS and CPU, such as tensorflow-macos on Apple Silicon before 2.13).",
                    commands=[
                        'python -c "import sys, platform, struct; print(sys.platform, '
                        "platform.machine(), struct.calcsize('P') * 8, 'bit')\"",
                        "python -m pip debug --verbose  # the tags this interpreter accepts",
                    ],
                )
            ],
        )
    if py and rng:
        target = rng.high
        return _Cause(
            "DL501",
            f"pip found no {what} wheel for Python {_mm(py)}; {pkg} {rng.release} supports "
            f"Python {rng.low}-{rng.high}",
            f"Python {rng.low}-{rng.high}",
            [
                _python_fix(
                    pkg,
                    _mm(target),
                    f.requested,
                    f"{pkg} {rng.release} supports {rng.low}-{rng.high}",
                )
            ],
        )
    if py is None and releases and f.requested is None and f.available == []:
        # neither the Python nor a release is named: pip lists every release of the framework
        # for any Python it supports, and says itself that it saw none ("from versions: none").
        # The maintainers' first answer is the word size (python.org's Windows installer was
        # 32-bit by default until 3.9); a Python newer than every release is the other, and the
        # check shows both
        return _word_size_cause(
            pkg,
            what,
            f"pip lists every {pkg} release for each Python it supports and found none, and the "
            "paste names neither the Python nor its platform: the usual cause (unless the "
            f"Python is newer than every {pkg} release supports) is",
        )
    hint = f" ({pkg} {rng.release} supports Python {rng.low}-{rng.high})" if rng else ""
    fixes: list[Action] = [_CHECK_PYTHON]
    if rng:
        fixes.append(
            _python_fix(
                pkg,
                _mm(rng.high),
                f.requested,
                f"{pkg} {rng.release} supports {rng.low}-{rng.high}",
            )
        )
    return _Cause(
        "DL501",
        f"pip found no {what} wheel for this interpreter at all: the usual cause is a Python "
        f"version that has no wheels of it{hint}, or a 32-bit Python",
        f"a 64-bit Python {what} has wheels for",
        fixes,
    )


def _word_size_cause(pkg: str, what: str, lead: str, alternative: _Cause | None = None) -> _Cause:
    """DL506 as a probable cause: nothing listed at all for a framework that has wheels for
    this Python, so the platform (most often a 32-bit Python on Windows) is why."""
    return _Cause(
        "DL506",
        f"{lead} the platform: a 32-bit Python (pip sees no {what} wheel for win32 or i686), "
        "or an OS or CPU the framework publishes no wheels for",
        "a 64-bit Python on a platform the framework has wheels for",
        [
            ManualStep(
                text="Check the interpreter's word size and version; install a 64-bit Python "
                "(python.org's 'Windows installer (64-bit)', amd64) of a version "
                f"{pkg} supports if it says 32 bit, and recreate the environment with it.",
                commands=[
                    'python -c "import sys, struct; print(sys.version, '
                    "struct.calcsize('P') * 8, 'bit')\"",
                    "python -m pip debug --verbose  # the tags this interpreter accepts",
                ],
                url="https://www.python.org/downloads/windows/",
            )
        ],
        probable=True,
        alternative=alternative,
    )


def _python_after_first_wheels(pkg: str, py: str) -> _Cause | None:
    """DL506 when the stated Python came out after the first `pkg` release with wheels for its
    minor (its bugfix level dates it, kb/data/wheels.json): pip would list that release and
    later ones for this Python on any platform they support, and it lists none."""
    first = first_wheels_for_python(pkg, py)
    out = python_released_by(py)
    if first is None or out is None or out <= first.month:
        return None
    year, month = out
    return _word_size_cause(
        pkg,
        pkg,
        f"Python {py} came out no earlier than {year}-{month:02d}, after {pkg} {first.release} "
        f"({first.month[0]}-{first.month[1]:02d}), the first with wheels for Python {_mm(py)}, "
        "so the Python version is not why pip lists nothing; that points at",
    )


def _platform_cause(s: Snapshot, f: InstallFailure) -> _Cause | None:
    """Why no wheel of `f` fits: the platform (DL506), from the KB's gaps and the wheel's tag."""
    arch = s.host.arch or s.python.machine
    plat = _WHEEL_PLATFORM.search(f.wheel or "")
    if plat and plat["plat"].startswith("linux_arm"):
        arch = arch or plat["plat"].removeprefix("linux_")
    gap = wheel_gap(
        f.package,
        f.requested,
        os_name=os_name(s),
        arch=arch,
        bits=s.python.bits,
        nothing_seen=f.available is not None and not f.available,
    )
    if gap is not None:
        where = ", ".join(
            x
            for x in (os_name(s), arch, f"{s.python.bits}-bit" if s.python.bits == 32 else None)
            if x
        )
        return _Cause(
            "DL506",
            f"{gap.note}" + (f" (this is {where})" if where else ""),
            "a platform with wheels",
            [
                ManualStep(
                    text=gap.route, commands=list(gap.commands), url=gap.source.split(", ")[0]
                )
            ],
        )
    if (
        f.requested
        and "+cuda" in f.requested
        and _JAX_FAMILY.match(f.package)
        and os_name(s) != "Linux"
        and f.available
    ):
        return _Cause(
            "DL506",
            f"CUDA builds of {f.package} ({f.requested}) exist for Linux only; pip saw only the "
            "CPU wheels PyPI has for this platform",
            "Linux (or WSL2)",
            [
                ManualStep(
                    text="Install JAX with CUDA inside WSL2 (or on Linux).",
                    commands=["wsl --install", 'pip install -U "jax[cuda12]"  # inside WSL2'],
                    url="https://docs.jax.dev/en/latest/installation.html#supported-platforms",
                )
            ],
        )
    return None


_WHEEL_OS = (("win", "Windows"), ("macosx", "Darwin"), ("linux", "Linux"), ("manylinux", "Linux"))


def _wheel_platform_differs(s: Snapshot, plat: str) -> bool | None:
    """Whether a wheel's platform tag names another OS (or CPU) than the machine's."""
    wheel_os = next((name for prefix, name in _WHEEL_OS if plat.startswith(prefix)), None)
    here = os_name(s)
    if wheel_os is not None and here is not None and wheel_os != here:
        return True
    arch = normalise_arch(s.host.arch or s.python.machine)
    built, here_isa = _isa(plat), _isa(arch or "")
    if built is not None and here_isa is not None and built != here_isa:
        return True  # an x86_64 wheel on a Jetson (aarch64), an aarch64 one on a PC
    if _wheel_bits(plat) not in (None, s.python.bits) and s.python.bits is not None:
        return True  # a win_amd64 wheel on a 32-bit Python, a win32 one on a 64-bit Python
    return None if here is None else False


# the instruction-set family of a wheel's platform tag or a machine's arch (its last word):
# x86 (32- or 64-bit), ARM (32- or 64-bit), POWER, Z; universal2 and the like: none
_ISA = (
    (("x86_64", "amd64", "i686", "i386", "win32", "x86"), "x86"),
    (("aarch64", "arm64", "armv7l", "armv6l"), "arm"),
    (("ppc64le", "ppc64"), "power"),
    (("s390x",), "z"),
)


def _isa(tag: str) -> str | None:
    low = tag.lower()
    return next((isa for ends, isa in _ISA if low.endswith(ends)), None)


def _wheel_bits(plat: str) -> int | None:
    """The word size a wheel's platform tag builds for: win32, i686, armv7l are 32-bit."""
    if plat == "win32" or plat.endswith(("i686", "armv7l", "armv6l")):
        return 32
    if plat.endswith(("amd64", "x86_64", "aarch64", "arm64")):
        return 64
    return None


_CP_TAG = re.compile(r"\bcp(?P<major>3)(?P<minor>\d{1,2})")


def _python_that_fits(needs: str, running: str | None) -> str | None:
    """The Python 3 minor to suggest for a stated requirement: a Requires-Python specifier
    (">=3.9,<3.13", conda's ">=3.5,<3.6.0a0|>=3.6,<3.7.0a0") or wheels' tags ("cp39, cp310").
    The one nearest the running Python; without it, the newest (the oldest for an open range)."""
    fits = sorted({(int(m["major"]), int(m["minor"])) for m in _CP_TAG.finditer(needs)})
    if not fits:
        for part in needs.replace(" ", "").split("|"):
            try:
                spec = SpecifierSet(part.rstrip(","))
            except InvalidSpecifier:
                continue
            fits += [(3, m) for m in range(6, 15) if spec.contains(f"3.{m}.0", prereleases=True)]
        fits = sorted(set(fits))
    if not fits:
        return None
    here = major_minor(running) if running else None
    if here is not None:
        best = min(fits, key=lambda v: (abs(v[1] - here[1]) if v[0] == here[0] else 99, -v[1]))
    else:
        best = fits[-1] if "<" in needs or _CP_TAG.search(needs) else fits[0]
    return f"{best[0]}.{best[1]}"


def _stated_python_cause(s: Snapshot, f: InstallFailure) -> _Cause:
    """The installer itself said the Python does not fit (Requires-Python, the wheels' Python
    tags): DL501, with the newest Python the stated requirement admits."""
    what = f"{f.package} {f.requested}" if f.requested else f.package
    py = s.python.version
    needs = f.requires_python
    target = _python_that_fits(needs, py) if needs else None
    if target is None:
        rng = _release_range(f.package, f.requested)
        target = _mm(rng.high) if rng else None
    said = f"; this is Python {_mm(py)}" if py else ""
    why = (
        f"{what} requires Python {needs}{said}"
        if needs and not _CP_TAG.search(needs)
        else f"{what} has wheels only for {needs}{said}"
        if needs
        else f"the installer found no {what} wheel for this Python's tags{said}"
    )
    fixes: list[Action] = (
        [_python_fix(f.package, target, f.requested, f"{what} supports it")] if target else []
    )
    fixes.append(_CHECK_PYTHON)
    return _Cause("DL501", why, f"Python {needs}" if needs else "a Python it has wheels for", fixes)


def _stated_platform_cause(s: Snapshot, f: InstallFailure) -> _Cause:
    """The installer itself said no wheel has this platform's tags: DL506."""
    gap = _platform_cause(s, f)
    if gap is not None:
        return gap
    what = f"{f.package} {f.requested}" if f.requested else f.package
    here = ", ".join(x for x in (os_name(s), s.host.arch or s.python.machine) if x)
    return _Cause(
        "DL506",
        f"{what} publishes no wheel for this platform" + (f" ({here})" if here else ""),
        "a platform the release has wheels for",
        [
            ManualStep(
                text=f"See which platforms {f.package} publishes wheels for (the installer's hint "
                "lists them), then install a release that has one for this OS and CPU, or run "
                "where it has (Linux x86_64, WSL2, a container).",
                commands=[
                    "python -m pip debug --verbose  # the tags this interpreter accepts",
                    f"python -m pip download --no-deps {f.package} -d /tmp/wheels",
                ],
            )
        ],
    )


_MINORITY_ARCH = ("aarch64", "arm64", "armv7l", "armv6l", "ppc64le", "s390x")


def _linux_only(package: str) -> bool:
    """The KB records that `package` publishes wheels for Linux only (triton): a gap that
    covers both Windows and macOS for every release."""
    return any(
        package in gap.packages
        and gap.os is not None
        and {"Windows", "Darwin"} <= set(gap.os)
        and gap.versions is None
        and not gap.cuda
        for gap in wheel_gaps()
    )


def _platform_reasoning(s: Snapshot, f: InstallFailure) -> _Cause | None:
    """pip saw no release at all, and the facts point at the platform rather than the Python:
    a package that publishes Linux wheels only, pasted from a machine that is not shown to be
    Linux; or a Linux ARM machine (a Jetson) whose Python is not shown to be outside the
    release's range. What a maintainer answers first ("triton doesn't support Windows",
    "there is no linux-arm64 wheel")."""
    if f.available is None or f.available or f.wheel:
        return None
    here = os_name(s)
    arch = normalise_arch(s.host.arch or s.python.machine)
    what = f"{f.package} {f.requested}" if f.requested else f.package
    if _linux_only(f.package) and here != "Linux":
        return _Cause(
            "DL506",
            f"{f.package} publishes wheels for Linux only, and pip found none of it here: "
            + (f"this is {here}" if here else "the interpreter is not a Linux one"),
            "Linux (or WSL2)",
            [
                ManualStep(
                    text=f"Run it where {f.package} has wheels: WSL2 on Windows, or Linux.",
                    commands=["wsl --install", f"pip install {f.package}  # inside WSL2"],
                )
            ],
        )
    rng = _release_range(f.package, f.requested)
    py = s.python.version
    python_fits = py is None or rng is None or python_in_range(py, rng.low, rng.high)
    if here in (None, "Linux") and arch in _MINORITY_ARCH and python_fits:
        return _Cause(
            "DL506",
            f"pip found no {what} wheel at all on this {arch} Linux machine: the release "
            f"publishes no wheel for {arch}"
            + (f" (its Python range {rng.low}-{rng.high} holds this Python)" if rng and py else ""),
            f"a wheel built for {arch}, or an x86_64 machine",
            [
                ManualStep(
                    text=f"Use a build made for {arch} (on a Jetson, NVIDIA's wheels for its "
                    "JetPack; elsewhere the project's aarch64 wheels or a source build), or run "
                    "on x86_64.",
                    commands=[
                        "uname -m",
                        f"python -m pip index versions {f.package}  # what exists here",
                    ],
                    url="https://docs.nvidia.com/deeplearning/frameworks/install-pytorch-jetson-platform/index.html",
                )
            ],
        )
    return None


_RASPBERRY_PI = re.compile(r"(?i)raspberry ?pi|raspi|\brpi\b")


# compiled packages that publish manylinux (glibc) wheels only, no musllinux ones (PyPI files)
_GLIBC_ONLY = frozenset(
    {
        "torch",
        "torchvision",
        "torchaudio",
        "tensorflow",
        "tensorflow-cpu",
        "tensorflow-gpu",
        "jaxlib",
        "onnxruntime",
        "onnxruntime-gpu",
        "tensorrt",
        "triton",
        "xformers",
        "mxnet",
    }
)


def _musl_linux(s: Snapshot, f: InstallFailure) -> _Cause | None:
    """pip found nothing it could install (or only an sdist) on Alpine Linux: its musl C library
    takes musllinux wheels only, and the deep-learning frameworks publish manylinux (glibc)
    wheels alone, so no Python version would help (the maintainers' "use a -slim image")."""
    if f.wheel or f.mismatch == "python" or f.package not in _GLIBC_ONLY:
        return None
    if "alpine" not in (s.host.distro or "").lower():
        return None
    what = f"{f.package} {f.requested}" if f.requested else f.package
    return _Cause(
        "DL506",
        f"this is Alpine Linux, whose musl C library takes only musllinux wheels, and {f.package} "
        f"publishes manylinux (glibc) wheels alone: pip finds no {what} wheel it can install",
        "a glibc-based Linux (Debian/Ubuntu; a python:X.Y-slim image)",
        [
            ManualStep(
                text="Use a glibc-based image or system (python:X.Y-slim, Debian, Ubuntu) instead "
                "of Alpine; the framework's wheels install there unchanged.",
                commands=[
                    "FROM python:3.11-slim  # instead of python:3.11-alpine",
                    f"pip install {f.package}",
                ],
                url="https://pythonspeed.com/articles/alpine-docker-python/",
            )
        ],
    )


def _raspberry_pi_32bit(s: Snapshot, f: InstallFailure) -> _Cause | None:
    """pip found no release at all on a Raspberry Pi not shown to run the 64-bit OS: the
    maintainers' first question ("Is this for a 32-bit OS?"). PyPI's compiled packages (torch,
    TensorFlow, onnxruntime, jaxlib) publish aarch64 wheels but none for 32-bit ARM, which the
    Raspberry Pi OS was before its 64-bit edition (and the Pi Zero and 1 still are)."""
    if f.wheel or f.mismatch is not None or f.available:
        return None
    if not _RASPBERRY_PI.search(s.host.cpu_model or ""):
        return None
    arch = normalise_arch(s.host.arch or s.python.machine)
    if arch is not None and arch not in ("armv7l", "armv6l"):
        return None
    rng = _release_range(f.package, f.requested)
    py = s.python.version
    if py and rng and python_in_range(py, rng.low, rng.high) is False:
        return None
    what = f"{f.package} {f.requested}" if f.requested else f.package
    shown = arch is not None
    return _Cause(
        "DL506",
        f"{'' if shown else 'probably '}this {s.host.cpu_model} runs a 32-bit OS ("
        + (arch or "armv7l/armv6l")
        + f"): pip found no {what} wheel at all, and PyPI has aarch64 wheels of such packages "
        "but none for 32-bit ARM",
        "a 64-bit OS (aarch64) on the Raspberry Pi",
        [
            ManualStep(
                text="Check the OS's word size; on a Pi 3, 4 or 5 install the 64-bit Raspberry "
                "Pi OS (aarch64), where the wheels exist (a Pi Zero or 1 has no 64-bit OS: a "
                "build made for armv6/armv7 is the only way there).",
                commands=["uname -m  # armv7l: 32-bit; aarch64: 64-bit", "getconf LONG_BIT"],
                url="https://www.raspberrypi.com/software/operating-systems/",
            )
        ],
        probable=not shown,
    )


def _pip_saw_no_release(f: InstallFailure) -> bool:
    """pip's own "(from versions: none)": no release at all for this interpreter, with no
    wheel or tag mismatch named."""
    return f.available is not None and not f.available and not f.wheel and f.mismatch is None


def _unknown_package_platform(s: Snapshot, f: InstallFailure) -> _Cause | None:
    """A package the KB does not know, with no release at all for this interpreter ("from
    versions: none"), on Windows, macOS or ARM Linux with a current Python 3: many deep-learning
    extensions publish Linux x86_64 wheels only, so the platform is the likelier gap (the
    maintainers' usual answer: "I presume there is only a linux wheel")."""
    if not _pip_saw_no_release(f):
        return None
    here = os_name(s)
    arch = normalise_arch(s.host.arch or s.python.machine)
    if here not in ("Windows", "Darwin") and arch not in _MINORITY_ARCH:
        return None
    mm = major_minor(s.python.version) if s.python.version else None
    newest = max(
        (major_minor(r.high) or (0, 0) for r in _releases("torch") + _releases("tensorflow")),
        default=(3, 12),
    )
    if mm is None or not ((3, 8) <= mm < newest):
        return None
    where = ", ".join(x for x in (here, arch) if x)
    return _Cause(
        "DL506",
        f"pip found no release of {f.package} at all for Python {mm[0]}.{mm[1]} on {where}; "
        "a current Python rules out the Python version, so the package most likely publishes "
        "no wheel for this platform (many publish Linux x86_64 wheels only)",
        "a platform the package publishes wheels for",
        [
            ManualStep(
                text=f"Check which platforms {f.package} has wheels for on its PyPI files page; "
                "on Windows, run it in WSL2.",
                commands=[
                    f"python -m pip download --no-deps {f.package} -d /tmp/wheels",
                    "wsl --install",
                ],
                url=f"https://pypi.org/project/{f.package}/#files",
            )
        ],
    )


def _stated_python_no_release(s: Snapshot, f: InstallFailure) -> _Cause | None:
    """The other side of `_unknown_package_platform`: pip found no release at all of a package
    the KB does not know ("from versions: none"), the paste states the Python it ran for, and
    nothing puts a platform gap in view (64-bit, x86_64 or unnamed, Linux or unnamed: Colab, a
    server). There the Python's version is the usual answer ("stellargraph needs Python <3.9",
    "Python 3.10 is not supported at this moment"): the project has published no wheel, and no
    Requires-Python, for it; a warning, with the check."""
    if not _pip_saw_no_release(f):
        return None
    if reported(s, _NO_BUILD_SAID) or reported(s, _CEILING_SAID):
        return None  # the reporter weighed the Python already (and `_said_python_cause` did not)
    py = s.python.version
    mm = major_minor(py) if py else None
    if py is None or mm is None or mm[0] != 3 or s.python.bits == 32:
        return None
    arch = normalise_arch(s.host.arch or s.python.machine)
    if os_name(s) not in (None, "Linux") or arch not in (None, "x86_64"):
        return None
    # an old Python is more often one a project dropped, a recent one one it has not reached
    other = f"{mm[0]}.{mm[1] + 2}" if mm <= (3, 8) else f"{mm[0]}.{mm[1] - 1}"
    return _Cause(
        "DL501",
        f"pip found no release of {f.package} at all for Python {mm[0]}.{mm[1]}, on a platform "
        "most packages publish wheels for: the project has probably published none for this "
        "Python (newer than its releases, or older than the ones it still supports)",
        f"a Python {f.package} publishes wheels for",
        [
            ManualStep(
                text=f"Check which Pythons {f.package} publishes wheels for (its PyPI files and "
                "Requires-Python), and create the environment with one of them.",
                commands=[
                    f"python -m pip index versions {f.package}",
                    f"uv venv --python {other} .venv && uv pip install --python .venv {f.package}",
                ],
                url=f"https://pypi.org/project/{f.package}/#files",
            )
        ],
        probable=True,
    )


_CUDA_LOCAL_TAG = re.compile(r"\+cu(?:da)?\d")
# pip's own "Looking in indexes/links:" line naming one of PyTorch's CUDA wheel indexes
# (python-install.toml): pip did search the CUDA builds
_TORCH_CUDA_INDEX = "pip-searched-pytorch-cuda-index"


def _torch_cuda_build_missing(s: Snapshot, f: InstallFailure) -> _Cause | None:
    """A CUDA build of torch asked for (a "+cuXXX" version, PyTorch's CUDA index searched) that
    pip could not find, where the facts put the gap in the platform, not the Python: the
    machine is a Mac (PyTorch never published CUDA wheels for macOS), or pip listed the very
    release (so this Python has wheels of it) while the CUDA index it searched had no build of
    it for this OS and CPU."""
    if f.package not in _TORCH_FAMILY or f.wheel or f.mismatch is not None:
        return None
    tagged = f.requested is not None and _CUDA_LOCAL_TAG.search(f.requested) is not None
    searched = [e.text for e in s.reported_errors if e.signature == _TORCH_CUDA_INDEX]
    cuda_index = any("torch_stable" not in text for text in searched)  # only CUDA wheels there
    if not (tagged or cuda_index):
        return None
    plain_version = (f.requested or "").split("+", 1)[0]
    want = _key(plain_version) if plain_version else None
    release_seen = want is not None and any(
        _key(v) == want and "+" not in v for v in f.available or []
    )
    mac = os_name(s) == "Darwin"
    if not (mac or (release_seen and tagged and searched)):
        return None
    what = f"{f.package} {f.requested}" if f.requested else f.package
    plain = f"{f.package}=={plain_version}" if plain_version else f.package
    why = (
        f"{what} is asked for from PyTorch's CUDA wheels, which exist for Linux and Windows "
        "only: this is macOS"
        if mac
        else f"pip lists {f.package} {plain_version} itself, so this Python has wheels of that "
        f"release, but the CUDA index it searched has no {what} build for this OS and CPU"
    )
    return _Cause(
        "DL506",
        why,
        "Linux or Windows on x86_64 (CUDA wheels)",
        [
            ManualStep(
                text=f"On macOS install the plain build from PyPI ({plain}; Apple Silicon GPUs "
                "run through MPS, not CUDA), or run the CUDA build on Linux or Windows."
                if mac
                else "Check the OS and CPU pip installs for: PyTorch's CUDA wheels are for "
                "Linux and Windows x86_64; elsewhere install the plain build from PyPI.",
                commands=[
                    f"pip install {plain}",
                    'python -c "import sys, platform; print(sys.platform, platform.machine())"',
                ],
                url="https://pytorch.org/get-started/previous-versions/",
            )
        ],
    )


def _last_for_a_python(package: str, version: Version) -> bool:
    """Whether `version`'s series is the last one of `package` for some Python minor (torch 2.4
    for Python 3.8): a list of versions ending there may name that Python, not a platform."""
    releases = _releases(package)
    if not releases:
        return False
    series = (version.major, version.minor)
    later = [x for x in releases if (major_minor(x.release) or (0, 0)) > series]
    for r in releases:
        low, high = major_minor(r.low), major_minor(r.high)
        if major_minor(r.release) != series or low is None or high is None or low[0] != high[0]:
            continue
        for minor in range(low[1], high[1] + 1):
            py = f"{low[0]}.{minor}"
            if not any(python_in_range(py, x.low, x.high) for x in later):
                return True
    return False


def _spec_floor(f: InstallFailure) -> str | None:
    """The lowest version a requirement stated as a range admits ("torch<3.0.0,>=2.3.0": 2.3.0)."""
    try:
        spec = SpecifierSet(f.specifier or "")
    except InvalidSpecifier:
        return None
    floors = [
        (k, s.version)
        for s in spec
        if s.operator in (">=", "~=", ">") and (k := _key(s.version)) is not None
    ]
    return max(floors)[1] if floors else None


def _starts_at_a_platform_floor(f: InstallFailure) -> bool:
    """pip's list begins exactly at the first release a platform has wheels for (jaxlib 0.4.13,
    the first with Windows wheels: a gap "<0.4.13" in kb/data/wheels.json): the list names that
    platform, not a Python."""
    keys = [k for v in f.available or [] if (k := _key(v)) is not None]
    if not keys:
        return False
    first = min(keys)
    for gap in wheel_gaps():
        if f.package not in gap.packages:
            continue
        for spec in gap.versions or ():
            for bound in spec.split(","):
                b = bound.strip()
                if b.startswith("<") and not b.startswith("<=") and _key(b[1:]) == first:
                    return True
    return False


def _list_ends_at_platform(s: Snapshot, f: InstallFailure) -> _Cause | None:
    """pip lists versions of the package, newest first missing: the list ends exactly at the
    last release the KB records for a platform (torch 2.2.2, the last with Intel Mac wheels;
    onnxruntime 1.23.2) and the release asked for is newer. Version arithmetic on pip's own
    list names the platform, unless that release is also the last for some Python version (then
    the Python may be why), or the machine is shown to be another platform."""
    asked = f.requested or _spec_floor(f)
    if f.wheel or f.mismatch is not None or not f.available or not asked:
        return None
    keyed = [(k, v) for v in f.available if (k := _key(v)) is not None and not k.is_prerelease]
    want = _key(asked)
    if not keyed or want is None:
        return None
    newest, newest_text = max(keyed)
    if want <= newest:
        return None
    end = platform_end(f.package, newest_text)
    if end is None or _last_for_a_python(f.package, newest):
        return None
    here = os_name(s)
    arch = normalise_arch(s.host.arch or s.python.machine)
    if (here is not None and end.os and here != end.os) or (
        arch is not None and end.arch and arch != end.arch
    ):
        return None
    py = s.python.version
    rng = _release_range(f.package, f.requested)
    if py and rng and python_in_range(py, rng.low, rng.high) is False:
        return None  # the Python is outside the release's range: DL501's
    shown = here == end.os and arch == end.arch
    what = f"{f.package} {f.requested}" if f.requested else f"{f.package}>={asked}"
    return _Cause(
        "DL506",
        f"{'' if shown else 'probably '}this is {end.platform}: pip lists {f.package} up to "
        f"{newest_text} and nothing newer, and {newest_text} is the last release with wheels "
        f"for {end.platform}, so {what} has no wheel for this platform (no Python version "
        "changes that)",
        f"a platform {what} has wheels for",
        [
            InstallPackages(
                packages=[f"{f.package}=={newest_text}"],
                reason=f"the last {f.package} release with wheels for {end.platform}",
            ),
            ManualStep(
                text=f"Or run {what} on a platform it has wheels for (Apple Silicon, Linux "
                "or Windows x86_64); check the machine pip installs for first.",
                commands=[
                    'python -c "import sys, platform; print(sys.platform, platform.machine())"',
                ],
                url=end.source.split(", ")[0],
            ),
        ],
        probable=not shown,
    )


def _glibc_refused(s: Snapshot, f: InstallFailure) -> bool:
    """A manylinux wheel refused on a system whose (stated or distribution's) glibc is older
    than its tag: DL507's, not a platform the package lacks."""
    tag = manylinux_glibc(f.wheel or "")
    have = s.host.glibc_version or distro_glibc(s.host.distro, s.host.distro_version)
    return tag is not None and have is not None and glibc_older(have, tag[0])


def _install_cause(s: Snapshot, f: InstallFailure) -> _Cause | None:
    if _glibc_refused(s, f):
        return None
    if f.mismatch == "python":
        return _stated_python_cause(s, f)
    if f.mismatch == "platform":
        return _stated_platform_cause(s, f)
    wheel_py = _WHEEL_PY.search(f.wheel or "")
    plat = re.search(r"-(?P<plat>[a-z][\w]*)\.whl$", f.wheel or "")
    if wheel_py and plat:
        # a wheel file in hand exists for its platform, so the KB's "no wheel published" gaps
        # do not apply: its tags do not fit this interpreter. Python's cpXY tag differing wins;
        # then a platform tag naming another OS; with neither known, the Python tag is the one
        # to check first (a cp35 wheel for the Raspberry Pi on Raspbian's Python 3.4)
        py = s.python.version
        built = f"{wheel_py['major']}.{wheel_py['minor']}"
        if py is not None and _mm(py) != built:
            return _python_cause(s, f)
        differs = _wheel_platform_differs(s, plat["plat"])
        if differs is False and f.message.strip(" \t`") == f.wheel:
            return None  # a wheel the report only names, whose tags fit this interpreter
        if py is None and differs is not True:
            return _python_cause(s, f)
        if differs:
            bits = f"a {s.python.bits}-bit Python" if s.python.bits else None
            here = ", ".join(x for x in (os_name(s), s.host.arch or s.python.machine, bits) if x)
            return _Cause(
                "DL506",
                f"the wheel {f.wheel} is built for {plat['plat']}, and this is {here}",
                f"a wheel for {here}",
                [
                    ManualStep(
                        text=f"Download the wheel for this platform ({here}) and Python, or let "
                        f"pip choose it: pip install {f.package}"
                        + (f"=={f.requested}" if f.requested else ""),
                        commands=["python -m pip debug --verbose  # the tags this pip accepts"],
                    )
                ],
            )
    unknown_platform = os_name(s) is None and (s.host.arch or s.python.machine) is None
    if unknown_platform and _asked_older_than_listed(f) and not _starts_at_a_platform_floor(f):
        # pip lists only releases newer than the one asked for, on a platform the paste does
        # not name: that release has no wheel for this Python (test-time-training/ttt-lm-jax#5:
        # jaxlib 0.4.14+cuda12 beside 0.4.17 and later), whatever an OS gap would say
        listed = _python_cause(s, f)
        if listed is not None:
            return listed
    platform = (
        _torch_cuda_build_missing(s, f)
        or _platform_cause(s, f)
        or _musl_linux(s, f)
        or _list_ends_at_platform(s, f)
        or _raspberry_pi_32bit(s, f)
        or _platform_reasoning(s, f)
    )
    if platform is not None:
        return platform
    new_python = _new_python_cause(s, f)
    if new_python is not None:
        return new_python
    if _windows_gpu_wheel_gone(s, f):
        return None  # TensorFlow >= 2.11 has no GPU build on native Windows: DL402's
    python = _python_cause(s, f)
    if python is not None:
        return python
    py = s.python.version
    rng = _release_range(f.package, f.requested)
    if py and (rng is None or python_in_range(py, rng.low, rng.high)) and f.available is None:
        # uv: "no wheel for the current platform", and the Python is one the release supports
        what = f"{f.package} {f.requested}" if f.requested else f.package
        return _Cause(
            "DL506",
            f"{what} has no wheel for this platform with Python {_mm(py)}"
            + (f" (it supports Python {rng.low}-{rng.high} on some platforms)" if rng else ""),
            "a platform and Python the release has wheels for",
            [_CHECK_PYTHON],
        )
    if f.available is None and f.wheel is None:
        return _nothing_for_python(s, f, f"{f.package} {f.requested}" if f.requested else f.package)
    return None


def _windows_gpu_wheel_gone(s: Snapshot, f: InstallFailure) -> bool:
    """tensorflow-gpu asked at >= 2.11 while pip offers nothing past the last native-Windows
    GPU release: the list itself shows native Windows, where no newer GPU build exists."""
    return windows_gpu_list_ends(f)


# a package's own guard (setup.py, __init__.py), not an installer: "TTS requires python >= 3.9
# and < 3.12 but your Python version is 3.12.0" (python-install.toml's
# package-requires-python-but-running; pip 9's own wording says "the running Python")
_OWN_GUARD = re.compile(
    r"(?:requires|needs|supports) [Pp]ython[^\n]{1,80}?(?:but|while|however),? (?:your|the "
    r"current|you are using|you have|you're using|found)"
)


def _installer(message: str) -> str:
    """Which installer printed a pasted failure: uv and conda word theirs apart from pip's."""
    if re.search(r"╰─▶|\bhint: |current Python version \(|Python ABI|matching platform", message):
        return "uv"
    if re.search(
        r"python\[version=|PackagesNotFoundError|is not installable because"
        r"|which does not exist \(perhaps|Package missing in current",
        message,
    ):
        return "conda"
    if "installation candidates for" in message:
        return "Poetry"
    return "pip"


# the reporter: "jax is not installable on windows" (prose-python.toml); pip's own words quoted in
# a sentence (prose-statements.toml's said-no-version-for-package) stay an installer's message
_NOT_INSTALLABLE_SAID = "said-not-installable-on-platform"


def _said_failure(s: Snapshot, f: InstallFailure) -> bool:
    """Whether the failure is known only from the reporter's words ("jax is not installable on
    windows", prose-python.toml), not from an installer's message."""
    return any(
        e.signature in (_NOT_INSTALLABLE_SAID, _VERSION_MISSING_SAID)
        and e.text.strip()
        and e.text.strip() in f.message
        for e in s.reported_errors
    )


_NO_BUILD_SAID = "said-no-build-for-python"  # prose-python.toml: "no mediapipe for Python 3.12"
_SAID_PY = re.compile(r"3\.\d{1,2}")


def _said_python_cause(s: Snapshot, f: InstallFailure) -> _Cause | None:
    """pip found nothing at all for a package outside the KB, and the reporter says the package
    has no build for (does not support) the Python they name, the one the paste runs: their
    reading of pip's "from versions: none" is the maintainers' (a Python the package has not
    released for yet), given as a probable cause with the check that confirms it."""
    if f.wheel or f.available or f.mismatch is not None:
        return None
    py = s.python.version
    for e in s.reported_errors:
        if e.signature != _NO_BUILD_SAID:
            continue
        said = _SAID_PY.search(e.text)
        if said is None or (py is not None and _mm(py) != said.group()):
            continue
        mm = major_minor(said.group())
        older = f"{mm[0]}.{mm[1] - 1}" if mm and mm[1] > 0 else said.group()
        what = f"{f.package} {f.requested}" if f.requested else f.package
        return _Cause(
            "DL501",
            f"the report says there is no build for Python {said.group()} "
            f'("{first_line(e.text)[:120]}"), and pip found no {what} release for it',
            f"a Python {f.package} has released wheels for (Python {older} or older)",
            [
                _python_fix(f.package, older, f.requested, f"{f.package} has wheels for it"),
                ManualStep(
                    text=f"Check which Pythons {f.package} has wheels for (the cpXY tags of "
                    "its files on PyPI).",
                    commands=[f"python -m pip index versions {f.package}"],
                    url=f"https://pypi.org/project/{f.package}/#files",
                ),
            ],
            probable=True,
        )
    return None


# prose-python.toml: "Required torch version doesn't exist", "no version of Torch"
_VERSION_MISSING_SAID = "said-framework-version-missing"


def _install_findings(s: Snapshot, code: str) -> Iterator[Finding]:
    bundled = _paste_python(s) if s.python.version is None else None
    if bundled is not None:
        # pip inside Blender installs for the Python that Blender release bundles
        s = replace(s, python=replace(s.python, version=bundled[0]))
    for f in s.python.install_failures:
        # a package outside the KB counts when the installer itself said what did not fit,
        # or when the wheel it refused names its Python (cpXY) and platform in its file name
        severity: Literal["error", "warning"] = "error"
        if (
            not _judged_by_the_kb(s, f)
            and f.mismatch is None
            and not _WHEEL_PY.search(f.wheel or "")
        ):
            # outside the KB: pip's own list of versions (the one asked for older than every
            # version it lists for this interpreter), the reporter's new Python, or the platform
            # inference; only as a warning
            listed = _python_cause(s, f) if _asked_older_than_listed(f) else None
            cause = (
                _list_ends_at_platform(s, f)
                or _musl_linux(s, f)
                or _raspberry_pi_32bit(s, f)
                or listed
                or _new_python_cause(s, f)
                or _said_python_cause(s, f)
                or _unknown_package_platform(s, f)
                or _stated_python_no_release(s, f)
            )
            severity = "warning"
        else:
            cause = _install_cause(s, f)
        if cause is not None and cause.code != code:
            cause = cause.alternative
        if cause is None or cause.code != code:
            continue
        what = f"{f.package} {f.requested}" if f.requested else f.package
        named = bool(f.wheel) and f.message.strip(" \t`") == f.wheel
        if cause.probable or named:
            severity = "warning"  # reasoned from context, or a wheel named with no error
        said = _said_failure(s, f)
        if said:
            severity = "warning"  # the reporter's words, not an installer's message
        guard = code == "DL501" and _OWN_GUARD.search(f.message) is not None
        yield finding(
            code,
            severity=severity,
            title=f"The installed {what} needs another Python"
            if "SyntaxError" in f.message
            else f"{what} refuses this Python"
            if guard
            else f"No {what} wheel for this " + ("Python" if code == "DL501" else "platform"),
            message=f"The installed {what} cannot run on this Python: {cause.why}."
            if "SyntaxError" in f.message
            else f"{what}'s own version check refuses this Python: {cause.why}."
            if guard
            else f"The report says {what} cannot be installed here; probably {cause.why}."
            if said
            else f"The report names the wheel {f.wheel}, and probably it cannot install here: "
            f"{cause.why}."
            if named
            else f"{_installer(f.message)} could not install {what}: {cause.why}"
            + (f" ({bundled[1].split(': ')[0]})." if bundled is not None else "."),
            evidence=[
                Evidence(
                    fact="python.install_failures",
                    found=f.message[:200] or what,
                    needed=cause.needed,
                    note=f"available: {', '.join(f.available) or 'none'}"
                    if f.available is not None
                    else f"Python {bundled[0]}: {bundled[1]}"
                    if bundled is not None
                    else None,
                )
            ],
            fixes=cause.fixes,
            subject=f.package,
        )


@rule("DL506", "no-wheel-for-platform", "error", "python")
def no_wheel_for_platform(s: Snapshot) -> Iterator[Finding]:
    """What it checks: a pasted installer error (pip's "from versions: none", "No matching
    distribution found", "is not a supported wheel on this platform", uv's "doesn't have a source
    distribution or wheel for the current platform", conda's PackagesNotFoundError and libmamba's
    "which does not exist (perhaps a missing channel)") for a framework package that publishes no
    wheels for this platform: 32-bit Python, 32-bit ARM, jaxlib before 0.4.13 and CUDA jaxlib on
    Windows, tensorflow-text on Windows outside 2.4-2.10, tensorflow-cpu on Apple Silicon, torch
    after 2.2 and TensorFlow after 2.16 on Intel Macs (the KB's wheels.json); and a release whose
    Python range holds this Python while pip saw no file of it at all: then the platform, not the
    Python, is why. With no release seen at all it also reasons from the platform the paste shows
    (wheels pip downloaded, pip debug's tags, conda's platform subdir, paths, host names, a Jetson):
    a Linux-only package (triton) on a machine not shown to be Linux, an ARM Linux machine, and, as
    a warning, a package outside the KB on Windows, macOS or ARM with a current Python 3. A CUDA
    build of torch ("+cuXXX", PyTorch's CUDA index searched) that pip could not find on a Mac, or
    whose release pip lists from PyPI (so the Python fits) while the CUDA links page it searched had
    none, is a platform gap too. Version arithmetic on pip's list: a "from versions: ..." list that
    ends exactly at the last release with wheels for a platform (torch 2.2.2 and onnxruntime 1.23.2
    for Intel Macs, kb/data/wheels.json's last_releases) while a newer release is asked for names
    that platform (a "probably" warning unless the paste shows it), unless that release is also the
    last for some Python version. Poetry's "Unable to find installation candidates" is such a
    failure too. A wheel's word size against the Python's (a win_amd64 wheel on a 32-bit Python,
    pip debug's "32 bit (Intel)" and win32 tags) is a platform mismatch; and nothing found at all
    on a Raspberry Pi not shown to run the 64-bit OS is, probably, its 32-bit OS (armv7l). The
    reporter saying the package cannot be installed on the platform ("jax is not installable on
    windows", "no wheels for MacOS with ARM64") is read as such a failure, and judged the same
    way as a warning. pip searching piwheels (Raspberry Pi OS's index) marks a Raspberry Pi; and
    on Alpine Linux (a python:X.Y-alpine image, apk) a framework that publishes manylinux
    (glibc) wheels only (torch, TensorFlow, jaxlib, onnxruntime) has no wheel at all: pip fails,
    or falls back to an sdist such as torch's 0.1.2 placeholder. pip's own "from versions:
    none" for torch or TensorFlow with neither the Python nor a release named is, probably, the
    platform (a 32-bit Python first: the maintainers' first answer) as a warning whose check
    prints the Python's version and word size; with a Python that came out after the first
    release with wheels for it (its bugfix level dates it), the platform too; with a Python
    the paste cannot date against those wheels, this and DL501 are both reported as warnings.
    pip building a package's source distribution, with an error after it, on an architecture
    few projects publish wheels for (ppc64le, s390x, riscv64, 32-bit ARM) is a warning too.

    Why it matters: no Python version and no pip option makes that install work; the
    package has to come another way (WSL2, a 64-bit Python, another package or release).

    Example: `pip install jaxlib==0.1.37` on Windows: "Could not find a version that satisfies
    the requirement jaxlib==0.1.37 (from versions: none)".

    Fix: the route the KB names for that gap, such as `wsl --install` then
    `pip install -U "jax[cuda12]"` inside WSL2, or a 64-bit Python.
    """
    found = list(_install_findings(s, "DL506"))
    yield from found
    if not found:
        yield from _source_build_on_rare_arch(s)


_SDIST = "pip-took-source-distribution"  # src-installers.toml
_SDIST_PACKAGE = re.compile(
    r"(?P<pkg>[A-Za-z][\w.-]{0,80}?)-(?P<ver>\d[\w.!+]{0,60}?)\.(?:tar\.gz|zip)"
)
# architectures few projects publish wheels for: pip builds their source distributions there
_FEW_WHEELS = ("ppc64le", "s390x", "riscv64", "armv7l", "armv6l")


def _source_build_on_rare_arch(s: Snapshot) -> Iterator[Finding]:
    """DL506, a warning: pip took a package's source distribution and an error followed, on a
    machine of an architecture few projects publish wheels for (POWER, IBM Z, RISC-V, 32-bit
    ARM): there was no wheel for it, so pip built the source, which needs the project's own
    build tools and libraries (sentencepiece before its ppc64le wheels: "Failed to find
    sentencepiece pkgconfig")."""
    said = next((e for e in s.reported_errors if e.signature == _SDIST), None)
    arch = s.host.arch
    if said is None or arch not in _FEW_WHEELS or s.python.install_failures:
        return
    if not any(not e.harmless and e.signature != _SDIST for e in s.reported_errors):
        return  # the build did not fail in the paste
    m = _SDIST_PACKAGE.search(said.text)
    what = f"{m['pkg']} {m['ver']}" if m else "the package"
    yield finding(
        "DL506",
        severity="warning",
        title=f"Probably no {arch} wheel of {what}: pip built its source, which failed",
        message=f"pip took the source distribution of {what} on a {arch} machine and the build "
        f"failed: the project publishes no wheel for {arch}, so pip falls back to compiling it, "
        "which needs its build tools and C/C++ libraries.",
        evidence=[
            Evidence(
                fact="host.arch", found=arch, needed="an architecture the wheels are built for"
            ),
            Evidence(fact=f"reported_errors.{_SDIST}", found=first_line(said.text, 200)),
        ],
        fixes=[
            ManualStep(
                text=f"Look for a wheel built for {arch} (a newer release, conda-forge, the "
                "distribution's package), or install the build dependencies the project's "
                "source build names.",
                commands=[
                    "python -m pip download --no-deps --only-binary=:all: "
                    f"{m['pkg'] if m else 'PACKAGE'} -d /tmp/w   # fails where no wheel fits",
                    f"conda install -c conda-forge {m['pkg'] if m else 'PACKAGE'}",
                ],
            )
        ],
        subject=m["pkg"] if m else "python",
    )


def _source_build_predates_python(s: Snapshot) -> Iterator[Finding]:
    """DL501, a warning: pip took the source distribution of a release older than the first
    one with wheels for the Python the paste shows (the knowledge base's first wheels per
    Python: numpy 1.24.4 on Python 3.12, whose wheels began with 1.26.0). That release has no
    wheel for this Python, so pip builds it, which fails without its compilers: a pin (a
    dependency's `numpy<1.25`) older than the Python."""
    py = s.python.version
    if not py or s.host.arch in _FEW_WHEELS or "alpine" in (s.host.distro or "").lower():
        return  # a platform without wheels builds every source distribution (DL506's)
    for e in s.reported_errors:
        m = _SDIST_PACKAGE.search(e.text) if e.signature == _SDIST else None
        if m is None or m["ver"].startswith("0.1.2"):
            continue  # torch's 0.1.2 is PyPI's placeholder, taken where no wheel fits at all
        pkg = canonicalize_name(m["pkg"])
        first = first_wheels_for_python(pkg, py)
        if first is None:
            continue
        try:
            if Version(m["ver"]) >= Version(first.release):
                continue
        except InvalidVersion:
            continue
        what = f"{pkg} {m['ver']}"
        mm = major_minor(py)
        before = f"{mm[0]}.{mm[1] - 1}" if mm else py  # the minor before this Python's
        yield finding(
            "DL501",
            severity="warning",
            title=f"No {what} wheel for Python {_mm(py)}: pip builds it from source",
            message=f"pip took the source distribution of {what}: {pkg}'s wheels for Python "
            f"{_mm(py)} began with {first.release} ({first.month[0]}-{first.month[1]:02d}), so "
            f"this older release has none, and building it needs its compilers and usually "
            "fails. A requirement pins a release older than this Python.",
            evidence=[
                Evidence(fact="python.version", found=py),
                Evidence(fact=f"reported_errors.{_SDIST}", found=first_line(e.text, 200)),
                Evidence(
                    fact="kb.first_wheels_for_python",
                    found=None,
                    needed=f"{pkg}>={first.release}",
                    note=first.source,
                ),
            ],
            fixes=[
                ManualStep(
                    text=f"Use a Python that {what} has wheels for (an older minor), or let the "
                    f"requirement take {pkg} {first.release} or newer.",
                    commands=[
                        f"uv venv --python {before}",
                        f'python -m pip install "{pkg}>={first.release}"',
                    ],
                )
            ],
            subject=pkg,
        )
        return


# -- another interpreter's packages on the path (DL505) -----------------------------------------
_PY_IN_PATH = re.compile(
    r"[/\\]lib(?:64)?[/\\](?:python|pypy)(?P<maj>[23])(?:\.(?P<min>\d+))?(?=[/\\]|$)"
    r"|[/\\]Python(?P<wmaj>[23])(?P<wmin>\d{1,2})[/\\](?:Lib|site-packages)(?=[/\\]|$)",
    re.IGNORECASE,
)
# messages of an extension module built for another Python (python-paths.toml)
_FOREIGN_SIGNATURES = frozenset(
    {
        "extension-for-other-python",
        "python2-symbol-in-python3",
        "pythonpath-other-major",
        "python2-source-in-python3",
        "extension-compiled-for-other-python",
        "windows-module-uses-other-python-dll",
        "python3-old-minor-symbol",
        "user-site-script-in-traceback",
        "user-site-in-environment-traceback",
        "user-site-overrides-environment",
    }
)
_USER_SITE_SCRIPT = "user-site-script-in-traceback"
_USER_SITE_LEAKS = ("user-site-in-environment-traceback", "user-site-overrides-environment")
_ROS = re.compile(r"/opt/ros/(?P<distro>[\w-]+)/")
_STILL_OLD = "said-reinstalled-still-old"  # prose-statements.toml


def _reinstall_did_not_take(said: ReportedError) -> Finding:
    """DL505 (a warning) from the reporter's words: a reinstall or upgrade did not change the
    version Python imports, so another copy comes first on its path."""
    module = said.framework or "the package"
    show = said.framework or "torch"
    return finding(
        "DL505",
        title="Python imports another copy than the one reinstalled",
        message="The report says a reinstall or upgrade did not change the version Python "
        "imports: another copy of "
        f"{module} comes first on its path (the user site ~/.local/lib/pythonX.Y of a `pip "
        "install --user`, another environment's site-packages in PYTHONPATH, or a pip of "
        "another interpreter installing elsewhere).",
        severity="warning",
        evidence=[
            Evidence(
                fact=f"reported_errors.{_STILL_OLD}",
                found=first_line(said.text, 200),
                note="the reporter's words",
            )
        ],
        hint="Install with the interpreter that runs the code (`python -m pip`, not `pip`), "
        "and remove the other copy.",
        fixes=[
            ManualStep(
                text="See which file Python imports and which pip installs, then uninstall the "
                "copy that comes first (repeat until the import fails, then reinstall once).",
                commands=[
                    f'python -c "import {show}; print({show}.__version__, {show}.__file__)"',
                    f"python -m pip show {show}",
                    "python -m site",
                    f"python -m pip uninstall {show}",
                ],
            ),
            SetEnv(
                name="PYTHONNOUSERSITE",
                value="1",
                reason="keep ~/.local/lib/pythonX.Y out of this environment's path",
            ),
        ],
        subject="python",
    )


# what reporters say about another installation's copy (prose-python.toml): the statement
# names the mechanism (a copy used instead, pip serving another Python, a fix by unsetting
# PYTHONPATH), except PYTHONPATH naming another install, which counts only beside a failure
_USER_SITE_SAID = "said-user-site-used-instead"
_PIP_OTHER_SAID = "said-pip-other-python"
_PYTHONPATH_SAID = "said-pythonpath-other-install"
_UNSET_WORKS_SAID = "said-unset-pythonpath-works"
_CHECK_COPIES = ManualStep(
    text="See which interpreter runs, which pip installs, and where the module is imported from "
    "(its file shows which site-packages wins).",
    commands=[
        'python -c "import sys; print(sys.executable); print(*sys.path, sep=chr(10))"',
        "python -m pip --version",
        "python -m site",
        "echo $PYTHONPATH",
    ],
)


def _said_other_copy(s: Snapshot) -> Finding | None:
    """DL505 (a warning) from the reporter's words: the user site, another Python's pip, or
    PYTHONPATH puts another installation's packages in the environment's place."""
    said = {e.signature: e for e in s.reported_errors if in_prose(e.signature)}
    # a failure that a program printed, and that no shadowing file explains (DL502's reading)
    failed = not s.python.shadowing and any(
        not e.harmless and not in_prose(e.signature) for e in s.reported_errors
    )
    if _USER_SITE_SAID in said:
        e = said[_USER_SITE_SAID]
        message = (
            "The report says packages of the user site (`pip install --user`, "
            "~/.local/lib/pythonX.Y or %APPDATA%\\Python) are used instead of the environment's "
            "own: Python puts the user site on the path of every interpreter of that version, "
            "ahead of the environment's site-packages, and pip counts what it finds there as "
            "installed."
        )
        fixes: list[Action] = [
            SetEnv(
                name="PYTHONNOUSERSITE",
                value="1",
                reason="keep the user site out of this environment's path",
            ),
            ManualStep(
                text="Remove the user-site copies (or the whole ~/.local/lib/pythonX.Y) and "
                "reinstall the packages into the environment.",
                commands=[
                    "python -m site --user-site",
                    "python -m pip list --user",
                    "PYTHONNOUSERSITE=1 python -m pip install --force-reinstall <package>",
                ],
            ),
        ]
    elif _PIP_OTHER_SAID in said:
        e = said[_PIP_OTHER_SAID]
        message = (
            "The report says pip installs into (or belongs to) another Python than the one "
            "that runs the code: packages land in that interpreter's site-packages, and this "
            "one imports its own (or none)."
        )
        fixes = [
            ManualStep(
                text="Install with the interpreter that runs the code: `python -m pip` (in "
                "Jupyter `%pip install`), never a bare `pip` from PATH.",
                commands=[
                    "which -a python pip  # Windows: where python pip",
                    "python -m pip --version",
                    "python -m pip install <package>",
                ],
            )
        ]
    elif _UNSET_WORKS_SAID in said or (_PYTHONPATH_SAID in said and failed):
        e = said.get(_UNSET_WORKS_SAID) or said[_PYTHONPATH_SAID]
        message = (
            "The report says it works without PYTHONPATH"
            if e.signature == _UNSET_WORKS_SAID
            else "The report says PYTHONPATH names another installation's packages"
        ) + (
            ": PYTHONPATH probably puts another Python's (or another environment's) packages "
            "ahead of the environment's own (a sourced ROS setup.bash, an environment module, "
            "a line in ~/.bashrc)."
        )
        fixes = [
            UnsetEnv(name="PYTHONPATH", reason="it puts another installation's packages first"),
            ManualStep(
                text="Find what sets PYTHONPATH and keep it out of shells that use this "
                "environment.",
                commands=[
                    "echo $PYTHONPATH",
                    "grep -n PYTHONPATH ~/.bashrc ~/.profile ~/.bash_profile 2>/dev/null",
                ],
            ),
        ]
    else:
        return None
    return finding(
        "DL505",
        severity="warning",
        title="Probably another installation's packages are imported",
        message=message,
        evidence=[
            Evidence(
                fact=f"reported_errors.{e.signature}",
                found=first_line(e.text, 200),
                note="the reporter's words",
            )
        ],
        hint="Check which copy is imported before changing anything.",
        fixes=[*fixes, _CHECK_COPIES],
        subject="python",
    )


def _path_python(path: str) -> tuple[int, int | None] | None:
    m = _PY_IN_PATH.search(path)
    if m is None:
        return None
    if m["wmaj"]:
        return int(m["wmaj"]), int(m["wmin"])
    return int(m["maj"]), int(m["min"]) if m["min"] else None


def _site_dir(path: str) -> bool:
    return path.rstrip("/\\").endswith(("site-packages", "dist-packages"))


def _foreign_entries(s: Snapshot) -> tuple[list[PathEntry], str | None]:
    """sys.path entries of another Python, and the version they were judged against."""
    running = major_minor(s.python.version)
    tagged = [(e, v) for e in s.python.sys_path if (v := _path_python(e.path)) is not None]
    if running is not None:
        out = [
            e for e, v in tagged if v[0] != running[0] or (v[1] is not None and v[1] != running[1])
        ]
        return out, f"{running[0]}.{running[1]}"
    minors = {v for _, v in tagged if v[1] is not None}
    if len(minors) > 1:  # a pasted traceback through two Pythons' directories
        return [e for e, v in tagged if v[1] is not None], None
    return [], None


def _other_env_on_pythonpath(s: Snapshot, foreign: list[PathEntry]) -> list[PathEntry]:
    """PYTHONPATH entries that are another environment's site-packages (same Python version)."""
    prefix = (s.python.prefix or "").rstrip("/\\")
    return [
        e
        for e in s.python.pythonpath or [p for p in s.python.sys_path if p.origin == "PYTHONPATH"]
        if e.exists
        and _site_dir(e.path)
        and e not in foreign
        and not (prefix and e.path.startswith(prefix + "/"))
    ]


# NumPy's C-API checks (python-paths.toml): an extension built against another NumPy than the
# one imported; the C-API versions map to releases (numpy/core/setup_common.py)
_NUMPY_API = "numpy-c-api-older-than-module"
_NUMPY_FAILED = "numpy-multiarray-failed-to-import"
_NUMPY2 = "numpy2-module-compiled-with-numpy1"
_NUMPY2_TABLE = "numpy2-array-api-not-found"
_NUMPY_SIZE = "numpy-dtype-size-changed"
_SIZE_LINE = re.compile(r"Expected (?P<header>\d+) from C header(?:, got (?P<runtime>\d+))?")
_NUMPY_API_RELEASE = {
    0x8: "1.7",
    0x9: "1.8",
    0xA: "1.10",
    0xB: "1.13",
    0xC: "1.14",
    0xD: "1.16",
    0xE: "1.20",
    0xF: "1.22",
    0x10: "1.23",
    0x11: "1.25",
}
_API_LINE = re.compile(
    r"compiled against (?P<kind>API|ABI) version 0x(?P<built>[0-9a-fA-F]+)"
    r" but this version of numpy is 0x(?P<have>[0-9a-fA-F]+)"
)


def _numpy_abi(s: Snapshot) -> Finding | None:
    """DL505 for NumPy's own C-API checks: an extension (torch._C, cv2, a project's .so) built
    against another NumPy than the one this interpreter imports. The version numbers say which
    way: built against a newer API than the numpy found means that numpy is too old, or is a
    second copy earlier on the path; NumPy 2 refusing a module built with 1.x means numpy came
    in after the extension."""
    said = {e.signature: e for e in s.reported_errors}
    api, failed = said.get(_NUMPY_API), said.get(_NUMPY_FAILED)
    numpy2 = said.get(_NUMPY2) or said.get(_NUMPY2_TABLE)
    size = said.get(_NUMPY_SIZE)
    if size is not None and api is None and numpy2 is None:
        m = _SIZE_LINE.search(size.text)
        if m is not None and m["header"] == "96" and m["runtime"] in (None, "88"):
            # NumPy 1's dtype (96 bytes) in the headers, NumPy 2's (88) imported; a paste cut
            # after "from C header" still says 96, and the size imported differs: NumPy 2's
            numpy2 = size
        else:
            failed = failed or size  # another pair: the generic reading
    if api is None and failed is None and numpy2 is None:
        return None
    check = ManualStep(
        text="See which numpy this interpreter imports (and whether a second copy is on the "
        "path: PYTHONPATH, the user site ~/.local, another environment).",
        commands=[
            'python -c "import numpy, sys; print(numpy.__version__, numpy.__file__); '
            'print(*sys.path, sep=chr(10))"',
            "python -m pip list 2>/dev/null | grep -i numpy",
            "echo $PYTHONPATH",
        ],
    )
    m = _API_LINE.search(api.text) if api is not None else None
    e = api or numpy2 or failed
    assert e is not None
    if numpy2 is not None:
        message = (
            "An extension built against NumPy 1.x is imported with NumPy 2, whose C ABI it "
            "does not know: NumPy 2 came into the environment after the extension was built."
        )
        fixes: list[Action] = [
            InstallPackages(
                packages=["numpy<2"], reason="the extensions here were built against NumPy 1.x"
            ),
            ManualStep(
                text="Or upgrade the package that fails to a release built against NumPy 2.",
                commands=["python -m pip install --upgrade <package>"],
            ),
            check,
        ]
        needed, found = "NumPy 1.x (what the module was built with)", first_line(e.text, 200)
    elif m is not None and int(m["built"], 16) > int(m["have"], 16):
        built, have = int(m["built"], 16), int(m["have"], 16)
        newer = _NUMPY_API_RELEASE.get(built)
        older = _NUMPY_API_RELEASE.get(have)
        message = (
            f"An extension was compiled against NumPy's C {m['kind']} {hex(built)}"
            + (f" (NumPy {newer} or later)" if newer else "")
            + f", but the numpy this interpreter imports has {hex(have)}"
            + (f" (the API of NumPy {older})" if older else "")
            + ": that numpy is older than the one the extension was built with, or a second, "
            "older copy comes first on the path."
        )
        fixes = [
            InstallPackages(
                packages=[f"numpy>={newer}" if newer else "numpy"],
                reason="the extension needs at least the NumPy it was built against",
            ),
            check,
        ]
        needed = f"numpy C {m['kind']} >= {hex(built)}" + (f" (NumPy {newer}+)" if newer else "")
        found = f"numpy C {m['kind']} {hex(have)}"
    else:
        message = (
            "A compiled extension could not load NumPy's C API: it was built against another "
            "NumPy than the one this interpreter imports (an older numpy, or a second copy of "
            "numpy earlier on the path)."
        )
        fixes = [
            check,
            ManualStep(
                text="Upgrade numpy in this environment (the extension was usually built "
                "against a newer one), or reinstall the failing package so that it matches.",
                commands=["python -m pip install --upgrade numpy"],
            ),
        ]
        needed, found = "the NumPy the extension was built with", first_line(e.text, 200)
    return finding(
        "DL505",
        # the message alone (numpy 1.x printed it and some imports went on) is a warning;
        # with the import failing, or NumPy 2 refusing the module, the paste proves it
        severity="error" if failed is not None or numpy2 is not None else "warning",
        title="An extension was built against another NumPy than the one imported",
        message=message,
        evidence=[
            Evidence(
                fact=f"reported_errors.{e.signature}", found=found, needed=needed, note="NumPy"
            )
        ],
        hint="Upgrade (or pin) numpy in the environment that runs the code, then check that no "
        "second numpy comes first on the path.",
        fixes=fixes,
        subject="numpy",
    )


@rule("DL505", "foreign-site-packages-on-path", "error", "python")
def foreign_site_packages(s: Snapshot) -> Iterator[Finding]:
    """What it checks: directories of another Python on the interpreter's path: a
    `pythonX.Y/site-packages` (or dist-packages, or lib/pythonX.Y) of a version other than the
    running one (a system Python 2's, ROS's /opt/ros/<distro>/lib/python2.7/dist-packages, an
    old minor's left in PYTHONPATH by an environment module), or, in `dlenv doctor`, another
    environment's site-packages in PYTHONPATH. In a pasted report: two Python versions in the
    paths of one traceback, a path of another Python than the one stated, and the messages of
    an extension built for another Python ("dynamic module does not define module export
    function (PyInit_cv2)", "undefined symbol: PyCObject_Type" or Python 3.6's PyFPE_jbuf,
    pybind11's "Python version mismatch: module was compiled for Python 3.12", Windows' "Module
    use of python39.dll conflicts with this version of Python", a SyntaxError in a python2.7
    file, a traceback through a `pip install --user` command in ~/.local/bin, a traceback
    that goes on from a conda environment's site-packages into the user site
    ~/.local/lib/pythonX.Y, the reporter saying the user site overrides the environment's
    packages, or a pasted sys.path where the system's dist-packages precedes the environment's
    own lib/pythonX.Y). The reporter saying a reinstall or upgrade did not change the version
    Python imports is a warning: another copy comes first on the path. So are the reporter
    saying the user site (~/.local, AppData\\Roaming\\Python) is used instead of the
    environment's packages, that pip installs into another Python, that unsetting PYTHONPATH
    made it work, or (beside a printed failure no shadowing file explains) that PYTHONPATH
    names another installation. NumPy's own C-API checks name an extension built against
    another NumPy than the one imported ("module compiled against API version 0xf but this
    version of numpy is 0xe", "numpy.core.multiarray failed to import", NumPy 2's "A module
    that was compiled using NumPy 1.x cannot be run in NumPy 2.0.0", "_ARRAY_API not found",
    Cython's "numpy.dtype size changed ... Expected 96 from C header, got 88 from PyObject"):
    an error when the import failed, a warning for the API line alone; the API numbers name the
    NumPy release needed.

    Why it matters: Python imports the first match on sys.path; a compiled module of another
    Python fails to load (undefined symbols, no PyInit_ function), and a pure-Python one of
    another version fails in odd places. Another version's directory is an error; another
    environment of the same version on PYTHONPATH is a warning (it works until the two
    environments differ).

    Example: a conda Python 3.7 environment in a shell that sourced
    /opt/ros/kinetic/setup.bash: `import cv2` loads
    /opt/ros/kinetic/lib/python2.7/dist-packages/cv2.so ("undefined symbol: PyCObject_Type").

    Fix: `unset PYTHONPATH` (or remove the entry), stop sourcing the ROS setup.bash in the
    shell start-up file for shells that use this environment, and keep each project in its
    own `python -m venv` environment.
    """
    foreign, running = _foreign_entries(s)
    others = _other_env_on_pythonpath(s, foreign)
    said = [e for e in s.reported_errors if e.signature in _FOREIGN_SIGNATURES]
    if not foreign and not others and not said:
        numpy = _numpy_abi(s)
        if numpy is not None:
            yield numpy
            return
        stated = _said_other_copy(s)
        if stated is not None:
            yield stated
            return
        still = next((e for e in s.reported_errors if e.signature == _STILL_OLD), None)
        if still is not None:
            yield _reinstall_did_not_take(still)
        return
    entries = foreign or others
    paths = [e.path for e in entries]
    ros = next((m for p in paths if (m := _ROS.search(p + "/"))), None)
    on_pythonpath = [e.path for e in entries if e.origin == "PYTHONPATH"]
    fixes: list[Action] = []
    if on_pythonpath:
        fixes.append(
            RemoveFromPath(
                name="PYTHONPATH", entries=on_pythonpath, reason="another Python's packages"
            )
        )
    elif s.origin != "probe" or said:
        fixes.append(
            UnsetEnv(name="PYTHONPATH", reason="it puts another Python's packages on sys.path")
        )
    if ros is not None:
        setup = f"/opt/ros/{ros['distro']}/setup.bash"
        fixes.append(
            ManualStep(
                text=f"Do not source {setup} in shells that use this environment: comment it "
                "out of ~/.bashrc (source it by hand in ROS shells), then open a new shell.",
                commands=[
                    f"sed -i.bak 's|^source {setup}|# &|' ~/.bashrc",
                    "exec bash",
                    'python -c "import sys; print(sys.path)"',
                ],
            )
        )
    fixes.append(
        ManualStep(
            text="Keep each interpreter's packages to itself: see where they come from, and "
            "work in an isolated virtual environment.",
            commands=[
                "echo $PYTHONPATH",
                'python -c "import sys; print(*sys.path, sep=chr(10))"',
                "python -m venv .venv && . .venv/bin/activate",
            ],
        )
    )
    if foreign or said:
        versions = sorted(
            {
                f"{v[0]}.{v[1]}" if v[1] is not None else f"{v[0]}"
                for p in paths
                if (v := _path_python(p)) is not None
            }
        )
        if running and paths:
            message = (
                f"The path of this Python {running} holds {', '.join(paths[:3])}, the "
                f"packages of Python {', '.join(versions)}."
            )
        elif paths:
            message = (
                f"One traceback runs through the directories of Python {' and '.join(versions)}"
                f" ({', '.join(paths[:3])}): packages of another interpreter are on the path."
            )
        elif said[0].signature in _USER_SITE_LEAKS:
            message = (
                "The environment imports from ~/.local/lib/python… (the user site of `pip "
                "install --user`) or the system Python's dist-packages, which come first on its "
                "path: another installation's copy is imported instead of the environment's own."
            )
            fixes.insert(
                0,
                SetEnv(
                    name="PYTHONNOUSERSITE",
                    value="1",
                    reason="keep ~/.local/lib/pythonX.Y out of this environment's path",
                ),
            )
        elif said[0].signature == _USER_SITE_SCRIPT:
            message = (
                f'"{said[0].text.splitlines()[0][:160]}": a command from ~/.local/bin (a '
                "`pip install --user` for another interpreter) ran instead of the environment's "
                "own, under the Python its first line names."
            )
        else:
            message = (
                f'"{said[0].text.splitlines()[0][:160]}": an extension built for another Python '
                "was found first on the path (PYTHONPATH, a sourced ROS setup.bash, another "
                "environment)."
            )
        yield finding(
            "DL505",
            title="Another Python's packages are on the path",
            message=message,
            evidence=[
                Evidence(
                    fact="python.sys_path",
                    found=p,
                    needed=f"packages of Python {running}" if running else None,
                )
                for p in paths[:5]
            ]
            or [Evidence(fact=f"reported_errors.{said[0].signature}", found=said[0].text[:200])],
            fixes=fixes,
            subject="python",
        )
        return
    yield finding(
        "DL505",
        severity="warning",
        title="PYTHONPATH holds another environment's packages",
        message=f"PYTHONPATH puts {', '.join(paths[:3])} on the path of "
        f"{s.python.prefix or 'this environment'}: its packages shadow the environment's own.",
        evidence=[Evidence(fact="python.pythonpath", found=p) for p in paths[:5]],
        fixes=fixes,
        subject="python",
    )

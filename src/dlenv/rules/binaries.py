"""Rules about whether prebuilt binaries can run on this host at all: a C runtime older than the
one a wheel was linked against, a CPU without the instructions a wheel was compiled for. DL5xx.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from packaging.version import InvalidVersion, Version

from dlenv.fix.actions import Action, ManualStep
from dlenv.kb.wheels import (
    CpuWithoutAvx,
    cpu_without_avx,
    distro_glibc,
    glibc_floor,
    glibc_older,
    manylinux_glibc,
    normalise_arch,
)
from dlenv.rules.derived import in_prose
from dlenv.rules.findings import Evidence, Finding, first_line
from dlenv.rules.registry import finding, rule
from dlenv.snapshot.model import InstallFailure, LiveProbe, ReportedError, Snapshot

# the loader's words, as src-loaders.toml matches them in a paste; the same words in a live
# probe's error are read with these patterns
_GLIBC = "glibc-version-not-found"
_LIBSTDCXX = "libstdcxx-version-not-found"
# the loader's words, as catalog glibc-version-not-found reads them (also quoted in part)
_GLIBC_NEED = re.compile(r"(?:version [`'‘\"]?|[`'‘\"])GLIBC_(2\.\d{1,2})['’\"`]? not found")
_CXX_NEED = re.compile(
    r"version [`'‘\"]?(GLIBCXX_3\.4\.\d{1,2}|CXXABI_1\.3\.\d{1,2})['’\"`]? not found"
)
_REQUIRED_BY = re.compile(r"\(required by ([^)\n]{1,300})\)")

# messages that name the missing instructions themselves, and crashes that usually mean them
_CPU_SAID = frozenset(
    {
        "tf-cpu-feature-missing",
        "jaxlib-cpu-feature-missing",
        "numpy-cpu-baseline-missing",
        "mkl-cpu-unsupported",
        "illegal-hardware-instruction",
        "nvidia-container-cpu-lacks-avx",
        "ollama-cpu-lacks-vector-extensions",
    }
)
# the reporter's words (prose-python.toml): the CPU has no AVX, the program dumped core; with a
# CPU model the KB knows to lack AVX they make DL508 likely (a warning)
_CPU_HINTS = frozenset({"said-cpu-lacks-avx", "said-core-dumped"})
_SAID_NO_AVX = frozenset({"said-cpu-lacks-avx"})
# the reporter's words for a failure (prose-*.toml): a core dump, an import that fails
_FAILED_SAID = frozenset({"said-core-dumped", "said-import-fails"})
_SIGILL = frozenset({"illegal-instruction", "killed-by-sigill", "exit-status-132"})
_SIGILL_TEXT = re.compile(r"Illegal instruction|SIGILL|signal 4\b|illegal hardware instruction")
_ISA_SAID = re.compile(
    r"compiled to use ([\w.]{2,20}) instructions|built using (\w{2,20}) instructions"
    r"|doesn't support:?\s{0,4}\(([^)\n]{1,100})\)"
)
# frameworks whose x86 wheels cannot run without AVX: TensorFlow since 1.6, every jaxlib
_NEEDS_AVX = {"tensorflow": "1.6", "jax": "0.1"}


# what a paste from a CPU without AVX needs: the check, and the two ways out
_AVX_HINT = (
    "`grep -o -w -E 'avx|avx2' /proc/cpuinfo | sort -u` prints nothing on a CPU without AVX."
)
_NO_AVX_STEP = ManualStep(
    text="Run on a CPU with AVX (a VM: CPU model 'host'), or install a build made without it "
    "(an older release such as tensorflow 1.5, conda-forge's build, one built from source, or "
    "the program's no-AVX image or mode).",
    commands=["grep -o -w -E 'avx|avx2' /proc/cpuinfo | sort -u", "lscpu | grep -i 'model name'"],
)


def _said(s: Snapshot, ids: frozenset[str]) -> ReportedError | None:
    return next((e for e in s.reported_errors if e.signature in ids), None)


def _live_text(p: LiveProbe) -> str:
    return f"{p.error or ''}\n{p.stderr_tail or ''}"


def _by(text: str) -> str | None:
    m = _REQUIRED_BY.search(text)
    return m.group(1).strip() if m else None


@rule("DL507", "system-runtime-too-old", "error", "python")
def system_runtime_too_old(s: Snapshot) -> Iterator[Finding]:
    """What it checks: whether the loader refused a compiled module because the system's C
    runtime is older than the one the module was linked against: glibc's "version
    'GLIBC_2.28' not found (required by …)" (the wheel's manylinux tag, or a conda package or
    binary built on a newer distribution, needs a newer glibc than this system has), and the
    same message for libstdc++ ("version 'GLIBCXX_3.4.29' not found", "CXXABI_1.3.13"), where
    an older libstdc++.so.6 (the system's, or an old conda environment's) is loaded before the
    newer one the module needs. Read from a pasted error, and in `dlenv doctor` from the
    framework's failed import, with the system's glibc version (`host.glibc_version`) beside
    what the module needs. From an installer's failure too: pip refusing a manylinux wheel
    ("…manylinux_2_28_x86_64.whl is not a supported wheel on this platform") whose Python and
    CPU fit, where the system's glibc (stated, or the one its distribution release ships:
    CentOS/RHEL 7 have 2.17) is older than the tag; and, as a warning, pip listing a package
    only up to the release before its wheels' glibc floor rose (onnxruntime < 1.17, torch <
    2.7: manylinux_2_28) while a later one is asked for, on a system not shown to be new enough;
    and, as a warning, pip taking a source distribution ("Using cached nutpie-0.13.2.tar.gz")
    and building it on a system whose glibc is older than 2.28 (CentOS/RHEL 7, stated or read
    from the distribution), where the package's manylinux_2_28 wheels cannot install; and, as a
    warning, the reporter saying the wheel is built for a newer glibc than the system's ("the
    glibc version of this wheel is 2.23 ... provide a whl with lower glibc version?") where no
    program's message says otherwise.

    Why it matters: the import fails whatever else is right. glibc cannot be upgraded in place
    on a distribution, so the fix is a build made for this glibc (an older release, a
    manylinux2014 wheel, conda-forge's package) or a newer OS image; for libstdc++, a newer
    copy first on the loader's path.

    Example: torch 2.7 (manylinux_2_28 wheels) on CentOS 7 with glibc 2.17: "ImportError:
    /lib64/libc.so.6: version 'GLIBC_2.28' not found (required by …/torch/lib/libtorch_cpu.so)".

    Fix: install a release built for this glibc (`pip install "torch<2.7"`, whose wheels are
    manylinux2014, glibc 2.17) or run in a container of a newer distribution; for GLIBCXX,
    `conda install -c conda-forge libstdcxx-ng` in the environment, or remove the directory
    holding the old libstdc++.so.6 from LD_LIBRARY_PATH.
    """
    texts: list[tuple[str, str]] = [
        (e.text, f"reported_errors.{e.signature}")
        for e in s.reported_errors
        if e.signature in (_GLIBC, _LIBSTDCXX)
    ]
    texts += [
        (t, f"live.{p.framework}.error")
        for p in s.live
        if p.status != "ok" and (_GLIBC_NEED.search(t := _live_text(p)) or _CXX_NEED.search(t))
    ]
    if not texts:
        found = [*_install_glibc_findings(s), *_sdist_on_old_glibc(s)]
        yield from found or _said_wheel_glibc(s)
        return
    glibc = next((m.group(1) for t, _ in texts if (m := _GLIBC_NEED.search(t))), None)
    cxx = next((m.group(1) for t, _ in texts if (m := _CXX_NEED.search(t))), None)
    quoted = next(
        ((t, f) for t, f in texts if (_GLIBC_NEED.search(t) if glibc else _CXX_NEED.search(t))),
        None,
    )
    if quoted is None:
        return  # a message the catalogue matched in a form these patterns do not read
    text, fact = quoted
    by = _by(text)
    have = s.host.glibc_version
    if glibc is not None and have is not None and _older(glibc, have):
        return  # the system's glibc is new enough: another, older libc copy was loaded
    evidence = [Evidence(fact=fact, found=first_line(text, 200))]
    fixes: list[Action] = []
    if glibc is not None:
        evidence.insert(
            0,
            Evidence(
                fact="host.glibc_version",
                found=have or "older (not stated)",
                needed=f">={glibc}",
                note=f"needed by {by}" if by else None,
            ),
        )
        message = (
            f"The module {by or 'being imported'} needs glibc {glibc} or newer"
            + (f", and this system has {have}" if have else ", newer than this system's")
            + ": it was built (a wheel's manylinux tag, a conda package) for a newer "
            "distribution."
        )
        fixes.append(
            ManualStep(
                text="Install a release built for this system's glibc (wheels tagged "
                "manylinux2014 need only 2.17), or run in a container of a newer distribution.",
                commands=[
                    "ldd --version | head -1",
                    "pip download --no-deps --only-binary=:all: PACKAGE==VERSION -d /tmp/w "
                    "&& ls /tmp/w  # the wheel's manylinux tag",
                ],
            )
        )
        title = f"The system's glibc is older than {glibc}, which the module needs"
    else:
        message = (
            f"The libstdc++.so.6 loaded first lacks {cxx}, which {by or 'the module'} needs: an "
            "older copy (the system's, or an old conda environment's) comes before a newer one."
        )
        fixes.append(
            ManualStep(
                text="Put a libstdc++ that has the version first: update the environment's, or "
                "take the old copy's directory out of LD_LIBRARY_PATH.",
                commands=[
                    "strings $(g++ -print-file-name=libstdc++.so.6) | grep -c "
                    f"{cxx or 'GLIBCXX_3.4.29'}",
                    "conda install -c conda-forge libstdcxx-ng",
                    "echo $LD_LIBRARY_PATH",
                ],
            )
        )
        title = f"The libstdc++ loaded is older than the module needs ({cxx})"
    yield finding(
        "DL507",
        title=title,
        message=message,
        evidence=evidence,
        fixes=fixes,
        subject="python",
    )


def _system_glibc(s: Snapshot) -> tuple[str, str] | None:
    """(the system's glibc, where it is known from): stated, or the distribution release's."""
    if s.host.glibc_version:
        return s.host.glibc_version, "host.glibc_version"
    shipped = distro_glibc(s.host.distro, s.host.distro_version)
    if shipped:
        return shipped, f"{s.host.distro} {s.host.distro_version} ships glibc {shipped}"
    return None


_CP = re.compile(r"-cp3(\d{1,2})-")
_GLIBC_FIX = ManualStep(
    text="Install a release whose wheels are built for this glibc (manylinux2014 wheels need "
    "only 2.17), conda-forge's build, or run in a container of a newer distribution.",
    commands=[
        "ldd --version | head -1",
        "python -m pip debug --verbose | grep manylinux | head -3  # the tags pip accepts",
    ],
)


def _refused_manylinux(s: Snapshot, f: InstallFailure) -> tuple[str, str, str] | None:
    """(glibc needed, system glibc, where that is from) for a refused manylinux wheel whose
    Python and CPU fit this machine, so only its glibc tag can have been refused."""
    tag = manylinux_glibc(f.wheel or "")
    system = _system_glibc(s)
    if tag is None or system is None or not glibc_older(system[0], tag[0]):
        return None
    arch = normalise_arch(s.host.arch or s.python.machine)
    if arch is not None and arch != tag[1]:
        return None
    cp = _CP.search(f.wheel or "")
    mm = (s.python.version or "").split(".")
    if cp and len(mm) > 1 and mm[0] == "3" and cp.group(1) != mm[1]:
        return None
    return tag[0], system[0], system[1]


def _listing_stops_at_floor(s: Snapshot, f: InstallFailure) -> tuple[str, str, str] | None:
    """(glibc needed, first release needing it, source) when pip lists the package only up to
    the release before its wheels' glibc floor rose, and the release asked for is past it: the
    pattern of an old distribution (CentOS/RHEL 7) on Linux."""
    if not f.available or f.wheel or s.host.os in ("Windows", "Darwin"):
        return None
    if "alpine" in (s.host.distro or "").lower():
        return None  # musl, no glibc at all: DL506's (no musllinux wheels)
    if f.package == "torch" and all(v.startswith("0.1.2") for v in f.available):
        return None  # only torch's placeholder sdist: no wheel fits the Python or platform
    floor = glibc_floor(f.package, f.requested)
    if floor is None:
        return None
    first, glibc, source = floor
    try:
        newest = max(Version(v.split("+", 1)[0]) for v in f.available)
    except InvalidVersion:
        return None
    if newest >= Version(first):
        return None
    system = _system_glibc(s)
    if system is not None and not glibc_older(system[0], glibc):
        return None
    return glibc, first, source


def _install_glibc_findings(s: Snapshot) -> Iterator[Finding]:
    """DL507 from an installer's failure: a manylinux wheel refused on a system whose glibc is
    older than its tag; or pip listing a package only up to the release before its wheels'
    glibc floor rose (a warning: the system's glibc is inferred)."""
    for f in s.python.install_failures:
        what = f"{f.package} {f.requested}" if f.requested else f.package
        refused = _refused_manylinux(s, f)
        if refused is not None:
            need, have, where = refused
            yield finding(
                "DL507",
                title=f"The system's glibc ({have}) is older than the {what} wheel needs ({need})",
                message=f"pip refused {f.wheel}: its manylinux tag needs glibc {need} or newer, "
                f"and this system has {have}, so no Python or pip option makes it install.",
                evidence=[
                    Evidence(
                        fact="host.glibc_version",
                        found=have,
                        needed=f">={need}",
                        note=where if where != "host.glibc_version" else None,
                    ),
                    Evidence(fact="python.install_failures", found=first_line(f.message, 200)),
                ],
                fixes=[_GLIBC_FIX],
                subject=f.package,
            )
            continue
        floor = _listing_stops_at_floor(s, f)
        if floor is not None:
            need, first, source = floor
            seen = ", ".join((f.available or [])[-3:])
            yield finding(
                "DL507",
                severity="warning",
                title=f"Probably a glibc older than {need}: pip lists {f.package} only before "
                f"{first}",
                message=f"pip sees {f.package} only up to {(f.available or [''])[-1]}, the "
                f"releases before {first}, from which its Linux wheels need glibc {need}; so "
                f"{what} has no wheel this system's (older) glibc accepts, as on CentOS/RHEL 7.",
                evidence=[
                    Evidence(
                        fact="python.install_failures",
                        found=first_line(f.message, 200),
                        needed=f"glibc >= {need} (for {f.package} >= {first})",
                        note=f"listed: ... {seen}; {source}",
                    )
                ],
                fixes=[
                    _GLIBC_FIX,
                    ManualStep(
                        text=f"Or take the newest release built for an older glibc, or "
                        f"{f.package} from conda-forge (linked against its own runtime).",
                        commands=[
                            f"pip install {f.package}=={(f.available or [''])[-1]}",
                            f"conda install -c conda-forge {f.package}",
                        ],
                    ),
                ],
                subject=f.package,
            )


_SDIST = "pip-took-source-distribution"  # src-installers.toml
_SDIST_NAME = re.compile(r"(?P<pkg>[A-Za-z][\w.]{0,80}?)-(?P<ver>\d[\w.!+]{0,60}?)\.tar\.gz")
# the manylinux_2_28 tag most compiled projects now build their Linux wheels on
_MANYLINUX_2_28 = "2.28"


def _sdist_on_old_glibc(s: Snapshot) -> Iterator[Finding]:
    """DL507, a warning: pip took a source distribution (and builds it) on a system whose glibc
    (stated, or its distribution's: CentOS/RHEL 7 ship 2.17) is older than manylinux_2_28 needs,
    and no installer failure explains it otherwise: the maintainers' answer ("the wheel requires
    glibc 2.28, that's what manylinux_2_28 in its name is about"), the package's wheels do not
    fit this system, so pip falls back to a build that needs compilers."""
    said = _said(s, frozenset({_SDIST}))
    system = _system_glibc(s)
    if said is None or system is None or not glibc_older(system[0], _MANYLINUX_2_28):
        return
    if s.python.install_failures or s.host.os in ("Windows", "Darwin"):
        return
    m = _SDIST_NAME.search(said.text)
    what = f"{m['pkg']} {m['ver']}" if m else "the package"
    have, where = system
    yield finding(
        "DL507",
        severity="warning",
        title=f"Probably the glibc ({have}) is too old for the {what} wheels: pip builds the "
        "source instead",
        message=f"pip took the source distribution of {what} and builds it, on a system with "
        f"glibc {have}: most compiled packages now publish Linux wheels tagged manylinux_2_28 "
        "(glibc 2.28 or newer), which pip must skip here, so it falls back to a build that "
        "needs the project's compilers (Rust, a C/C++ toolchain).",
        evidence=[
            Evidence(
                fact="host.glibc_version",
                found=have,
                needed=f">={_MANYLINUX_2_28} (manylinux_2_28 wheels)",
                note=where if where != "host.glibc_version" else None,
            ),
            Evidence(fact=f"reported_errors.{_SDIST}", found=first_line(said.text, 200)),
        ],
        fixes=[
            _GLIBC_FIX,
            ManualStep(
                text="See which Linux wheels the release has (their manylinux tags): an older "
                "release may have a manylinux2014 (glibc 2.17) wheel; or install the build "
                "tools the source needs.",
                commands=[
                    "python -m pip download --no-deps --only-binary=:all: "
                    f"{m['pkg'] if m else 'PACKAGE'} -d /tmp/w  # fails where no wheel fits",
                    "ldd --version | head -1",
                ],
            ),
        ],
        subject=m["pkg"] if m else "python",
    )


_WHEEL_GLIBC_SAID = frozenset({"said-wheel-glibc-too-new"})  # prose-python.toml


def _said_wheel_glibc(s: Snapshot) -> Iterator[Finding]:
    """DL507, a warning: the reporter says the wheel (a build, a binary) needs a newer glibc
    than the system has, or asks for one built against an older glibc, and no installer or
    loader message says otherwise: the maintainers' reading of a wheel whose compiled module
    cannot load (or that pip refuses) on an older distribution (CentOS 7: glibc 2.17)."""
    said = _said(s, _WHEEL_GLIBC_SAID)
    if said is None or s.host.os in ("Windows", "Darwin"):
        return
    yield finding(
        "DL507",
        severity="warning",
        title="Probably the system's glibc is older than the wheel was built for",
        message="The report says the wheel (or binary) is built for a newer glibc than this "
        "system's: its compiled modules cannot load here (or pip refuses the wheel), whatever "
        "the Python code does.",
        evidence=[
            Evidence(
                fact=f"reported_errors.{said.signature}",
                found=first_line(said.text, 200),
                note="read from the reporter's words: check the glibc with ldd --version",
            ),
        ],
        fixes=[
            _GLIBC_FIX,
            ManualStep(
                text="Compare the wheel's manylinux tag (manylinux_2_X needs glibc 2.X) with "
                "the system's glibc; take a release tagged manylinux2014 (glibc 2.17) if one "
                "exists.",
                commands=[
                    "ldd --version | head -1",
                    "python -m pip debug --verbose | grep manylinux | head -3",
                ],
            ),
        ],
        subject="python",
    )


def _older(needed: str, have: str) -> bool:
    """True when `have` is at least `needed` (the system's glibc would satisfy the module)."""
    try:
        return Version(have) >= Version(needed)
    except InvalidVersion:
        return False


def _installed_needing_avx(s: Snapshot) -> list[str]:
    out = []
    for f in s.frameworks:
        since = _NEEDS_AVX.get(f.name)
        if since is None:
            continue
        try:
            if Version(f.version.split("+")[0]) >= Version(since):
                out.append(f"{f.name} {f.version}")
        except InvalidVersion:
            continue
    return out


@rule("DL508", "cpu-lacks-required-instructions", "error", "python", machine_wide=True)
def cpu_lacks_required_instructions(s: Snapshot) -> Iterator[Finding]:
    """What it checks: whether a prebuilt wheel needs CPU instructions this CPU (or the emulator
    running the Python) lacks: TensorFlow's "The TensorFlow library was compiled to use AVX
    instructions, but these aren't available on your machine", jaxlib's "built using AVX
    instructions, which your CPU … do not support", NumPy's "built with baseline optimizations:
    (X86_V2) but your machine doesn't support", Intel MKL's "does not meet the minimum
    requirements", Ollama's "CPU does not have minimum vector extensions, GPU inference
    disabled" (its GPU runner needs AVX), and zsh's "illegal hardware instruction" (an x86_64
    Python under Rosetta 2 on Apple Silicon). A bare "Illegal instruction (core dumped)" is an
    error when the CPU's flags are known to lack AVX, or the reporter says the Mac is Apple
    Silicon; with the flags unknown it is a warning (SIGILL means the CPU met an instruction it
    lacks: for a prebuilt wheel or image, an extension such as AVX, AVX2 or AVX-512 it was
    compiled for). A CPU model the paste names ("CPU: Intel Xeon X5650", "on a Pentium G4400T",
    a cpuinfo "model name" line) that the knowledge base lists without AVX (pre-2011 Xeons and
    Cores, Pentium G/N/J, Celeron, Atom, K10 AMDs, Bobcat APUs such as the E-350, qemu64 VMs)
    makes a SIGILL an error, and the reporter's "core dumped" or "the CPU has no AVX", Windows'
    "DLL load failed" for TensorFlow's _pywrap_tensorflow_internal, or the reporter's
    "TensorFlow error" a warning; NVIDIA containers' own "This container was built for CPUs
    supporting at least the AVX instruction set" is an error. Windows' "DLL load failed while
    importing _pywrap_tensorflow_internal: A dynamic link library (DLL) initialization routine
    failed" (the DLL found, its start-up code failing) is, with the CPU's flags unknown, a
    warning: how a CPU without AVX shows there. A container's "exited with code 132" (128 +
    SIGILL) counts as a SIGILL; the reporter saying the CPU has no AVX beside a failure the
    paste shows is a warning. In `dlenv doctor`: TensorFlow >= 1.6 or jax installed on an x86_64
    CPU whose /proc/cpuinfo flags have no AVX (`host.cpu_flags`), or a framework import killed
    by SIGILL there.

    Why it matters: the process dies at import with SIGILL (or aborts), and no reinstall of the
    same wheel helps. Old Celerons, Pentiums and Atoms, pre-2011 Xeons, VMs with a generic CPU
    model (qemu64, kvm64) and Rosetta 2 offer no AVX.

    Example: `import tensorflow` on an Intel Pentium G4560 (no AVX): "Illegal instruction (core
    dumped)"; or a Python from an x86_64 Miniconda on an M1 Mac: "zsh: illegal hardware
    instruction python".

    Fix: run on a CPU (or VM CPU model `host`) with AVX; on Apple Silicon use a native arm64
    Python (`python -c "import platform; print(platform.machine())"` must say arm64); or pin a
    release built without it (tensorflow 1.5, numpy < 2.4 for x86-64-v2) or build from source.
    """
    said = _said(s, _CPU_SAID)
    sigill = _said(s, _SIGILL)
    flags = s.host.cpu_flags
    no_avx = flags is not None and "avx" not in flags and (s.host.arch in (None, "x86_64"))
    # an Apple Silicon Mac (the paste says so): an x86 wheel that dies there runs under Rosetta
    rosetta = s.host.os == "Darwin" and s.host.arch in ("arm64", "aarch64")
    crashed = [
        p
        for p in s.live
        if p.framework in _NEEDS_AVX
        and (p.returncode in (-4, 132) or _SIGILL_TEXT.search(_live_text(p)))
    ]
    installed = _installed_needing_avx(s) if no_avx else []
    # the CPU model the paste names, where the KB knows it has no AVX (flags unknown)
    named = cpu_without_avx(s.host.cpu_model) if flags is None and not rosetta else None
    if named is not None and said is None and not crashed:
        shown = sigill or _said(s, _CPU_HINTS) or _avx_framework_failed(s)
        if shown is not None:
            yield _named_cpu_without_avx(s, named, shown, proven=sigill is not None)
            return
    # the reporter says the CPU has no AVX, beside a failure the paste shows (an error a program
    # printed, a core dump, an import that fails): probably that failure (a warning)
    lacks = _said(s, _SAID_NO_AVX)
    if lacks is not None and said is None and sigill is None and not crashed and not installed:
        failure = next(
            (
                e
                for e in s.reported_errors
                if (not e.harmless and not in_prose(e.signature)) or e.signature in _FAILED_SAID
            ),
            None,
        )
        if failure is not None:
            yield _said_cpu_lacks_avx(s, lacks, failure)
            return
    # a bare "Illegal instruction" where the CPU's flags are unknown: SIGILL means the CPU (or
    # an emulator) met an instruction it lacks; for a prebuilt binary that is an ISA extension
    # it was compiled for (AVX, AVX2, AVX-512): likely, not proven (a warning)
    # Windows' own word for it: TensorFlow's DLL was found and loaded, and its initialization
    # failed, which is how an instruction the CPU lacks shows there (a missing DLL says "The
    # specified module could not be found" instead): probably, not proven (a warning)
    init = _dll_init_failed(s)
    if init is not None and not no_avx and flags is None and said is None and not crashed:
        yield _dll_init_failed_finding(s, init)
        return
    if sigill is not None and flags is None and not rosetta and said is None and not crashed:
        yield _sigill_unknown_cpu(s, sigill)
        return
    if said is None and not (sigill and (no_avx or rosetta)) and not crashed and not installed:
        return
    evidence: list[Evidence] = []
    if said is not None or sigill is not None:
        e = said or sigill
        assert e is not None
        evidence.append(Evidence(fact=f"reported_errors.{e.signature}", found=first_line(e.text)))
    for p in crashed:
        evidence.append(
            Evidence(fact=f"live.{p.framework}.returncode", found=str(p.returncode), note="SIGILL")
        )
    if flags is not None:
        evidence.append(
            Evidence(fact="host.cpu_flags", found=" ".join(flags) or "none", needed="avx")
        )
    isa = None
    if said is not None and (m := _ISA_SAID.search(said.text)):
        isa = next(g for g in m.groups() if g)
    under_rosetta = rosetta or (
        said is not None and said.signature == "illegal-hardware-instruction"
    )
    cpu = s.host.cpu_model
    if under_rosetta:
        message = (
            "An x86_64 build runs under Rosetta 2 on Apple Silicon, which does not emulate AVX: "
            "the wheel's instructions are not available to it."
        )
    else:
        what = ", ".join(installed) or "a prebuilt wheel"
        message = (
            f"{what} was compiled for {isa or 'AVX'} instructions, which this CPU"
            + (f" ({cpu})" if cpu else "")
            + " does not offer: the import dies with SIGILL or aborts."
        )
    fixes: list[Action] = [
        ManualStep(
            text="Use a native arm64 Python (Miniforge's arm64 installer, python.org's universal2)"
            " and recreate the environment with it."
            if under_rosetta
            else "Run on a CPU with AVX (a VM: CPU model 'host'), or install a build made "
            "without it (an older release, conda-forge's, or one built from source).",
            commands=[
                'python -c "import platform; print(platform.machine())"',
                "sysctl -n machdep.cpu.brand_string"
                if under_rosetta
                else "grep -o -w -E 'avx2?|sse4_2|fma' /proc/cpuinfo | sort -u",
            ],
        )
    ]
    yield finding(
        "DL508",
        title="The CPU lacks instructions the installed build needs"
        + (" (Rosetta 2)" if under_rosetta else ""),
        message=message,
        evidence=evidence,
        fixes=fixes,
        subject="python",
    )


def _sigill_unknown_cpu(s: Snapshot, sigill: ReportedError) -> Finding:
    """DL508 as a warning: a program died with SIGILL and nothing says what the CPU offers."""
    cpu = s.host.cpu_model
    return finding(
        "DL508",
        severity="warning",
        title="Probably the CPU lacks instructions a prebuilt binary needs",
        message='The program died with "Illegal instruction" (SIGILL): the CPU'
        + (f" ({cpu})" if cpu else "")
        + " met an instruction it does not have. For a prebuilt wheel or image that is an "
        "instruction-set extension it was compiled for (AVX, AVX2, AVX-512): older Celerons, "
        "Pentiums and Atoms, pre-2011 CPUs, VMs with a generic CPU model, and desktop CPUs "
        "without AVX-512 under a build that needs it.",
        evidence=[
            Evidence(
                fact=f"reported_errors.{sigill.signature}",
                found=first_line(sigill.text),
                note="the CPU's flags are not in the paste",
            )
        ],
        hint="`grep -o -w -E 'avx|avx2|avx512f|fma' /proc/cpuinfo | sort -u` shows what the CPU "
        "offers; the image's or wheel's documentation says what it needs.",
        fixes=[
            ManualStep(
                text="Compare the CPU's flags with what the build needs; then run on a CPU (or VM "
                "CPU model 'host') that has them, or use a build made without them (an older "
                "release, conda-forge's, one built from source, a -noavx image).",
                commands=[
                    "grep -o -w -E 'avx|avx2|avx512f|fma' /proc/cpuinfo | sort -u",
                    "lscpu | grep -i 'model name'",
                ],
            )
        ],
        subject="python",
    )


_FRAMEWORK_FAILS_SAID = frozenset({"said-avx-framework-fails"})  # prose-python.toml
_DLL_LOAD = "dll-load-failed"  # libraries.toml
_AVX_FRAMEWORK_TEXT = re.compile(r"tensorflow|jaxlib", re.IGNORECASE)


def _avx_framework_failed(s: Snapshot) -> ReportedError | None:
    """A failure of a framework whose prebuilt wheels need AVX: Windows' "DLL load failed" for
    TensorFlow's _pywrap_tensorflow_internal (how a missing instruction set shows there), or
    the reporter's "TensorFlow error"."""
    return next(
        (
            e
            for e in s.reported_errors
            if e.signature == _DLL_LOAD and _AVX_FRAMEWORK_TEXT.search(e.text)
        ),
        None,
    ) or _said(s, _FRAMEWORK_FAILS_SAID)


_DLL_INIT = re.compile(
    r"_pywrap_tensorflow_internal[^\n]{0,40}?: A dynamic link library \(DLL\) initialization "
    r"routine failed"
)


def _dll_init_failed(s: Snapshot) -> ReportedError | None:
    """Windows' "DLL load failed while importing _pywrap_tensorflow_internal: A dynamic link
    library (DLL) initialization routine failed": the DLL was there and its start-up code
    failed."""
    return next(
        (e for e in s.reported_errors if e.signature == _DLL_LOAD and _DLL_INIT.search(e.text)),
        None,
    )


def _dll_init_failed_finding(s: Snapshot, init: ReportedError) -> Finding:
    """DL508 as a warning: TensorFlow's DLL failed in its initialization on Windows."""
    cpu = s.host.cpu_model
    return finding(
        "DL508",
        severity="warning",
        title="Probably the CPU lacks the AVX instructions TensorFlow's Windows build needs",
        message="Windows found TensorFlow's _pywrap_tensorflow_internal DLL and loaded it, and "
        "its initialization failed: with prebuilt TensorFlow (compiled for AVX since 1.6) that "
        "is how a CPU"
        + (f" ({cpu})" if cpu else "")
        + ' without AVX shows (a missing DLL says "The specified module could not be found" '
        "instead); an outdated Visual C++ runtime is the other cause to rule out.",
        evidence=[
            Evidence(
                fact=f"reported_errors.{init.signature}",
                found=first_line(init.text, 200),
                needed="a CPU with AVX",
                note="the CPU's instruction sets are not in the paste",
            )
        ],
        hint="On Windows, Sysinternals' `coreinfo -f` (or CPU-Z) lists AVX if the CPU has it.",
        fixes=[
            ManualStep(
                text="Check whether the CPU has AVX; without it, run on a CPU that has it, or use "
                "a TensorFlow built without it (tensorflow 1.5, a community no-AVX wheel, or a "
                "source build). With AVX, install the current Visual C++ redistributable.",
                commands=[
                    "coreinfo -f | findstr /i avx",
                    'python -c "import platform; print(platform.processor())"',
                ],
                url="https://learn.microsoft.com/en-us/cpp/windows/latest-supported-vc-redist",
            )
        ],
        subject="python",
    )


def _named_cpu_without_avx(
    s: Snapshot, named: CpuWithoutAvx, shown: ReportedError, *, proven: bool
) -> Finding:
    """DL508 from the CPU model the paste names, which the KB lists without AVX: with a SIGILL
    an error (the crash and the CPU are both shown), with the reporter's "core dumped" or "no
    AVX" a warning."""
    cpu = (s.host.cpu_model or "").strip()
    return finding(
        "DL508",
        severity="error" if proven else "warning",
        title=("The CPU lacks" if proven else "Probably the CPU lacks")
        + " the AVX instructions prebuilt wheels and images need",
        message=f"The paste names the CPU as {cpu}: {named.family}, which has no AVX. "
        "Prebuilt TensorFlow (since 1.6), jaxlib, PyTorch's and many images' native libraries "
        "are compiled for AVX (or newer), and die on such a CPU with an illegal instruction"
        + (
            "."
            if proven
            else "; the report says " + first_line(shown.text, 120).strip().rstrip(".") + "."
        ),
        evidence=[
            Evidence(
                fact="host.cpu_model",
                found=cpu,
                needed="a CPU with AVX",
                note=f"read from the paste; {named.family} ({named.source.split(', ')[0]})",
            ),
            Evidence(fact=f"reported_errors.{shown.signature}", found=first_line(shown.text)),
        ],
        hint=_AVX_HINT,
        fixes=[_NO_AVX_STEP],
        subject="python",
    )


def _said_cpu_lacks_avx(s: Snapshot, lacks: ReportedError, failure: ReportedError) -> Finding:
    """DL508 as a warning: the reporter says the CPU has no AVX, and the paste shows a failure."""
    cpu = s.host.cpu_model
    return finding(
        "DL508",
        severity="warning",
        title="Probably the CPU lacks the AVX instructions a prebuilt build needs",
        message="The report says the CPU"
        + (f" ({cpu})" if cpu else "")
        + " has no AVX, and the paste shows a failure: prebuilt TensorFlow (since 1.6), jaxlib "
        "and many images' native libraries are compiled for AVX and die (or refuse to run) "
        "without it.",
        evidence=[
            Evidence(
                fact=f"reported_errors.{lacks.signature}",
                found=first_line(lacks.text),
                note="the reporter's words",
            ),
            Evidence(fact=f"reported_errors.{failure.signature}", found=first_line(failure.text)),
        ],
        hint=_AVX_HINT,
        fixes=[_NO_AVX_STEP],
        subject="python",
    )

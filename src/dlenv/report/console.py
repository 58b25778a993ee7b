"""The console report: one screen that says what is there, what is missing, and what to do.

Sections per area with ✓ / ! / ✗ marks; details (every toolkit, sys.path, every reading) only
with `--verbose`. Rich renders it; colour follows the terminal and `NO_COLOR`.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterable

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from dlenv.errors import DlenvError
from dlenv.fix.actions import (
    Action,
    InstallPackages,
    ManualStep,
    PrependPath,
    RemoveFromPath,
    SetEnv,
    UnsetEnv,
)
from dlenv.report.model import Report
from dlenv.rules.derived import GpuArchitecture
from dlenv.rules.findings import Finding
from dlenv.snapshot.model import Snapshot

OK, WARN, BAD, INFO, NONE = "✓", "!", "✗", "i", "·"
STYLE = {OK: "green", WARN: "yellow", BAD: "red bold", INFO: "cyan", NONE: "dim"}
SEVERITY_MARK = {"error": BAD, "warning": WARN, "info": INFO}


def _gib(n: int | None) -> str:
    return "?" if n is None else f"{n / (1 << 30):.1f} GiB"


def _mib_as_gib(n: int | None) -> str:
    return "?" if n is None else f"{n / 1024:.1f} GiB"


class _Section:
    """Rows of (mark, label, text) under one heading."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.rows: list[tuple[str, str, Text]] = []

    def add(self, mark: str, label: str, text: str | Text) -> None:
        self.rows.append((mark, label, text if isinstance(text, Text) else Text(text)))


def _subject_marks(findings: Iterable[Finding]) -> dict[str, str]:
    """The worst mark per subject/area, so sections show ✗ where a finding points."""
    marks: dict[str, str] = {}
    rank = {INFO: 0, WARN: 1, BAD: 2}
    for f in findings:
        mark = SEVERITY_MARK[f.severity]
        for key in {f.subject or "", f.code[:3]}:
            if key and rank.get(mark, 0) >= rank.get(marks.get(key, INFO), 0):
                marks[key] = mark
    return marks


def _host(s: Snapshot, verbose: bool) -> _Section:
    sec = _Section("Host")
    h = s.host
    if s.origin != "probe" and not (h.os or h.distro or h.kernel or h.cpu_model):
        return sec  # a pasted report that says nothing about the host: no row of question marks
    osname = " ".join(x for x in (h.distro, h.distro_version) if x) or h.os or "unknown OS"
    bits = [osname, f"{h.os or ''} {h.kernel or ''}".strip(), h.arch or ""]
    if h.wsl:
        bits.append(f"WSL{h.wsl}")
    if h.container:
        bits.append(f"container: {h.container}")
    sec.add(NONE, "system", " · ".join(b for b in bits if b))
    if s.origin != "probe" and not (h.cpu_model or h.cpu_cores_logical or h.ram_total_bytes):
        return sec  # a paste that states no CPU: no row of question marks
    cpu = h.cpu_model or "unknown CPU"
    cores = f"{h.cpu_cores_physical or '?'} cores / {h.cpu_cores_logical or '?'} threads"
    sec.add(NONE, "cpu", f"{cpu} · {cores} · {_gib(h.ram_total_bytes)} RAM")
    probed = s.origin == "probe"  # a paste that does not say is not "unknown, because…"
    if h.efi_boot is not None:
        boot = "legacy BIOS" if not h.efi_boot else "UEFI"
        if h.secure_boot is not None:
            boot += f", Secure Boot {'on' if h.secure_boot else 'off'}"
        elif h.efi_boot and "secure_boot" in h.unknown:
            boot += f", Secure Boot unknown ({h.unknown['secure_boot']})"
        sec.add(NONE, "boot", boot)
    elif probed and "secure_boot" in h.unknown:
        sec.add(NONE, "boot", f"unknown ({h.unknown['secure_boot']})")
    if h.shm_total_bytes is not None:
        sec.add(NONE, "/dev/shm", f"{_size(h.shm_total_bytes)}, {_size(h.shm_free_bytes)} free")
    elif probed and "shm_total_bytes" in h.unknown:
        sec.add(NONE, "/dev/shm", f"unknown ({h.unknown['shm_total_bytes']})")
    if verbose:
        sec.add(NONE, "glibc", h.glibc_version or "unknown")
        if h.disk_free_bytes is not None:
            sec.add(NONE, "disk", f"{_gib(h.disk_free_bytes)} free at {h.disk_free_path}")
        if h.iommu_units is not None or h.iommu_cmdline is not None:
            units = ", ".join(h.iommu_units or []) or ("none" if h.iommu_units == [] else "?")
            flags = " ".join(h.iommu_cmdline or []) or ("none" if h.iommu_cmdline == [] else "?")
            sec.add(NONE, "iommu", f"units: {units} · kernel flags: {flags}")
            why = [h.unknown[k] for k in ("iommu_units", "iommu_cmdline") if k in h.unknown]
            if why:
                sec.add(NONE, "", f"? = unknown ({'; '.join(why)})")
    return sec


def _size(n: int | None) -> str:
    """MiB below a GiB (Docker's 64 MiB /dev/shm), GiB above."""
    if n is None:
        return "?"
    return f"{n / (1 << 20):.0f} MiB" if n < (1 << 30) else _gib(n)


def _driver(
    s: Snapshot, verbose: bool, marks: dict[str, str], arches: dict[int, GpuArchitecture]
) -> _Section:
    sec = _Section("NVIDIA driver and GPUs")
    d = s.driver
    if d.installed:
        text = f"{d.version or 'unknown version'}"
        if d.cuda_version:
            text += f" · supports CUDA ≤ {d.cuda_version}"
        sources = sorted({r.source for r in d.readings if r.version})
        if sources:
            text += f" · from {', '.join(sources)}"
        mark = marks.get("DL1", OK)
        if d.library_mismatch:
            if d.kernel_module_version and d.userspace_version:
                text += (
                    f" · MISMATCH: kernel module {d.kernel_module_version}, "
                    f"library {d.userspace_version}"
                )
            else:  # nvidia-smi's exit 18 says so without naming the two versions
                text += " · MISMATCH between the kernel module and the user-space library"
            mark = BAD
        sec.add(mark, "driver", text)
    elif d.installed is False:
        pci = s.visibility.nvidia_pci_devices
        if pci:
            sec.add(BAD, "driver", f"none, but {len(pci)} NVIDIA PCI device(s) present")
        else:
            sec.add(NONE, "driver", "none (no NVIDIA GPU on this machine)")
    else:
        if s.origin != "probe" and not d.readings:
            sec.add(NONE, "driver", "not stated in the report")
        else:
            sec.add(WARN, "driver", d.unknown.get("version", "could not tell"))
    if verbose:
        for r in d.readings:
            value = r.version or r.error or "?"
            extra = f" ({r.detail})" if r.detail else ""
            sec.add(NONE, f"  {r.source}", f"{value}{extra}")
        _kernel_modules(s, sec)
    for i, g in enumerate(s.gpus):
        parts = [g.name or "unknown GPU"]
        if g.memory_total_mib is not None or s.origin == "probe":
            parts.append(_mib_as_gib(g.memory_total_mib))
        parts.append(_arch(arches.get(i)))
        text = " · ".join(parts)
        if g.memory_used_mib is not None and g.memory_total_mib:
            text += f" · {g.memory_used_mib / g.memory_total_mib:.0%} used"
        if g.processes:
            text += f" · {g.processes} process(es)"
        if g.mig_mode:
            text += " · MIG"
        if g.visible is False:
            text += " · hidden by CUDA_VISIBLE_DEVICES"
        mark = WARN if g.visible is False else OK
        sec.add(mark, f"gpu {g.index}", text)
        if verbose and g.uuid:
            sec.add(NONE, "", f"{g.uuid} · {g.pci_bus_id or ''}")
        if verbose:
            for p in g.compute_processes:
                used = "?" if p.used_memory_mib is None else _mib_as_gib(p.used_memory_mib)
                sec.add(NONE, "", f"pid {p.pid} {p.name or '?'} · {used}")
    if verbose:
        for link in s.gpu_links:
            p2p = f"P2P read {link.p2p_read or '?'}, write {link.p2p_write or '?'}"
            p2p += f", NVLink {link.p2p_nvlink or '?'}"
            sec.add(NONE, f"gpu {link.gpu_a}-{link.gpu_b}", f"{link.path or '?'} · {p2p}")
    cvd = s.visibility.cuda_visible_devices
    if cvd is not None:
        sec.add(marks.get("DL3", NONE), "visible", f"CUDA_VISIBLE_DEVICES={cvd!r}")
    if s.visibility.nouveau_loaded:
        sec.add(BAD, "nouveau", "the open-source nouveau driver is loaded")
    return sec


def _kernel_modules(s: Snapshot, sec: _Section) -> None:
    """--verbose: the loaded NVIDIA modules and what is on disk for the running kernel."""
    v, d = s.visibility, s.driver
    if v.nvidia_module_loaded is not None:
        loaded = ", ".join(v.nvidia_modules) or "no nvidia module"
        flavour = {True: " (open kernel module)", False: "", None: ""}[d.kernel_module_open]
        sec.add(NONE, "  modules", f"loaded: {loaded}{flavour}")
    elif s.origin == "probe" and "nvidia_modules" in v.unknown:
        sec.add(NONE, "  modules", f"unknown ({v.unknown['nvidia_modules']})")
    k = d.dkms
    if k.kernel is None and k.builds is None:
        return
    if k.module_files is None and k.headers is None:
        why = k.unknown.get("module_files", "not readable")
        sec.add(NONE, "  kernel", f"{k.kernel or '?'}: {why}")
    else:
        files = "?" if k.module_files is None else f"{len(k.module_files)} nvidia module file(s)"
        headers = {True: "headers present", False: "no headers", None: "headers ?"}[k.headers]
        sec.add(NONE, "  kernel", f"{k.kernel or '?'}: {files}, {headers}")
    if k.builds:
        built = ", ".join(f"{b.module} {b.version} for {b.kernel}" for b in k.builds)
        sec.add(NONE, "  dkms", built)


def _arch(arch: GpuArchitecture | None) -> str:
    """`sm_86`; `(by name)` when the rules took it from the knowledge base for the GPU's name."""
    if arch is None or arch.compute_capability is None:
        return "sm_?"
    sm = f"sm_{arch.compute_capability.replace('.', '')}"
    return f"{sm} (by name)" if arch.by_name else sm


def _cuda(s: Snapshot, verbose: bool, marks: dict[str, str]) -> _Section:
    sec = _Section("CUDA and cuDNN")
    c = s.cuda
    if not c.toolkits:
        sec.add(
            NONE,
            "toolkit",
            "none found (pip-installed frameworks bring their own)"
            if s.origin == "probe"
            else "none stated in the report",
        )
    for t in c.toolkits:
        how = f"{t.kind}" + (f", found by {', '.join(t.found_by)}" if t.found_by else "")
        sec.add(OK if t.version else WARN, "toolkit", f"{t.version or '?'} · {t.path} ({how})")
        if verbose and t.nvcc:
            version = f" {t.nvcc_version}" if t.nvcc_version else ""
            sec.add(NONE, "", f"nvcc{version} at {t.nvcc}")
    for n in c.cudnn:
        where = f"{n.path} ({n.kind}{', ' + n.package if n.package else ''})"
        sec.add(OK if n.version else WARN, "cudnn", f"{n.version or '?'} · {where}")
    if not c.cudnn:
        sec.add(NONE, "cudnn", "none found" if s.origin == "probe" else "none stated in the report")
    if verbose:
        for p in c.pip_packages:
            sec.add(NONE, "wheel", f"{p.name} {p.version}")
    if c.cuda_home:
        sec.add(marks.get("DL2", NONE), "CUDA_HOME", c.cuda_home)
    return sec


def _python(s: Snapshot, verbose: bool) -> _Section:
    sec = _Section("Python")
    p = s.python
    if p.executable is None:
        if s.origin != "probe":
            if p.version is not None:
                sec.add(NONE, "python", p.version)
            return sec
        sec.add(WARN, "python", "; ".join(p.unknown.values()) or "could not inspect")
        return sec
    kind = p.kind or "?"
    if p.env_name:
        kind += f" {p.env_name}"
    sec.add(NONE, "python", f"{p.version or '?'} ({p.implementation or '?'}, {kind})")
    sec.add(NONE, "path", p.executable)
    sec.add(NONE, "packages", f"{p.distribution_count} distributions installed")
    missing = [e.path for e in p.pythonpath if not e.exists]
    if p.pythonpath:
        mark = WARN if missing else OK
        text = os.pathsep.join(e.path for e in p.pythonpath)
        if missing:
            text += f" ({len(missing)} missing)"
        sec.add(mark, "PYTHONPATH", text)
    for sh in p.shadowing:
        sec.add(BAD, "shadowing", f"`import {sh.module}` loads {sh.path}")
    for dup in p.duplicates:
        where = ", ".join(f"{d.version} in {d.location}" for d in dup.installs)
        sec.add(WARN, "duplicate", f"{dup.name}: {where}")
    if verbose:
        for i, e in enumerate(p.sys_path):
            # python3XX.zip is on every sys.path and almost never exists: not worth a mark
            quiet = e.exists or e.origin == "stdlib"
            sec.add(NONE if quiet else WARN, f"sys.path[{i}]", f"{e.path} ({e.origin})")
    return sec


def _frameworks(s: Snapshot, verbose: bool, marks: dict[str, str]) -> _Section:
    sec = _Section("Frameworks")
    if not s.frameworks:
        sec.add(
            NONE,
            "none",
            "no TensorFlow, PyTorch, Keras or JAX in this environment"
            if s.origin.startswith("probe")  # this machine's probes ran (with a paste or not)
            else "none stated in the report",
        )
    resolutions = {r.framework: r for r in s.libraries}
    for f in s.frameworks:
        bits = [f.version or "version unknown"]
        if f.distribution and f.distribution != f.name:
            bits.append(f"({f.distribution})")
        if f.cuda_build:
            built = f"CUDA {f.cuda_version or '?'}"
            if f.cudnn_version:
                built += f", cuDNN {f.cudnn_version}"
            bits.append(f"built for {built}")
        elif f.rocm_build:
            bits.append("ROCm build")
        elif f.cuda_build is False:
            bits.append("CPU-only build")
        if f.backend:
            bits.append(f"backend {f.backend} ({f.backend_source or 'default'})")
        live = s.live_probe(f.name)
        if live is not None:
            if live.status != "ok":
                bits.append(f"live: {live.status}")
            elif live.gpu_available:
                bits.append(f"live: uses {len(live.devices)} GPU(s)")
            elif live.gpu_available is False:
                bits.append("live: no GPU")
        sec.add(marks.get(f.name, OK), f.name, " · ".join(bits))
        if verbose and f.nccl_version:
            sec.add(NONE, "  nccl", f"{f.nccl_version} ({f.nccl_source or '?'})")
        res = resolutions.get(f.name)
        if res is not None and (verbose or any(lib.path is None for lib in res.libraries)):
            for lib in res.libraries:
                if lib.path:
                    text = f"{lib.path} ({lib.via or '?'})"
                    sec.add(NONE, f"  {lib.soname}", text)
                else:
                    sec.add(WARN, f"  {lib.soname}", f"not found ({lib.reason or 'nowhere'})")
    return sec


def _env(s: Snapshot, verbose: bool) -> _Section | None:
    sec = _Section("Environment")
    shown = (
        "CUDA_PATH",
        "LD_LIBRARY_PATH",
        "TF_FORCE_GPU_ALLOW_GROWTH",
        "PYTORCH_CUDA_ALLOC_CONF",
        "XLA_PYTHON_CLIENT_PREALLOCATE",
        "KERAS_BACKEND",
    )
    for var in s.env:
        if var.name == "PATH":
            continue
        if verbose or var.name in shown:
            sec.add(NONE, var.name, var.value)
    return sec if sec.rows else None


def fix_lines(action: Action, python: str | None, shell: str) -> tuple[str, list[str], str | None]:
    """A fix as (what it does, whole command lines for `shell`, a URL to read), the same commands
    `dlenv fix` prints: quoted for the shell, so `tensorflow[and-cuda]==2.*` survives zsh."""
    from dlenv.fix.planner import env_title, looks_secret
    from dlenv.fix.render import format_argv, render_env
    from dlenv.fix.render.installers import install_commands

    if isinstance(action, InstallPackages):
        names = ", ".join(action.packages or action.conda_packages or action.uninstall)
        verb = "install" if action.packages or action.conda_packages else "uninstall"
        try:
            commands = install_commands(action, installer="pip", python=python or "python")
        except DlenvError:  # a malformed action in a foreign report: show what, not how
            return f"{verb} {names}", [], None
        return f"{verb} {names}", [format_argv(c.argv, shell) for c in commands], None
    if isinstance(action, SetEnv | UnsetEnv | PrependPath | RemoveFromPath):
        if isinstance(action, SetEnv) and looks_secret(action.name):
            action = SetEnv(name=action.name, value="<redacted>")
        try:
            lines = render_env([action], shell).replace("\r\n", "\n").splitlines()
        except DlenvError:  # a name no shell accepts: say what, not how
            lines = []
        title = env_title(action)
        return title[:1].lower() + title[1:], lines, None
    assert isinstance(action, ManualStep)
    return action.text, list(action.commands), action.url


def _command(line: str) -> Text:
    """A command line that is never wrapped: a terminal folds it visually, a copy gets it whole."""
    return Text(f"      {line}", style="green", no_wrap=True, overflow="ignore")


def _finding(f: Finding, python: str | None, verbose: bool, shell: str) -> RenderableType:
    mark = SEVERITY_MARK[f.severity]
    head = Text()
    head.append(f"{mark} ", style=STYLE[mark])
    head.append(f"{f.code} ", style="bold")
    head.append(f.title, style="bold")
    if f.confirmed_by:
        head.append(f" (confirmed by {f.confirmed_by} probe)", style="dim")
    parts: list[RenderableType] = [head]
    body = Table.grid(padding=(0, 0))
    body.add_column(width=4, no_wrap=True)
    body.add_column(overflow="fold")
    body.add_row("", Text(f.message))
    for ev in f.evidence:
        text = f"{ev.fact}: found {ev.found if ev.found is not None else 'nothing'}"
        if ev.needed:
            text += f", needed {ev.needed}"
        if ev.note:
            text += f" ({ev.note})"
        body.add_row("", Text(text, style="dim"))
    if f.hint:
        body.add_row("", Text(f"hint: {f.hint}"))
    for action in f.fixes:
        title, commands, url = fix_lines(action, python, shell)
        body.add_row("", Text(f"fix: {title}", style="green"))
        if commands or url:
            parts.append(body)
            parts.extend(_command(line) for line in commands)
            if url:
                parts.append(Text(f"      see {url}", no_wrap=True, overflow="ignore"))
            body = Table.grid(padding=(0, 0))
            body.add_column(width=4, no_wrap=True)
            body.add_column(overflow="fold")
    if body.row_count:
        parts.append(body)
    if f.docs_url:
        parts.append(Text(f"    {f.docs_url}", style="dim", no_wrap=True, overflow="ignore"))
    return Group(*parts)


PROBE_FAILED = " probe failed: "
BUG_HINT = (
    "a bug in dlenv, or a machine it did not expect: please report it with the output of "
    "`DLENV_DEBUG=1 dlenv doctor --quick` at https://github.com/dlenv/dlenv/issues"
)


def _probe_failures(s: Snapshot) -> _Section:
    """Probes that raised: their sections above are empty for that reason, not for the machine."""
    sec = _Section("Not checked")
    failed = {name: why for name, why in s.unknown.items() if PROBE_FAILED in why}
    for name, why in failed.items():
        sec.add(WARN, name, why)
    if failed:
        sec.add(NONE, "", BUG_HINT)
    return sec


def _section_table(sec: _Section) -> RenderableType:
    table = Table.grid(padding=(0, 1))
    table.add_column(width=1)
    table.add_column(style="bold", min_width=11, no_wrap=True)
    table.add_column(overflow="fold")
    for mark, label, text in sec.rows:
        table.add_row(Text(mark, style=STYLE.get(mark, "")), label, text)
    return Group(Text(sec.title, style="bold underline"), table, Text(""))


def build_renderable(
    report: Report, verbose: bool = False, *, shell: str = "bash", fix_command: str = "dlenv fix"
) -> RenderableType:
    s = report.snapshot
    marks = _subject_marks(report.findings)
    title = Text(f"dlenv {report.dlenv_version} doctor", style="bold")
    if s.origin != "probe":
        title.append(f" · from {s.origin}", style="dim")
    elif s.timings.get("total") is not None:
        title.append(f" · static probes {s.timings['total']:.2f} s", style="dim")
        if s.live and s.timings.get("live") is not None:
            title.append(f" · live probes {s.timings['live']:.1f} s", style="dim")
    parts: list[RenderableType] = [title, Text("")]
    sections: list[_Section | None] = [
        _host(s, verbose),
        _driver(s, verbose, marks, {a.gpu: a for a in report.gpu_architectures}),
        _cuda(s, verbose, marks),
        _python(s, verbose),
        _frameworks(s, verbose, marks),
        _env(s, verbose),
        _probe_failures(s),
    ]
    parts.extend(_section_table(sec) for sec in sections if sec is not None and sec.rows)
    if s.smoke is not None:  # `dlenv doctor --smoke`
        from dlenv.smoke.render import smoke_table

        parts += [smoke_table(s.smoke), Text("")]
    if report.findings:
        parts.append(Text("Findings", style="bold underline"))
        for f in report.findings:
            parts.append(_finding(f, s.python.executable, verbose, shell))
        parts.append(Text(""))
    summary = report.summary
    if summary.errors or summary.warnings:
        tail = Text()
        tail.append(
            f"{summary.errors} error(s), {summary.warnings} warning(s), {summary.infos} note(s).",
            style="red bold" if summary.errors else "yellow",
        )
        tail.append(" For a plan, run:")
        parts.append(tail)
        tail = _command(fix_command)  # whole, on its own line: never wrapped inside the path
    elif report.policy is not None:
        # in check mode the verdict is the policy's, printed below: never "No problems" above it
        note = f" ({summary.infos} note(s))" if summary.infos else ""
        tail = Text(f"The doctor found no error or warning{note}; the policy decides below.")
    else:
        note = f" ({summary.infos} note(s))" if summary.infos else ""
        tail = Text(f"{OK} No problems found{note}.", style="green bold")
    parts.append(tail)
    return Group(*parts)


def render_console(
    report: Report,
    verbose: bool = False,
    color: bool = True,
    *,
    shell: str = "bash",
    fix_command: str = "dlenv fix",
) -> str:
    """The report as terminal text (with ANSI colour when `color` and stdout is a terminal)."""
    buf = io.StringIO()
    try:
        width = int(os.environ.get("COLUMNS", "0")) or None
    except ValueError:
        width = None
    if width is not None and width < 20:  # COLUMNS=-5 made Rich print nothing at all
        width = 20
    is_tty = color and sys.stdout.isatty()
    console = Console(
        file=buf,
        force_terminal=is_tty,
        no_color=not is_tty or "NO_COLOR" in os.environ,
        width=width or (None if is_tty else 100),
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )
    # crop=False: fix commands and links are never cut or wrapped inside a token
    renderable = build_renderable(report, verbose, shell=shell, fix_command=fix_command)
    console.print(renderable, crop=False)
    # Rich pads grid cells with spaces; trailing blanks only get in the way of pasting
    return "\n".join(line.rstrip() for line in buf.getvalue().split("\n"))

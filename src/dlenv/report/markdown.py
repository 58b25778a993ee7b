"""`--format markdown`: a compact report to paste into a bug report, secrets redacted.

The facts a maintainer asks for first (driver, GPUs, CUDA, cuDNN, Python, frameworks and the
libraries they load), then the findings; everything else folded in a <details> block.
"""

from __future__ import annotations

from dlenv.report.model import Report
from dlenv.report.redact import redact_report
from dlenv.snapshot.model import Snapshot


def _cell(value: object) -> str:
    text = "—" if value is None or value == "" else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    return f"{n >> 20} MiB" if n < (1 << 30) else f"{n / (1 << 30):.1f} GiB"


def _facts(s: Snapshot) -> list[tuple[str, str]]:
    """The facts table; what a pasted report did not state reads "none stated", as on the console
    (a "?" would look like a value dlenv failed to read)."""
    h, d = s.host, s.driver
    pasted = s.origin != "probe"
    q = "none stated" if pasted else "unknown"
    rows: list[tuple[str, str]] = []
    osname = " ".join(x for x in (h.distro, h.distro_version) if x) or h.os
    extra = ", ".join(x for x in (f"WSL{h.wsl}" if h.wsl else "", h.container or "") if x)
    detail = ", ".join(x for x in (h.kernel, h.arch) if x)
    if not pasted or osname or detail:
        rows.append(
            (
                "OS",
                f"{osname or q}"
                + (f" ({detail})" if detail else "")
                + (f" [{extra}]" if extra else ""),
            )
        )
    if h.efi_boot is not None:
        boot = "UEFI" if h.efi_boot else "legacy BIOS"
        if h.secure_boot is not None:
            boot += f", Secure Boot {'on' if h.secure_boot else 'off'}"
        rows.append(("Boot", boot))
    if h.shm_total_bytes is not None:
        rows.append(("/dev/shm", f"{_size(h.shm_total_bytes)} ({_size(h.shm_free_bytes)} free)"))
    if d.installed:
        drv = f"{d.version or q} (CUDA ≤ {d.cuda_version})" if d.cuda_version else d.version or q
        if d.library_mismatch:
            drv += f" — kernel {d.kernel_module_version} ≠ library {d.userspace_version}"
    else:
        drv = "not installed" if d.installed is False else q
    rows.append(("NVIDIA driver", drv))
    if d.installed and s.visibility.nvidia_module_loaded is not None:
        modules = ", ".join(s.visibility.nvidia_modules) or "none loaded"
        k = d.dkms
        if k.module_files is not None:
            modules += f"; {len(k.module_files)} module file(s) for {k.kernel}"
        if k.headers is not None:
            modules += f"; headers {'present' if k.headers else 'missing'}"
        if k.builds:
            modules += "; DKMS: " + ", ".join(f"{b.version} for {b.kernel}" for b in k.builds)
        rows.append(("Kernel modules", modules))
    if s.gpus:
        for g in s.gpus:
            bits = [f"{g.memory_total_mib / 1024:.0f} GiB" if g.memory_total_mib else ""]
            bits.append(f"cc {g.compute_capability}" if g.compute_capability else "")
            shown = ", ".join(b for b in bits if b)
            rows.append((f"GPU {g.index}", f"{g.name or q}" + (f" ({shown})" if shown else "")))
    else:
        rows.append(("GPUs", "none stated" if pasted else "none visible"))
    for link in s.gpu_links:
        p2p = f"P2P read {link.p2p_read or '?'}, NVLink {link.p2p_nvlink or '?'}"
        rows.append((f"GPU {link.gpu_a}–{link.gpu_b}", f"{link.path or '?'}, {p2p}"))
    if s.visibility.cuda_visible_devices is not None:
        rows.append(("CUDA_VISIBLE_DEVICES", repr(s.visibility.cuda_visible_devices)))
    tk = "; ".join(f"{t.version or q} at {t.path} ({t.kind})" for t in s.cuda.toolkits)
    none = "none stated in the report" if pasted else "none"
    rows.append(("CUDA toolkits", tk or none))
    dnn = "; ".join(f"{c.version or q} at {c.path} ({c.kind})" for c in s.cuda.cudnn)
    rows.append(("cuDNN", dnn or none))
    p = s.python
    where = f" at {p.executable}" if p.executable else ""
    rows.append(("Python", " ".join(x for x in (p.version or q, p.kind or "") if x) + where))
    for f in s.frameworks:
        bits = [f.version]
        if f.cuda_build:
            cuda = f"CUDA {f.cuda_version or q}"
            bits.append(cuda + (f", cuDNN {f.cudnn_version}" if f.cudnn_version else ""))
        elif f.cuda_build is False:
            bits.append("CPU build")
        if f.backend:
            bits.append(f"backend {f.backend}")
        if f.nccl_version:
            bits.append(f"NCCL {f.nccl_version}")
        live = s.live_probe(f.name)
        if live is not None:
            bits.append(
                f"GPU available: {live.gpu_available}"
                if live.status == "ok"
                else f"live probe: {live.status}"
            )
        rows.append((f"{f.name} ({f.distribution})", ", ".join(bits)))
    for res in s.libraries:
        for lib in res.libraries:
            rows.append(
                (
                    f"{res.framework} → {lib.soname}",
                    f"{lib.path} ({lib.via})" if lib.path else "not found",
                )
            )
    return rows


def render_markdown(report: Report, redact: str = "secrets", verbose: bool = False) -> str:
    report = redact_report(report, redact)
    s = report.snapshot
    out = [f"### dlenv {report.dlenv_version} report", ""]
    out += ["| | |", "|---|---|"]
    out += [f"| {_cell(k)} | {_cell(v)} |" for k, v in _facts(s)]
    out.append("")
    if report.findings:
        out.append("**Findings**")
        out.append("")
        for f in report.findings:
            out.append(f"- **{f.severity.upper()} {f.code}** {f.title}: {f.message}")
            for ev in f.evidence:
                need = f", needed {ev.needed}" if ev.needed else ""
                out.append(f"  - `{ev.fact}`: found {ev.found}{need}")
    else:
        out.append("**No problems found.**")
    out.append("")
    # a probe that raised leaves its rows empty: say so, or the table reads as "nothing there"
    failed = [f"{name}: {why}" for name, why in s.unknown.items() if " probe failed: " in why]
    if failed:
        out += ["**Not checked** (a dlenv probe failed; please report it)", ""]
        out += [f"- {_cell(line)}" for line in failed]
        out.append("")
    env = [f"{v.name}={v.value}" for v in s.env if v.name != "PATH" or verbose]
    if env:
        out += ["<details><summary>Environment variables</summary>", "", "```"]
        out += env
        out += ["```", "", "</details>", ""]
    return "\n".join(out)

"""Hold a report against a policy: every requirement becomes pass, fail or could-not-check.

Pure functions of (Policy, Report): they never touch the machine, so a report captured on a CI
node can be checked anywhere. Missing facts are "could not check", never a guess; facts that are
known and contradict a requirement (no driver installed, no GPU, a CPU-only build) fail it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from dlenv.check.model import (
    FindingResult,
    Outcome,
    PolicyCounts,
    PolicyResult,
    RequirementResult,
)
from dlenv.check.policy import CC_RE, Policy
from dlenv.errors import ExitCode
from dlenv.report.model import Report
from dlenv.rules.findings import Finding
from dlenv.snapshot.model import GpuFacts, SmokeCheck, Snapshot


def _worst(outcomes: Iterable[Outcome]) -> Outcome:
    seen = set(outcomes)
    return "fail" if "fail" in seen else "unchecked" if "unchecked" in seen else "pass"


def _req(
    key: str, title: str, outcome: Outcome, needed: str, found: str, detail: str | None = None
) -> RequirementResult:
    return RequirementResult(
        key=key, title=title, outcome=outcome, needed=needed, found=found, detail=detail
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def visible_gpus(s: Snapshot) -> list[GpuFacts]:
    """GPUs a framework would get: those not hidden by CUDA_VISIBLE_DEVICES."""
    return [g for g in s.gpus if g.visible is not False]


def _why_no_gpu(s: Snapshot) -> str | None:
    if s.driver.installed is False:
        return "no NVIDIA driver"
    reason = next(iter(s.driver.unknown.values()), None) or next(
        (r.error for r in s.driver.readings if r.error), None
    )
    if s.driver.installed is None:
        return f"the driver could not be queried: {reason}" if reason else None
    if s.gpus and not visible_gpus(s):
        return f"CUDA_VISIBLE_DEVICES={s.visibility.cuda_visible_devices!r} hides them all"
    return None


# -- versions ---------------------------------------------------------------------------------
def parse_version(text: str) -> Version | None:
    """A version as PEP 440 reads it; driver versions such as 535.104.05 become (535, 104, 5)."""
    try:
        return Version(text.strip())
    except InvalidVersion:
        return None


def _version_requirement(
    key: str, title: str, spec: str, found: list[tuple[str, str]], missing: str
) -> RequirementResult:
    """`found` is [(version, where)]; passes when any of them satisfies `spec`."""
    if not found:
        return _req(key, title, "unchecked", spec, "unknown", missing)
    specifiers = SpecifierSet(spec)
    shown = ", ".join(f"{v} ({where})" if where else v for v, where in found)
    verdicts: list[Outcome] = []
    for text, _ in found:
        version = parse_version(text)
        if version is None:
            verdicts.append("unchecked")
        else:
            # installed pre-releases and local builds (2.5.0.dev0, 2.3.1+cu121) are facts: compare
            verdicts.append("pass" if specifiers.contains(version, prereleases=True) else "fail")
    if "pass" in verdicts:
        return _req(key, title, "pass", spec, shown)
    if "unchecked" in verdicts:
        bad = [v for (v, _), o in zip(found, verdicts, strict=True) if o == "unchecked"]
        return _req(key, title, "unchecked", spec, shown, f"not a PEP 440 version: {bad[0]!r}")
    return _req(key, title, "fail", spec, shown)


def _driver(p: Policy, s: Snapshot) -> Iterable[RequirementResult]:
    missing = _why_no_gpu(s) or "the driver version is unknown"
    wanted = (
        ("driver", "NVIDIA driver", p.driver, s.driver.version),
        ("driver_cuda", "CUDA supported by the driver", p.driver_cuda, s.driver.cuda_version),
    )
    for key, title, spec, version in wanted:
        if spec is None:
            continue
        if s.driver.installed is False and not version:
            # known absent is a fact, not an unknown: no driver meets ">=550"
            yield _req(key, title, "fail", spec, "not installed", "no NVIDIA driver")
        else:
            found = [(version, "")] if version else []
            yield _version_requirement(key, title, spec, found, missing)


def _toolkits(p: Policy, s: Snapshot) -> Iterable[RequirementResult]:
    if p.cuda is not None:
        found = [(t.version, t.path) for t in s.cuda.toolkits if t.version]
        why = "no CUDA toolkit found" if not s.cuda.toolkits else "toolkit versions unknown"
        yield _version_requirement("cuda", "CUDA toolkit", p.cuda, found, why)
    if p.cudnn is not None:
        found = [(c.version, c.path) for c in s.cuda.cudnn if c.version]
        why = "no cuDNN found" if not s.cuda.cudnn else "cuDNN versions unknown"
        yield _version_requirement("cudnn", "cuDNN", p.cudnn, found, why)
    if p.python is not None:
        found = [(s.python.version, "")] if s.python.version else []
        why = s.python.unknown.get("version", "the Python version is unknown")
        yield _version_requirement("python", "Python", p.python, found, why)


def _frameworks(p: Policy, s: Snapshot, only: set[str] | None) -> Iterable[RequirementResult]:
    for name, spec in p.frameworks.items():
        if only is not None and name not in only:
            continue
        fw = s.framework(name)
        key, title = f"frameworks.{name}", f"{name} version"
        if fw is None:
            yield _req(key, title, "fail", spec, "not installed", f"{name} is not installed")
        else:
            yield _version_requirement(key, title, spec, [(fw.version, "")], "")


# -- GPUs -------------------------------------------------------------------------------------
def _per_gpu(
    s: Snapshot,
    key: str,
    title: str,
    needed: str,
    gpus: list[GpuFacts],
    judge: Callable[[GpuFacts], tuple[Outcome, str]],
    fact: str,
) -> RequirementResult:
    """One requirement every GPU must meet; found lists each GPU, worst outcome wins."""
    if not gpus:
        # no GPU where the driver answered (or is known absent) cannot meet a per-GPU requirement
        if s.driver.installed is False or s.gpus or s.driver.installed:
            return _req(key, title, "fail", needed, "no GPU", _why_no_gpu(s) or "no GPU found")
        return _req(key, title, "unchecked", needed, "no GPU", "there is no GPU to check")
    judged = [(g, *judge(g)) for g in gpus]
    outcome = _worst(o for _, o, _ in judged)
    # show the GPUs that decide the outcome, or all when they pass
    shown = [(g, text) for g, o, text in judged if o == outcome]
    found = "; ".join(f"GPU {g.index}: {text}" for g, text in shown)
    detail = None
    if outcome == "unchecked":
        reasons = [g.unknown[fact] for g, _ in shown if fact in g.unknown]
        detail = reasons[0] if reasons else "NVML did not report it"
    return _req(key, title, outcome, needed, found, detail)


def _gpus(p: Policy, s: Snapshot) -> Iterable[RequirementResult]:
    gpus = visible_gpus(s)
    if p.min_gpus is not None:
        names = sorted({g.name for g in gpus if g.name})
        found = str(len(gpus)) + (f" ({', '.join(names)})" if names else "")
        ok = len(gpus) >= p.min_gpus
        yield _req(
            "min_gpus",
            "GPUs",
            "pass" if ok else "fail",
            f"at least {p.min_gpus}",
            found,
            None if ok else _why_no_gpu(s),
        )
    if p.gpu_name:
        patterns = " or ".join(repr(pat.text) for pat in p.gpu_name)

        def name_ok(g: GpuFacts) -> tuple[Outcome, str]:
            if g.name is None:
                return "unchecked", "name unknown"
            ok = any(pat.matches(g.name) for pat in p.gpu_name)
            return ("pass" if ok else "fail"), g.name

        yield _per_gpu(s, "gpu_name", "GPU name", f"matches {patterns}", gpus, name_ok, "name")
    if p.min_gpu_memory_gib is not None:
        need = p.min_gpu_memory_gib

        def memory_ok(g: GpuFacts) -> tuple[Outcome, str]:
            if g.memory_total_mib is None:
                return "unchecked", "memory unknown"
            gib = g.memory_total_mib / 1024
            return ("pass" if gib >= need else "fail"), f"{gib:.1f} GiB"

        yield _per_gpu(
            s,
            "min_gpu_memory_gib",
            "GPU memory",
            f"at least {need:g} GiB",
            gpus,
            memory_ok,
            "memory_total_mib",
        )
    if p.min_compute_capability is not None:
        want = _cc(p.min_compute_capability)

        def cc_ok(g: GpuFacts) -> tuple[Outcome, str]:
            have = _cc(g.compute_capability)
            if have is None or want is None:
                return "unchecked", g.compute_capability or "unknown"
            return ("pass" if have >= want else "fail"), str(g.compute_capability)

        yield _per_gpu(
            s,
            "min_compute_capability",
            "compute capability",
            f"at least {p.min_compute_capability}",
            gpus,
            cc_ok,
            "compute_capability",
        )
    limits = (
        ("max_temperature_c", "temperature_c", "GPU temperature", "at most {} °C", " °C"),
        (
            "max_ecc_uncorrectable",
            "ecc_uncorrectable",
            "uncorrectable ECC errors",
            "at most {}",
            "",
        ),
        ("max_retired_pages", "retired_pages", "retired pages", "at most {}", ""),
        ("max_processes", "processes", "processes on the GPU", "at most {}", ""),
    )
    for key, fact, title, needed, unit in limits:
        limit = getattr(p.health, key)
        if limit is None:
            continue

        def health_ok(
            g: GpuFacts, fact: str = fact, limit: int = limit, unit: str = unit
        ) -> tuple[Outcome, str]:
            value = getattr(g, fact)
            if value is None:
                return "unchecked", "unknown"
            return ("pass" if value <= limit else "fail"), f"{value}{unit}"

        yield _per_gpu(s, f"health.{key}", title, needed.format(limit), gpus, health_ok, fact)


def _cc(text: str | None) -> tuple[int, int] | None:
    match = CC_RE.match(text or "")
    return (int(match[1]), int(match[2])) if match else None


# -- live -------------------------------------------------------------------------------------
def _live(p: Policy, s: Snapshot, only: set[str] | None) -> Iterable[RequirementResult]:
    for name in p.gpu_frameworks:
        if only is not None and name not in only:
            continue
        yield _uses_gpu(name, s)
    if p.tensorflow_memory_growth and (only is None or "tensorflow" in only):
        yield _memory_growth(s)


RUN_LIVE = "run `dlenv check` on the runner itself, without --quick, so the live probe runs"
NO_LIVE = "no live probe result for %s, as with --quick or a report saved with it; " + RUN_LIVE
NO_DRIVER_FOR = "no NVIDIA driver, so %s cannot use a GPU"


def _uses_gpu(name: str, s: Snapshot) -> RequirementResult:
    key, title, needed = f"gpu_frameworks.{name}", f"{name} uses the GPU", "sees a GPU and computes"
    probe = s.live_probe(name)
    if probe is None:
        fw = s.framework(name)
        if fw is None:
            return _req(key, title, "fail", needed, "not installed", f"{name} is not installed")
        if fw.cuda_build is False and not fw.rocm_build:
            # a CPU-only build can never use the GPU: no live probe needed to say so
            build = f"{fw.version} is a CPU-only build"
            return _req(key, title, "fail", needed, build, "install a CUDA build of " + name)
        if s.driver.installed is False and not fw.rocm_build:
            return _req(key, title, "fail", needed, "no NVIDIA driver", NO_DRIVER_FOR % name)
        return _req(key, title, "unchecked", needed, "no live probe", NO_LIVE % name)
    if probe.status == "skipped":
        return _req(key, title, "unchecked", needed, "skipped", probe.error or "probe skipped")
    if probe.status != "ok":
        why = probe.error or probe.gpu_unavailable_reason or probe.stderr_tail or probe.status
        return _req(key, title, "fail", needed, probe.status, why)
    gpus = [d for d in probe.devices if d.kind == "gpu"]
    if probe.gpu_available is False:
        why = probe.gpu_unavailable_reason or f"{name} reports no GPU"
        return _req(key, title, "fail", needed, "no GPU", why)
    if probe.gpu_available is None:
        return _req(key, title, "unchecked", needed, "unknown", f"{name} did not say")
    sees = _plural(len(gpus), "GPU") if gpus else "a GPU"
    if probe.compute_ok is False:
        why = probe.error or "a computation on the GPU did not match the CPU"
        return _req(key, title, "fail", needed, f"sees {sees}, computation failed", why)
    if probe.compute_ok is None:
        why = "no computation was tried on the GPU; " + RUN_LIVE
        return _req(key, title, "unchecked", needed, f"sees {sees}", why)
    return _req(key, title, "pass", needed, f"sees {sees}, computation matched the CPU")


def _memory_growth(s: Snapshot) -> RequirementResult:
    key, title, needed = "tensorflow_memory_growth", "TensorFlow memory growth", "on"
    probe = s.live_probe("tensorflow")
    if probe is not None and probe.memory_growth:
        off = sorted(d for d, v in probe.memory_growth.items() if v.lower() != "true")
        if off:
            return _req(
                key, title, "fail", needed, f"off on {', '.join(off)}", "the live probe says so"
            )
        return _req(key, title, "pass", needed, "on (live probe)")
    if s.framework("tensorflow") is None:
        return _req(key, title, "unchecked", needed, "unknown", "tensorflow is not installed")
    # TensorFlow's only process-wide switch without code changes
    env = s.env_value("TF_FORCE_GPU_ALLOW_GROWTH")
    if env == "true":  # TensorFlow's strcmp: "True" or "1" is ignored
        return _req(key, title, "pass", needed, "TF_FORCE_GPU_ALLOW_GROWTH=true")
    found = (
        "TF_FORCE_GPU_ALLOW_GROWTH=" + env if env is not None else "TF_FORCE_GPU_ALLOW_GROWTH unset"
    )
    return _req(
        key, title, "fail", needed, found, "export TF_FORCE_GPU_ALLOW_GROWTH=true on this runner"
    )


# -- smoke ----------------------------------------------------------------------------------
RUN_SMOKE = "run `dlenv check` on the runner itself, without --quick, so the smoke checks run"


def _smoke(p: Policy, s: Snapshot, only: set[str] | None) -> Iterable[RequirementResult]:
    """Each required smoke check passed wherever it ran (every framework, every device); one
    that failed, hung or crashed fails it; one that ran nowhere cannot be checked."""
    for name in p.smoke:
        key, title, needed = f"smoke.{name}", f"smoke check {name}", "passed"
        if s.smoke is None:
            yield _req(key, title, "unchecked", needed, "not run", "no smoke results; " + RUN_SMOKE)
            continue
        rows = [
            c
            for c in s.smoke.checks
            if c.check == name and (only is None or c.framework in only)
        ]
        bad = [c for c in rows if c.status in ("failed", "timeout", "crashed", "error")]
        ran = [c for c in rows if c.status == "passed"]

        def where(c: SmokeCheck) -> str:
            who = f"keras[{c.backend}]" if c.backend else c.framework
            return f"{who} on {c.device}" + (f" ({c.variant})" if c.variant else "")

        if bad:
            found = "; ".join(f"{where(c)}: {c.status}" for c in bad)
            why = next((c.error for c in bad if c.error), None)
            yield _req(key, title, "fail", needed, found, why)
        elif not ran:
            reasons = sorted({c.reason for c in rows if c.reason})
            why = "; ".join(reasons) or "it ran for no framework (none installed or selected)"
            yield _req(key, title, "unchecked", needed, "did not run", why)
        else:
            yield _req(key, title, "pass", needed, f"passed ({_plural(len(ran), 'run')})")


# -- findings ---------------------------------------------------------------------------------
def _finding_result(p: Policy, f: Finding) -> FindingResult:
    if f.code in p.ignore:
        outcome = "ignored"
    elif f.severity == "error" or (
        f.severity == "warning"
        and (p.fail_on_warnings is True or (p.fail_on_warnings and f.code in p.fail_on_warnings))
    ):
        outcome = "fail"
    else:
        outcome = "pass"
    return FindingResult(
        code=f.code,
        name=f.name,
        severity=f.severity,
        title=f.title,
        message=f.message,
        outcome=outcome,  # type: ignore[arg-type]
        subject=f.subject,
    )


# -- the whole check --------------------------------------------------------------------------
def evaluate(
    policy: Policy, report: Report, *, strict: bool = True, only: Iterable[str] = ()
) -> PolicyResult:
    """Every requirement of the policy and every finding of the report, judged.

    `strict` (the default) counts a requirement that could not be checked as failed: a gate that
    passes what it could not see fails open. `strict=False` is `dlenv check --allow-unknown`.
    """
    chosen = set(only) or None
    s = report.snapshot
    requirements = [
        *_gpus(policy, s),
        *_driver(policy, s),
        *_toolkits(policy, s),
        *_frameworks(policy, s, chosen),
        *_live(policy, s, chosen),
        *_smoke(policy, s, chosen),
    ]
    findings = [_finding_result(policy, f) for f in report.findings]
    counts = PolicyCounts(
        passed=sum(r.outcome == "pass" for r in requirements),
        failed=sum(r.outcome == "fail" for r in requirements),
        unchecked=sum(r.outcome == "unchecked" for r in requirements),
        findings_failed=sum(f.outcome == "fail" for f in findings),
        findings_ignored=sum(f.outcome == "ignored" for f in findings),
    )
    passed = not counts.failed and not counts.findings_failed and not (strict and counts.unchecked)
    return PolicyResult(
        source=policy.source,
        passed=passed,
        strict=strict,
        only=sorted(chosen or ()),
        requirements=requirements,
        findings=findings,
        counts=counts,
    )


def counts_as_failure(result: RequirementResult, strict: bool = True) -> bool:
    return result.outcome == "fail" or (strict and result.outcome == "unchecked")


def exit_code(result: PolicyResult) -> ExitCode:
    return ExitCode.OK if result.passed else ExitCode.FINDINGS

"""Questions `dlenv setup` asks the knowledge base: the newest build of each framework that a
machine really runs on its GPU, and why (each reason with its source).

Only public queries of `dlenv.kb` are used; what they do not answer (a release's CUDA major, the
cuDNN its wheels pin, whether two frameworks' nvidia-* pins can share one environment) is derived
here from the same tables, so that kb/ stays the single source of the facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from dlenv.kb.queries import (
    arch_fit,
    cuda_arch_support,
    driver_requirement,
    driver_runs_cuda,
    major_minor,
    parse_version,
    torch_index_url,
)
from dlenv.kb.tables import (
    JaxRelease,
    KerasRelease,
    TensorflowRelease,
    TorchRelease,
    TorchVariant,
    load,
)
from dlenv.setup.model import FrameworkChoice, Reason

# tensorflow[and-cuda] 2.19 pins its nvidia-* wheels exactly (nvidia-cuda-runtime-cu12==12.5.82,
# nvidia-cudnn-cu12==9.3.0.75); from 2.20 it asks for ranges (>=12.5.82,<13): only from then on
# can another framework's own exact pins share the environment (DL209 finds the clash later).
TF_RANGE_PINS_SINCE = "2.20"
TF_RANGE_PINS_SOURCE = "https://pypi.org/project/tensorflow/2.20.0/"
TF_EXACT_PINS_SOURCE = "https://pypi.org/project/tensorflow/2.19.0/"


@dataclass(frozen=True)
class Target:
    """The machine as the choices see it."""

    os: str  # "Linux", "Windows", "Darwin"
    arch: str | None
    wsl: bool
    driver: str | None  # None: no NVIDIA driver
    gpus: tuple[str, ...]  # names, for the reasons
    ccs: tuple[str, ...]  # compute capabilities of every NVIDIA GPU

    @property
    def cuda_gpu(self) -> bool:
        return bool(self.driver) and bool(self.gpus)

    @property
    def native_windows(self) -> bool:
        return self.os.lower().startswith("win")

    @property
    def macos(self) -> bool:
        return self.os.lower() in ("darwin", "macos")

    @property
    def linux(self) -> bool:
        return self.os.lower() == "linux"


@dataclass(frozen=True)
class Pick:
    """A framework choice and what decides whether it can share an environment."""

    choice: FrameworkChoice
    cuda_major: int | None = None  # the CUDA major of the nvidia-* wheels it brings
    cudnn: str | None = None  # the cuDNN it pins ("9.10.2.21") or needs ("9.3")
    cudnn_spec: str | None = None  # a range it accepts (">=9.8,<10.0")
    exact_pins: bool = False  # its nvidia-* requirements are exact versions (no sharing)
    refused: str | None = None  # asked for, but not possible here
    notes: list[Reason] = field(default_factory=list)


class Constraint:
    """What every choice must respect: a Python version, a pinned release, a CUDA major."""

    def __init__(
        self, python: str | None = None, pinned: str | None = None, cuda_major: int | None = None
    ) -> None:
        self.python = major_minor(python)
        self.pinned = pinned
        self.cuda_major = cuda_major

    def python_ok(self, low: str | None, high: str | None) -> bool:
        if self.python is None:
            return True
        lo, hi = major_minor(low), major_minor(high)
        return (lo is None or lo <= self.python) and (hi is None or self.python <= hi)

    def release_ok(self, version: str) -> bool:
        if self.pinned is None:
            return True
        wanted = parse_version(self.pinned)
        found = parse_version(version)
        if wanted is None or found is None:
            return False
        # "2.13" pins a release line; "0.9.2" one release (where the table records X.Y.Z)
        n = max(len(wanted.release), 2) if len(found.release) > 2 else 2
        return found.release[:n] == (*wanted.release, 0, 0)[:n]


def _cc_text(t: Target) -> str:
    return ", ".join(dict.fromkeys(t.ccs)) or "unknown"


def _newest_first(versions: list[str]) -> list[str]:
    return sorted(versions, key=lambda v: parse_version(v) or Version("0"), reverse=True)


def _series(version: str) -> str:
    """ "2.14" -> "2.14.*": any patch release of the line the table describes."""
    mm = major_minor(version)
    return f"{mm[0]}.{mm[1]}.*" if mm else version


def cuda_major(cuda: str | None) -> int | None:
    mm = major_minor(cuda)
    return mm[0] if mm else None


def _runs_on(variant: TorchVariant, cc: str) -> bool:
    """Kernels for `cc` in the variant's verified architecture list. Stricter than the rules'
    fallback to the CUDA major's range: a plan promises the GPU, so unverified is not enough."""
    return variant.arch_list is not None and arch_fit(variant.arch_list, cc) == "native"


def _driver_reason(cuda: str, t: Target, what: str) -> Reason:
    req = driver_requirement(cuda, t.os)
    if req is None:
        return Reason(f"{what} (CUDA {cuda}): its driver floor is not in the knowledge base")
    ok = driver_runs_cuda(t.driver, cuda, t.os)
    verb = "meets" if ok else "is below"
    return Reason(
        f"{what} is built with CUDA {cuda}, which needs driver >= {req.minimum}; "
        f"driver {t.driver} {verb} it",
        req.source,
    )


def _variant_rejection(variant: TorchVariant, t: Target) -> Reason | None:
    if not driver_runs_cuda(t.driver, variant.cuda, t.os):
        return _driver_reason(variant.cuda, t, variant.name)
    if variant.arch_list is None and t.ccs:
        return Reason(
            f"{variant.name}: the GPU architectures it is built for are not in the knowledge "
            "base, so no GPU can be promised",
            variant.arch_source,
        )
    missing = [cc for cc in t.ccs if not _runs_on(variant, cc)]
    if missing:
        arch = ", ".join(variant.arch_list) if variant.arch_list else "unknown"
        return Reason(
            f"{variant.name} has no kernels for compute capability {', '.join(missing)} "
            f"(built for {arch})",
            variant.arch_source,
        )
    return None


# -- PyTorch ---------------------------------------------------------------------------------
def _torch_releases(c: Constraint) -> list[TorchRelease]:
    rows = [r for r in load().torch if c.release_ok(r.version) and c.python_ok(r.python_min, None)]
    return sorted(rows, key=lambda r: major_minor(r.version) or (0, 0), reverse=True)


def _fitting_variant(release: TorchRelease, t: Target, c: Constraint) -> TorchVariant | None:
    fitting = [
        v
        for v in release.variants
        if _variant_rejection(v, t) is None
        and (c.cuda_major is None or cuda_major(v.cuda) == c.cuda_major)
    ]

    def preference(v: TorchVariant) -> tuple[bool, Version]:
        trusted = not v.experimental or v.name == release.default_variant
        return trusted, parse_version(v.cuda) or Version("0")

    return max(fitting, key=preference, default=None)


def _cudnn_of(variant: TorchVariant) -> str | None:
    return variant.cudnn


def choose_torch(t: Target, c: Constraint, force: bool = False) -> Pick:
    releases = _torch_releases(c)
    if not releases:
        return _none("torch", c)
    if t.macos:
        r = releases[0]
        mps = (t.arch or "").lower() in ("arm64", "aarch64")
        why = [
            Reason(
                f"PyTorch {r.version} from PyPI: macOS wheels carry no CUDA"
                + ("; Apple's GPU is used through MPS" if mps else ""),
                r.source,
            )
        ]
        return Pick(_torch_choice(r, "mps" if mps else "cpu", None, False, why))
    if not t.cuda_gpu:
        r = releases[0]
        why = [Reason(f"PyTorch {r.version}, CPU build: {_no_gpu(t)}", r.source)]
        return Pick(_torch_choice(r, "cpu", torch_index_url("cpu"), False, why))
    rejected: list[Reason] = []
    for release in releases:
        variant = _fitting_variant(release, t, c)
        if variant is None:
            if release is releases[0]:
                rejected += [
                    no
                    for v in release.variants
                    if (c.cuda_major is None or cuda_major(v.cuda) == c.cuda_major)
                    and (no := _variant_rejection(v, t)) is not None
                ]
            continue
        why = [
            Reason(
                f"PyTorch {release.version} {variant.name}: the newest release and CUDA variant "
                f"that driver {t.driver} runs and that has kernels for every GPU "
                f"(compute capability {_cc_text(t)})",
                release.source,
            ),
            _driver_reason(variant.cuda, t, variant.name),
        ]
        if variant.arch_list:
            why.append(
                Reason(
                    f"{variant.name} is built for {', '.join(variant.arch_list)}",
                    variant.arch_source,
                )
            )
        if variant.experimental and variant.name != release.default_variant:
            why.append(Reason(f"{variant.name} is experimental in PyTorch's release matrix"))
        newer = [
            no
            for v in release.variants
            if (parse_version(v.cuda) or Version("0"))
            > (parse_version(variant.cuda) or Version("0"))
            and (no := _variant_rejection(v, t)) is not None
        ]
        notes = _announced_drop(variant, release)
        choice = _torch_choice(
            release, variant.name, torch_index_url(variant.name), True, [*why, *rejected, *newer]
        )
        return Pick(choice, cuda_major(variant.cuda), _cudnn_of(variant), None, False, None, notes)
    # no release (or not the pinned one) has a CUDA build for this GPU and driver
    r = releases[0]
    what = f"PyTorch {c.pinned}" if c.pinned else "no PyTorch release in the knowledge base"
    reason = (
        f"{what} {'has no' if c.pinned else 'has a'} CUDA build that driver {t.driver} runs on "
        f"compute capability {_cc_text(t)}"
    )
    if c.pinned is not None:
        if not force:
            return _refuse("torch", c, reason, rejected)
        by_driver = [v for v in r.variants if driver_runs_cuda(t.driver, v.cuda, t.os)]
        if by_driver:
            v = max(by_driver, key=lambda v: parse_version(v.cuda) or Version("0"))
            why = [Reason(f"installed as asked (--force): {reason}; it will not use the GPU")]
            return Pick(_torch_choice(r, v.name, torch_index_url(v.name), False, why + rejected))
    why = [Reason(f"CPU build: {reason}"), *rejected]
    return Pick(_torch_choice(r, "cpu", torch_index_url("cpu"), False, why))


def _announced_drop(variant: TorchVariant, release: TorchRelease) -> list[Reason]:
    notes = []
    for ann in load().torch_announced:
        if variant.name in ann.dropped and (major_minor(ann.version) or (0, 0)) > (
            major_minor(release.version) or (0, 0)
        ):
            notes.append(
                Reason(
                    f"PyTorch {ann.version} will publish no {variant.name} wheels: keep "
                    f"torch<{ann.version} on this machine ({ann.note.split(':')[0]})",
                    ann.source,
                )
            )
    return notes


def _torch_choice(
    r: TorchRelease, build: str, index: str | None, gpu: bool, why: list[Reason]
) -> FrameworkChoice:
    return FrameworkChoice(
        name="torch",
        version=r.version,
        build=build,
        gpu=gpu,
        requirement=f"torch=={_series(r.version)}",
        index_url=index,
        python_min=r.python_min,
        python_max=r.python_max,
        why=why,
    )


def _no_gpu(t: Target) -> str:
    if not t.driver and not t.gpus:
        return "no NVIDIA GPU or driver found"
    if not t.driver:
        return "no NVIDIA driver found (the GPU cannot be used until one is installed)"
    return "no NVIDIA GPU found"


def _none(name: str, c: Constraint) -> Pick:
    what = f"{name}=={c.pinned}" if c.pinned else name
    py = f" for Python {c.python[0]}.{c.python[1]}" if c.python else ""
    return _refuse(name, c, f"no release of {what}{py} in dlenv's knowledge base", [])


def _refuse(name: str, c: Constraint, reason: str, why: list[Reason]) -> Pick:
    choice = FrameworkChoice(
        name=name, version=c.pinned or "", build="none", gpu=False, requirement="", why=why
    )
    return Pick(choice, refused=f"{name}: {reason}")


# -- TensorFlow ------------------------------------------------------------------------------
def _tf_releases(c: Constraint) -> list[TensorflowRelease]:
    rows = [
        r
        for r in load().tensorflow
        if c.release_ok(r.version) and c.python_ok(r.python_min, r.python_max)
    ]
    return sorted(rows, key=lambda r: major_minor(r.version) or (0, 0), reverse=True)


def _tf_choice(
    r: TensorflowRelease, distribution: str, build: str, gpu: bool, why: list[Reason]
) -> FrameworkChoice:
    return FrameworkChoice(
        name="tensorflow",
        version=r.version,
        build=build,
        gpu=gpu,
        requirement=f"{distribution}=={_series(r.version)}",
        python_min=r.python_min,
        python_max=r.python_max,
        why=why,
    )


def _tf_gpu_problem(r: TensorflowRelease, t: Target) -> Reason | None:
    if not driver_runs_cuda(t.driver, r.cuda, t.os):
        return _driver_reason(r.cuda, t, f"TensorFlow {r.version}")
    support = cuda_arch_support(r.cuda)
    if support is not None:
        low, high = major_minor(support.min_cc), major_minor(support.max_cc)
        for cc in t.ccs:
            mm = major_minor(cc)
            if mm is not None and low is not None and high is not None and not low <= mm <= high:
                return Reason(
                    f"TensorFlow {r.version} is built with CUDA {r.cuda}, which supports "
                    f"compute capability {support.min_cc}-{support.max_cc}, not {cc}",
                    support.source,
                )
    return None


def choose_tensorflow(t: Target, c: Constraint) -> Pick:
    kb = load()
    releases = _tf_releases(c)
    if not releases:
        return _none("tensorflow", c)
    newest = releases[0]
    if t.native_windows:
        last = kb.tensorflow_facts["last_native_windows_gpu"]
        why = [Reason(f"TensorFlow {newest.version}, CPU build: {last.note}", last.source)]
        notes = []
        if t.cuda_gpu:
            notes.append(
                Reason(
                    "For TensorFlow on this GPU, run `dlenv setup tensorflow` inside WSL2 "
                    "(Ubuntu), where tensorflow[and-cuda] uses the Windows driver; or pin "
                    "tensorflow==2.10 with CUDA 11.2 and cuDNN 8.1 installed by hand (Python "
                    "<= 3.10, no updates since 2022).",
                    last.source,
                )
            )
        return Pick(_tf_choice(newest, "tensorflow", "cpu", False, why), notes=notes)
    if t.macos:
        why = [Reason(f"TensorFlow {newest.version}: macOS wheels carry no CUDA", newest.source)]
        return Pick(_tf_choice(newest, "tensorflow", "cpu", False, why))
    cpu_dist = (
        "tensorflow-cpu" if (t.arch or "x86_64").lower() in ("x86_64", "amd64") else "tensorflow"
    )
    if not t.cuda_gpu:
        why = [Reason(f"TensorFlow {newest.version}, CPU build: {_no_gpu(t)}", newest.source)]
        return Pick(_tf_choice(newest, cpu_dist, "cpu", False, why))
    extra = kb.tensorflow_facts["and_cuda_extra_since"]
    rejected: list[Reason] = []
    for r in releases:
        if c.cuda_major is not None and cuda_major(r.cuda) != c.cuda_major:
            continue
        problem = _tf_gpu_problem(r, t)
        if problem is not None:
            rejected.append(problem)
            continue
        why = [
            Reason(
                f"TensorFlow {r.version}: the newest release whose CUDA {r.cuda} / cuDNN "
                f"{r.cudnn} build driver {t.driver} runs",
                r.source,
            ),
            _driver_reason(r.cuda, t, f"TensorFlow {r.version}"),
            *rejected[:2],
            Reason(
                "the knowledge base has no list of the GPU architectures TensorFlow's wheels "
                "are compiled for: the verification step is what proves it uses this GPU"
            ),
        ]
        if (major_minor(r.version) or (0, 0)) >= (major_minor(extra.value) or (0, 0)):
            why.append(Reason(extra.note, extra.source))
            exact = (major_minor(r.version) or (0, 0)) < (
                major_minor(TF_RANGE_PINS_SINCE) or (0, 0)
            )
            return Pick(
                _tf_choice(r, "tensorflow[and-cuda]", "and-cuda", True, why),
                cuda_major(r.cuda),
                r.cudnn,
                None,
                exact,
            )
        why.append(
            Reason(
                f"TensorFlow {r.version} predates tensorflow[and-cuda]: install CUDA {r.cuda} "
                f"and cuDNN {r.cudnn} yourself (or use conda's cudatoolkit/cudnn packages)",
                extra.source,
            )
        )
        return Pick(_tf_choice(r, "tensorflow", "system-cuda", True, why), None, r.cudnn)
    why = [
        Reason(f"TensorFlow {newest.version}, CPU build: no release's CUDA build fits", None),
        *rejected[:3],
    ]
    return Pick(_tf_choice(newest, cpu_dist, "cpu", False, why))


# -- JAX -------------------------------------------------------------------------------------
def _jax_releases(c: Constraint) -> list[JaxRelease]:
    rows = [r for r in load().jax if c.release_ok(r.version) and c.python_ok(r.python_min, None)]
    return sorted(rows, key=lambda r: parse_version(r.version) or Version("0"), reverse=True)


def choose_jax(t: Target, c: Constraint) -> Pick:
    releases = _jax_releases(c)
    if not releases:
        return _none("jax", c)
    r = releases[0]
    series = _series(r.version) if c.pinned is None or len(c.pinned.split(".")) < 3 else r.version

    def make(req: str, build: str, gpu: bool, why: list[Reason]) -> FrameworkChoice:
        return FrameworkChoice(
            name="jax",
            version=r.version,
            build=build,
            gpu=gpu,
            requirement=f"{req}=={series}",
            python_min=r.python_min,
            why=why,
        )

    if not t.cuda_gpu or not t.linux:
        reason = _no_gpu(t) if not t.cuda_gpu else "JAX's CUDA wheels are for Linux only"
        notes = []
        if t.native_windows and t.cuda_gpu:
            notes.append(Reason("For JAX on this GPU, set it up inside WSL2.", r.docs_source))
        return Pick(
            make("jax", "cpu", False, [Reason(f"JAX {r.version}, CPU: {reason}", r.source)]),
            notes=notes,
        )
    rejected: list[Reason] = []
    majors = [13, 12] if c.cuda_major is None else [c.cuda_major]
    for major in majors:
        plugin = f"jax-cuda{major}-plugin"
        if plugin not in r.plugins:
            continue
        cuda = f"{major}.0"
        if not driver_runs_cuda(t.driver, cuda, t.os):
            rejected.append(_driver_reason(cuda, t, f"jax[cuda{major}]"))
            continue
        floor = r.min_compute_capability.get(f"cuda{major}")
        low = [
            cc
            for cc in t.ccs
            if floor and (major_minor(cc) or (0, 0)) < (major_minor(floor) or (0, 0))
        ]
        if low:
            rejected.append(
                Reason(
                    f"jax[cuda{major}] needs compute capability >= {floor}, the GPU has "
                    f"{', '.join(low)}",
                    r.docs_source,
                )
            )
            continue
        why = [
            Reason(
                f"JAX {r.version} with jax[cuda{major}]: driver {t.driver} runs CUDA {major} and "
                f"every GPU has compute capability >= {floor}",
                r.docs_source,
            ),
            *rejected,
        ]
        if r.note:
            why.append(Reason(r.note.split(". ")[0], r.docs_source))
        return Pick(make(f"jax[cuda{major}]", f"cuda{major}", True, why), major, None, r.cudnn)
    return Pick(
        make("jax", "cpu", False, [Reason(f"JAX {r.version}, CPU: no CUDA plugin fits"), *rejected])
    )


# -- Keras -----------------------------------------------------------------------------------
def _keras_releases(c: Constraint) -> list[KerasRelease]:
    rows = [
        r
        for r in load().keras_releases
        if c.release_ok(r.version) and c.python_ok(r.python_min, None)
    ]
    return sorted(rows, key=lambda r: parse_version(r.version) or Version("0"), reverse=True)


def choose_keras(backend: str, backend_version: str | None, c: Constraint) -> Pick:
    releases = _keras_releases(c)
    if not releases:
        return _none("keras", c)
    r = releases[0]
    why = [Reason(f"Keras {r.version} (Keras 3) with the {backend} backend", r.source)]
    minimum = (r.backend_min or {}).get(backend)
    if minimum and backend_version:
        if (major_minor(backend_version) or (0, 0)) < (major_minor(minimum) or (0, 0)):
            return _refuse(
                "keras",
                c,
                f"Keras {r.version} needs {backend} >= {minimum}, the plan has {backend_version}",
                why,
            )
        why.append(Reason(f"Keras {r.version} supports {backend} >= {minimum}", r.backend_source))
    choice = FrameworkChoice(
        name="keras",
        version=r.version,
        build=backend,
        gpu=False,  # Keras runs on its backend's device: the backend's probe says
        requirement=f"keras=={_series(r.version)}",
        python_min=r.python_min,
        why=why,
    )
    return Pick(choice)


# -- Sharing one environment -----------------------------------------------------------------
def _cudnn_major(text: str | None) -> int | None:
    v = parse_version(text)
    return v.release[0] if v else None


def share_problem(a: Pick, b: Pick) -> Reason | None:
    """Why two GPU builds cannot share one environment (their nvidia-* wheels), or None."""
    la, lb = _label(a), _label(b)
    if a.cuda_major is None or b.cuda_major is None:
        return None
    if a.cuda_major != b.cuda_major:
        return Reason(
            f"{la} brings CUDA {a.cuda_major} wheels and {lb} CUDA {b.cuda_major}: one process "
            "loads one libcudnn/libcublas, so one of them would run with the other's"
        )
    for x, y in ((a, b), (b, a)):
        if x.exact_pins and y.choice.name != x.choice.name:
            return Reason(
                f"{_label(x)} pins its nvidia-* wheels exactly (tensorflow[and-cuda] before "
                f"{TF_RANGE_PINS_SINCE}), and {_label(y)} pins other exact versions: pip can "
                "install only one of each (dlenv doctor's DL209)",
                TF_EXACT_PINS_SOURCE,
            )
    ma, mb = _cudnn_major(a.cudnn), _cudnn_major(b.cudnn)
    if ma is not None and mb is not None and ma != mb:
        return Reason(
            f"{la} needs cuDNN {ma} and {lb} cuDNN {mb}, both from nvidia-cudnn-cu{a.cuda_major} "
            "(dlenv doctor's DL203)"
        )
    for x, y in ((a, b), (b, a)):
        if x.cudnn_spec and y.cudnn:
            try:
                ok = Version(y.cudnn) in SpecifierSet(x.cudnn_spec)
            except (InvalidSpecifier, InvalidVersion):
                continue
            if not ok:
                return Reason(
                    f"{_label(x)} needs nvidia-cudnn {x.cudnn_spec} and {_label(y)} pins {y.cudnn}"
                )
    return None


def _label(p: Pick) -> str:
    return f"{p.choice.name} {p.choice.version} {p.choice.build}"

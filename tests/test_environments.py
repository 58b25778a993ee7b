"""The curated environments in environments/ agree with dlenv's knowledge base: versions, wheel
indexes, driver minimums, GPU architectures, Python ranges, and their `dlenv check` policies.

Each environment file starts with `# key: value` lines (environments/README.md describes them);
every number in them is recomputed here from `dlenv.kb.queries`, so the files cannot drift from
the knowledge base without this test failing.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from dlenv.check.policy import Policy, load_policy
from dlenv.cli.app import main
from dlenv.kb import queries as q

ROOT = Path(__file__).resolve().parents[1]
ENV_DIR = ROOT / "environments"
ENV_FILES = sorted([*ENV_DIR.glob("*.txt"), *ENV_DIR.glob("*.yml")])
REQUIRED_KEYS = (
    "dlenv environment",
    "for",
    "platform",
    "python",
    "cuda",
    "cudnn",
    "driver",
    "gpus",
    "kb",
    "install",
    "check",
)
HEADER_LINE = re.compile(r"^# (dlenv environment|[a-z]+): (.+)$")
ARCH = re.compile(r"^(sm|compute)_(\d+)$")


@dataclass
class Environment:
    path: Path
    header: dict[str, list[str]]
    index_urls: list[str] = field(default_factory=list)
    requirements: dict[str, Requirement] = field(default_factory=dict)
    conda: list[str] = field(default_factory=list)

    def one(self, key: str) -> str:
        values = self.header.get(key, [])
        assert len(values) == 1, f"{self.path.name}: expected one '# {key}:' line, found {values}"
        return values[0]

    def none(self, key: str) -> bool:
        return self.one(key).split()[0] == "none"

    @property
    def name(self) -> str:
        return self.path.stem


def _header(lines: list[str]) -> dict[str, list[str]]:
    header: dict[str, list[str]] = {}
    for line in lines:
        if not line.startswith("#"):
            break
        match = HEADER_LINE.match(line)
        if match:
            header.setdefault(match.group(1), []).append(match.group(2).strip())
    return header


def _pip_line(env: Environment, line: str) -> None:
    line = line.split(" #")[0].strip()
    if not line or line.startswith("#"):
        return
    if line.startswith(("--index-url", "--extra-index-url")):
        env.index_urls.append(line.split(maxsplit=1)[1])
        return
    requirement = Requirement(line)
    env.requirements[requirement.name] = requirement


def _conda(env: Environment, lines: list[str]) -> None:
    """The small subset of YAML an environment.yml uses: a dependency list with a pip sub-list."""
    section = None
    for raw in lines:
        if raw.startswith("#") or not raw.strip():
            continue
        if not raw.startswith(" "):
            section = raw.split(":")[0]
            continue
        item = raw.strip()
        if section != "dependencies" or item == "- pip:":
            continue
        assert item.startswith("- "), f"{env.path.name}: cannot read line {raw!r}"
        if raw.startswith("      - "):
            _pip_line(env, item[2:])
        else:
            env.conda.append(item[2:])


def load(path: Path) -> Environment:
    lines = path.read_text(encoding="utf-8").splitlines()
    env = Environment(path, _header(lines))
    if path.suffix == ".yml":
        _conda(env, lines)
    else:
        for line in lines:
            _pip_line(env, line)
    return env


ENVS = [load(p) for p in ENV_FILES]
IDS = [e.name for e in ENVS]


def _python_range(text: str) -> tuple[str, str]:
    match = re.match(r"^(\d+\.\d+)-(\d+\.\d+)$", text.split()[0])
    assert match, f"python range {text!r} is not 'X.Y-X.Y'"
    return match.group(1), match.group(2)


def _mm(text: str) -> tuple[int, int]:
    mm = q.major_minor(text)
    assert mm is not None, text
    return mm


def _archs(env: Environment) -> tuple[str, ...]:
    words = env.one("gpus").split("(")[0].split()
    return tuple(w for w in words if ARCH.match(w))


def _driver(env: Environment) -> str:
    match = re.match(r"^>=([\d.]+) ", env.one("driver"))
    assert match, f"{env.name}: driver line must start with '>=X.Y.Z '"
    return match.group(1)


def _torch(env: Environment) -> tuple[str, str] | None:
    if "torch" not in env.header:
        return None
    version, variant = env.one("torch").split()[:2]
    return version, variant


def _expected_cuda(env: Environment) -> tuple[str, str | None] | None:
    """(CUDA, cuDNN) the knowledge base gives for the framework build this environment pins."""
    torch = _torch(env)
    if torch is not None and torch[1] != "cpu":
        variant = q.torch_variant(*torch)
        assert variant is not None, f"{env.name}: torch {torch} is not in the knowledge base"
        return variant.cuda, variant.cudnn
    if "tensorflow" in env.header and env.one("tensorflow").split()[1] == "and-cuda":
        release = q.tensorflow_release(env.one("tensorflow").split()[0])
        assert release is not None
        return release.cuda, release.cudnn
    return None


def _index_url_of_install(env: Environment) -> list[str]:
    """The wheel indexes pip uses for torch: this file's own, or those of the file installed first."""
    if env.index_urls:
        return env.index_urls
    first = shlex.split(env.one("install"))
    prereq = ROOT / first[first.index("-r") + 1]
    assert prereq != env.path, f"{env.name}: no index URL and no other file installed first"
    return load(prereq).index_urls


def test_there_are_the_promised_environments() -> None:
    names = set(IDS)
    assert {"pytorch-cu126", "pytorch-cpu", "tensorflow-and-cuda", "tensorflow-cpu"} <= names
    assert {"keras-torch-cu126", "keras-jax-cuda12", "cuda-toolkit-cu126"} <= names


@pytest.mark.parametrize("env", ENVS, ids=IDS)
def test_header_is_complete(env: Environment) -> None:
    for key in REQUIRED_KEYS:
        env.one(key)
    assert env.one("dlenv environment") == env.name
    assert f"environments/{env.path.name}" in env.one("install")
    assert env.one("check").split("dlenv check ", 1)[1] == (
        f"--policy environments/{env.name}.dlenv.toml"
    )
    assert (ENV_DIR / f"{env.name}.dlenv.toml").is_file()
    frameworks = {"torch", "tensorflow", "keras", "jax"} & set(env.header)
    assert frameworks, f"{env.name}: names no framework"


@pytest.mark.parametrize("env", [e for e in ENVS if _torch(e)], ids=lambda e: e.name)
def test_torch_pin_index_and_build_match_the_kb(env: Environment) -> None:
    torch = _torch(env)
    assert torch is not None
    version, variant_name = torch
    release = q.torch_release(version)
    assert release is not None, f"torch {version} is not in the knowledge base"
    assert str(env.requirements["torch"].specifier) == f"=={version}.*"
    assert _index_url_of_install(env) == [q.torch_index_url(variant_name)]
    if variant_name == "cpu":
        assert [env.none(k) for k in ("cuda", "cudnn", "driver", "gpus")] == [True] * 4
        return
    variant = q.torch_variant(version, variant_name)
    assert variant is not None, f"torch {version} has no {variant_name} variant in the KB"
    assert variant.arch_list is not None
    assert _archs(env) == variant.arch_list


@pytest.mark.parametrize("env", [e for e in ENVS if "tensorflow" in e.header], ids=lambda e: e.name)
def test_tensorflow_pin_and_its_cuda_cudnn_pins_agree(env: Environment) -> None:
    version, flavour = env.one("tensorflow").split()[:2]
    release = q.tensorflow_release(version)
    assert release is not None, f"tensorflow {version} is not in the knowledge base"
    assert env.one("keras").split()[0] == release.keras
    if flavour == "cpu":
        assert str(env.requirements["tensorflow-cpu"].specifier) == f"=={version}.*"
        assert [env.none(k) for k in ("cuda", "cudnn", "driver", "gpus")] == [True] * 4
        return
    assert flavour == "and-cuda"
    tf = env.requirements["tensorflow"]
    assert tf.extras == {"and-cuda"} and str(tf.specifier) == f"=={version}.*"
    assert q.version_at_least(version, q.tensorflow_fact("and_cuda_extra_since"))
    cuda_major, cudnn_major = _mm(release.cuda)[0], _mm(release.cudnn)[0]
    cudnn_wheel = q.cudnn_pip_package(cudnn_major, cuda_major)
    assert cudnn_wheel is not None
    pins = {
        cudnn_wheel: (release.cudnn, f"{cudnn_major + 1}"),
        f"nvidia-cuda-runtime-cu{cuda_major}": (release.cuda, f"{cuda_major + 1}"),
    }
    for wheel, (built_with, next_major) in pins.items():
        spec = env.requirements[wheel].specifier
        assert spec.contains(built_with) and not spec.contains(next_major), (wheel, str(spec))


@pytest.mark.parametrize("env", ENVS, ids=IDS)
def test_cuda_cudnn_and_driver_are_the_kbs(env: Environment) -> None:
    expected = _expected_cuda(env)
    if "jax" in env.header:  # JAX is not in the KB: its CUDA major decides the driver floor
        assert env.one("jax").split()[1] == "cuda12" and env.one("cuda").split()[0] == "12"
        expected = ("12.0", None)
    if expected is None:
        assert env.none("driver") and env.none("cuda")
        return
    cuda, cudnn = expected
    requirement = q.driver_requirement(cuda, "Linux")
    assert requirement is not None
    assert _driver(env) == requirement.minimum
    if "jax" in env.header:
        assert not set(re.findall(r"\d+\.\d+\.\d+", env.one("driver"))) - {requirement.minimum}
        return
    assert env.one("cuda").split()[0] == cuda
    stated = env.one("cudnn").split()[0]
    if env.conda:  # conda's cudnn package is pinned by major; torch uses its own wheel's
        assert cudnn is not None and f"cudnn={stated}" in env.conda
        assert stated == cudnn.split(".")[0]
        assert f"cuda-version={cuda}" in env.conda
    else:
        assert stated == cudnn
    # Any other driver version the line names is the toolkit's own (GA) driver.
    others = set(re.findall(r"\d+\.\d+\.\d+", env.one("driver"))) - {requirement.minimum}
    assert others <= {requirement.toolkit_minimum}, others


@pytest.mark.parametrize("env", ENVS, ids=IDS)
def test_gpu_architectures_are_supported_by_the_cuda_major(env: Environment) -> None:
    archs = _archs(env)
    if not archs:
        assert env.none("gpus") or "not in dlenv's knowledge base" in env.one("gpus")
        return
    expected = _expected_cuda(env)
    assert expected is not None
    support = q.cuda_arch_support(expected[0])
    assert support is not None
    low, high = _mm(support.min_cc), _mm(support.max_cc)
    for arch in archs:
        match = ARCH.match(arch)
        assert match is not None
        code = int(match.group(2))
        assert low <= divmod(code, 10) <= high, f"{env.name}: {arch} outside CUDA {expected[0]}"


@pytest.mark.parametrize("env", ENVS, ids=IDS)
def test_python_range_is_the_intersection_of_the_kb_ranges(env: Environment) -> None:
    lows: list[tuple[int, int]] = []
    highs: list[tuple[int, int]] = []
    torch = _torch(env)
    if torch:
        release = q.torch_release(torch[0])
        assert release is not None
        lows.append(_mm(release.python_min))
        highs.append(_mm(release.python_max))
    if "tensorflow" in env.header:
        tf = q.tensorflow_release(env.one("tensorflow").split()[0])
        assert tf is not None
        lows.append(_mm(tf.python_min))
        highs.append(_mm(tf.python_max))
    # Packages the KB does not cover state their range in the header, with a source line.
    for key in ("keras", "jax"):
        for word in env.header.get(key, [""])[0].split():
            if word.startswith("python"):
                spec = SpecifierSet(word.removeprefix("python"))
                assert any(s.startswith(f"{key} python") for s in env.header.get("source", []))
                minors = [(3, m) for m in range(6, 20) if spec.contains(f"3.{m}")]
                lows.append(minors[0])
                if "<" in str(spec):
                    highs.append(minors[-1])
    assert lows and highs, f"{env.name}: no Python range to compare with"
    low, high = _python_range(env.one("python"))
    assert (_mm(low), _mm(high)) == (max(lows), min(highs))
    pinned = [d.removeprefix("python=") for d in env.conda if d.startswith("python=")]
    for version in pinned:
        assert max(lows) <= _mm(version) <= min(highs)


def _policy(env: Environment) -> Policy:
    return load_policy(ENV_DIR / f"{env.name}.dlenv.toml")


@pytest.mark.parametrize("env", ENVS, ids=IDS)
def test_check_policy_agrees_with_the_header(env: Environment) -> None:
    policy = _policy(env)
    low, high = _python_range(env.one("python"))
    hi = _mm(high)
    assert policy.python == f">={low},<{hi[0]}.{hi[1] + 1}"
    if env.none("driver"):
        assert policy.driver is None and policy.gpu_frameworks == ()
    else:
        assert policy.driver == f">={_driver(env)}"
        assert policy.gpu_frameworks
    archs = _archs(env)
    if archs:
        lowest = min(divmod(int(ARCH.match(a).group(2)), 10) for a in archs)  # type: ignore[union-attr]
        assert policy.min_compute_capability == f"{lowest[0]}.{lowest[1]}"
    for name, spec in policy.frameworks.items():
        cpu_tf = name == "tensorflow" and "tensorflow-cpu" in env.requirements
        wheel = "tensorflow-cpu" if cpu_tf else name
        if wheel in env.requirements:
            assert spec == str(env.requirements[wheel].specifier), name
        else:  # a framework the pins bring in (keras with tensorflow): the KB's major
            assert name == "keras" and SpecifierSet(spec).contains("3.99")
    for name in {"torch", "jax"} & set(env.requirements):
        assert name in policy.frameworks
    if "keras" in env.requirements:
        assert policy.frameworks["keras"] == str(env.requirements["keras"].specifier)


@pytest.mark.parametrize("env", [e for e in ENVS if "keras" in e.header], ids=lambda e: e.name)
def test_keras_backend_is_known_and_installed(env: Environment) -> None:
    words = env.one("keras").split()
    backend = next((w.split("=", 1)[1] for w in words if w.startswith("backend=")), None)
    if backend is None:  # Keras as TensorFlow brings it: the KB says which major
        assert "tensorflow" in env.header
        return
    distributions = q.keras_backend_distributions(backend)
    assert distributions is not None, f"backend {backend} is not in the KB"
    assert set(distributions) & set(env.requirements)
    assert f"KERAS_BACKEND={backend}" in env.one("for") + env.one("check")


@pytest.mark.parametrize("env", ENVS, ids=IDS)
def test_kb_commands_in_the_header_answer(
    env: Environment, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = ""
    for command in env.one("kb").split(" ; "):
        argv = shlex.split(command)
        assert argv[0] == "dlenv"
        with pytest.raises(SystemExit) as exc:
            main(argv[1:])
        out, _ = capsys.readouterr()
        assert exc.value.code == 0, command
        assert "No row" not in out and "[1] https://" in out, command
        shown += out
    if not env.none("driver"):  # the header's driver minimum is what `dlenv kb` shows
        assert f">={_driver(env)}" in shown


@pytest.mark.parametrize("env", ENVS, ids=IDS)
def test_check_command_in_the_header_reads_the_policy(
    env: Environment, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    argv = shlex.split(env.one("check").split("dlenv ", 1)[1])
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--explain-policy"])
    out, _ = capsys.readouterr()
    assert exc.value.code == 0
    assert out.startswith(f"Policy from environments/{env.name}.dlenv.toml [check]:")


def test_readme_lists_every_environment() -> None:
    readme = (ENV_DIR / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"\[`([\w.-]+\.(?:txt|yml))`\]", readme))
    assert listed == {p.name for p in ENV_FILES}


def test_header_parser_reads_a_requirements_file(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text(
        "# dlenv environment: x\n# python: 3.10-3.12\n# source: a\n# source: b\n"
        "--index-url https://example.invalid/cu126\n"
        'torch==2.14.*  # pinned\nnvidia-cudnn-cu12>=9.3,<10 ; sys_platform == "linux"\n',
        encoding="utf-8",
    )
    env = load(path)
    assert env.header == {"dlenv environment": ["x"], "python": ["3.10-3.12"], "source": ["a", "b"]}
    assert env.index_urls == ["https://example.invalid/cu126"]
    assert {n: str(r.specifier) for n, r in env.requirements.items()} == {
        "torch": "==2.14.*",
        "nvidia-cudnn-cu12": "<10,>=9.3",
    }
    assert Version("2.14.1") in env.requirements["torch"].specifier

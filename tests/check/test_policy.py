"""Loading and validating policies: discovery, every key, and exact messages for bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.check.policy import (
    HealthLimits,
    NamePattern,
    Policy,
    explain_policy,
    find_policy,
    load_policy,
    parse_policy,
)
from dlenv.errors import DlenvError, ExitCode

FULL = """\
[check]
min_gpus = 2
gpu_name = ["*A100*", "re:^NVIDIA H(100|200)"]
min_gpu_memory_gib = 39.5
min_compute_capability = "8.0"
driver = ">=535.104.05,<600"
driver_cuda = ">=12.2"
cuda = ">=12.1"
cudnn = ">=8.9"
python = ">=3.10,<3.13"
gpu_frameworks = ["torch", "tensorflow"]
tensorflow_memory_growth = true
ignore = ["DL701"]
fail_on_warnings = ["DL702"]

[check.frameworks]
torch = ">=2.3"
tensorflow = "~=2.16.0"

[check.health]
max_temperature_c = 85
max_ecc_uncorrectable = 0
max_retired_pages = 0
max_processes = 0
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_every_key_is_read(tmp_path: Path) -> None:
    path = write(tmp_path / "dlenv.toml", FULL)
    assert load_policy(path) == Policy(
        source=str(path),
        table="check",
        min_gpus=2,
        gpu_name=(NamePattern("*A100*"), NamePattern("re:^NVIDIA H(100|200)")),
        min_gpu_memory_gib=39.5,
        min_compute_capability="8.0",
        driver=">=535.104.05,<600",
        driver_cuda=">=12.2",
        cuda=">=12.1",
        cudnn=">=8.9",
        python=">=3.10,<3.13",
        frameworks={"torch": ">=2.3", "tensorflow": "~=2.16.0"},
        gpu_frameworks=("torch", "tensorflow"),
        tensorflow_memory_growth=True,
        health=HealthLimits(
            max_temperature_c=85, max_ecc_uncorrectable=0, max_retired_pages=0, max_processes=0
        ),
        ignore=("DL701",),
        fail_on_warnings=("DL702",),
    )


def test_name_patterns_glob_and_regex() -> None:
    assert NamePattern("*a100*").matches("NVIDIA A100-SXM4-80GB")
    assert not NamePattern("A100").matches("NVIDIA A100-SXM4-80GB")  # a glob matches the whole name
    assert NamePattern("re:h100").matches("NVIDIA H100 80GB HBM3")  # a regex is searched
    assert not NamePattern("re:^H100").matches("NVIDIA H100 80GB HBM3")


def test_found_from_a_subdirectory_dlenv_toml_before_pyproject(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.dlenv.check]\npython = ">=3.9"\n')
    write(tmp_path / "dlenv.toml", '[check]\npython = ">=3.10"\n')
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_policy(deep) == tmp_path / "dlenv.toml"
    assert load_policy(cwd=deep).python == ">=3.10"


def test_pyproject_without_the_table_is_passed_over(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.dlenv.check]\nmin_gpus = 1\n")
    write(tmp_path / "pkg" / "pyproject.toml", '[project]\nname = "x"\n')
    write(tmp_path / "pkg" / "dlenv.toml", "[doctor]\n")  # no [check]: not a policy either
    policy = load_policy(cwd=tmp_path / "pkg")
    assert (policy.source, policy.table, policy.min_gpus) == (
        str(tmp_path / "pyproject.toml"),
        "tool.dlenv.check",
        1,
    )


def test_no_policy_anywhere(tmp_path: Path) -> None:
    with pytest.raises(DlenvError) as err:
        load_policy(cwd=tmp_path)
    assert err.value.code == ExitCode.USAGE
    assert err.value.message == (
        f"no policy found: no dlenv.toml with a [check] table or pyproject.toml with "
        f"[tool.dlenv.check] in {tmp_path.resolve()} or above; write one or pass --policy FILE"
    )


def error(tmp_path: Path, text: str, name: str = "dlenv.toml") -> str:
    path = write(tmp_path / name, text)
    with pytest.raises(DlenvError) as err:
        load_policy(path)
    assert err.value.code == ExitCode.USAGE
    return err.value.message.replace(str(path), name)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[check]\nmin_gpu = 1\n",
            'dlenv.toml: check.min_gpu: unknown key (did you mean "min_gpus"?); known keys: '
            "min_gpus, gpu_name, min_gpu_memory_gib, min_compute_capability, driver, "
            "driver_cuda, cuda, cudnn, python, frameworks, gpu_frameworks, "
            "tensorflow_memory_growth, health, ignore, fail_on_warnings, smoke",
        ),
        (
            '[check]\ndriver = ">= 535 beta"\n',
            "dlenv.toml: check.driver: expected PEP 440 version specifiers such as "
            '">=2.3" or ">=2.3,<2.6", got \'>= 535 beta\' (string)',
        ),
        (
            '[check]\nmin_gpus = "two"\n',
            "dlenv.toml: check.min_gpus: expected a whole number >= 0, got 'two' (string)",
        ),
        (
            "[check]\nmin_gpus = -1\n",
            "dlenv.toml: check.min_gpus: expected a whole number >= 0, got -1 (integer)",
        ),
        (
            "[check]\nmin_gpus = true\n",
            "dlenv.toml: check.min_gpus: expected a whole number >= 0, got True (boolean)",
        ),
        (
            "[check]\npython = 3.10\n",
            'dlenv.toml: check.python: expected a version specifier string such as ">=2.3", '
            "got 3.1 (number)",
        ),
        (
            "[check]\nmin_compute_capability = 8.0\n",
            'dlenv.toml: check.min_compute_capability: expected a string "MAJOR.MINOR" such as '
            '"8.0", got 8.0 (number)',
        ),
        (
            '[check]\ngpu_frameworks = ["pytorch"]\n',
            "dlenv.toml: check.gpu_frameworks: expected framework names (torch, tensorflow, "
            "keras, jax, tf-keras), got 'pytorch' (string)",
        ),
        (
            '[check]\ngpu_frameworks = "torch"\n',
            "dlenv.toml: check.gpu_frameworks: expected an array of framework names (torch, "
            "tensorflow, keras, jax, tf-keras), got 'torch' (string)",
        ),
        (
            '[check]\ngpu_name = "re:A100("\n',
            "dlenv.toml: check.gpu_name: expected non-empty GPU name patterns (a glob such as "
            '"*A100*", or "re:REGEX"), got \'re:A100(\' (string)',
        ),
        (
            '[check]\nignore = ["701"]\n',
            "dlenv.toml: check.ignore: expected rule codes such as \"DL701\", got '701' (string)",
        ),
        (
            "[check]\ntensorflow_memory_growth = 1\n",
            "dlenv.toml: check.tensorflow_memory_growth: expected true or false, got 1 (integer)",
        ),
        (
            '[check.frameworks]\npytorch = ">=2"\n',
            'dlenv.toml: check.frameworks.pytorch: unknown key (did you mean "torch"?); known '
            "keys: torch, tensorflow, keras, jax, tf-keras",
        ),
        (
            '[check.frameworks]\ntorch = "2.3"\n',
            "dlenv.toml: check.frameworks.torch: expected PEP 440 version specifiers such as "
            '">=2.3" or ">=2.3,<2.6", got \'2.3\' (string)',
        ),
        (
            "[check.health]\nmax_temp = 80\n",
            "dlenv.toml: check.health.max_temp: unknown key (did you mean "
            '"max_temperature_c"?); known keys: max_temperature_c, '
            "max_ecc_uncorrectable, max_retired_pages, max_processes",
        ),
        (
            "[check]\nhealth = 5\n",
            "dlenv.toml: check.health: expected a table, got 5 (integer)",
        ),
        ("check = 1\n", "dlenv.toml: check: expected a table, got integer"),
        (
            "[check]\nmin_gpus = \n",
            "dlenv.toml: not valid TOML: Invalid value (at line 2, column 12)",
        ),
        ("[doctor]\n", "dlenv.toml: no [check] table"),
    ],
)
def test_malformed_policies(tmp_path: Path, text: str, message: str) -> None:
    assert error(tmp_path, text) == message


def test_malformed_pyproject_names_the_tool_table(tmp_path: Path) -> None:
    assert error(tmp_path, "[tool.dlenv.check]\ncuda = 12\n", "pyproject.toml") == (
        "pyproject.toml: tool.dlenv.check.cuda: expected a version specifier string such as "
        '">=2.3", got 12 (integer)'
    )
    assert error(tmp_path, "[tool.ruff]\n", "pyproject.toml") == (
        "pyproject.toml: no [tool.dlenv.check] table"
    )


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(DlenvError, match=r"nope\.toml: policy file not found$"):
        load_policy(tmp_path / "nope.toml")
    bad = tmp_path / "bin.toml"
    bad.write_bytes(b"\xff\xfe[check]")
    with pytest.raises(DlenvError, match=r"bin\.toml: not a UTF-8 text file$"):
        load_policy(bad)


def test_explain_policy_says_what_was_understood(tmp_path: Path) -> None:
    path = write(tmp_path / "dlenv.toml", FULL)
    assert explain_policy(load_policy(path)) == (
        f"Policy from {path} [check]:\n"
        "  min_gpus: at least 2 visible GPU(s)\n"
        "  gpu_name: every GPU's name matches glob '*A100*', regex '^NVIDIA H(100|200)' "
        "(case-insensitive)\n"
        "  min_gpu_memory_gib: every GPU has at least 39.5 GiB\n"
        "  min_compute_capability: every GPU is at least 8.0\n"
        "  driver: NVIDIA driver >=535.104.05,<600\n"
        "  driver_cuda: highest CUDA the driver supports >=12.2\n"
        "  cuda: a CUDA toolkit >=12.1\n"
        "  cudnn: a cuDNN install >=8.9\n"
        "  python: Python >=3.10,<3.13\n"
        "  frameworks.torch: torch >=2.3\n"
        "  frameworks.tensorflow: tensorflow ~=2.16.0\n"
        "  gpu_frameworks: torch sees a GPU and computes on it (live probe)\n"
        "  gpu_frameworks: tensorflow sees a GPU and computes on it (live probe)\n"
        "  tensorflow_memory_growth: TensorFlow allocates GPU memory on demand\n"
        "  health.max_temperature_c: every GPU at most 85 °C\n"
        "  health.max_ecc_uncorrectable: every GPU at most 0 uncorrectable ECC error(s)\n"
        "  health.max_retired_pages: every GPU at most 0 retired page(s)\n"
        "  health.max_processes: every GPU used by at most 0 other process(es)\n"
        "  ignore: findings DL701 never fail the check\n"
        "  fail_on_warnings: warnings DL702 fail the check\n"
        "  findings: every error, and the warnings above, fails the check\n"
    )


def test_explain_an_empty_policy() -> None:
    assert explain_policy(parse_policy({}, "p.toml")) == (
        "Policy from p.toml [check]:\n"
        "  (no requirements: only the doctor's findings are checked)\n"
        "  findings: every error fails the check\n"
    )


def test_fail_on_warnings_true() -> None:
    assert parse_policy({"fail_on_warnings": True}).fail_on_warnings is True

"""collect_env: which variables are kept, and that secrets never leave the machine."""

from __future__ import annotations

import pytest

from dlenv.probes.envvars import collect_env, is_secret_name, redact_value
from dlenv.snapshot.model import EnvVar
from dlenv.system.fake import FakeSystem


def test_relevant_variables_sorted_with_secrets_redacted() -> None:
    system = FakeSystem(
        env_vars={
            "PATH": "/usr/local/cuda/bin:/usr/bin:/bin",
            "HOME": "/home/user",
            "EDITOR": "vim",
            "CUDA_VISIBLE_DEVICES": "0,1",
            "LD_LIBRARY_PATH": "/usr/local/cuda/lib64",
            "HF_TOKEN": "hf_abcdefghijklmnop",
            "HF_HOME": "/data/hf",
            "WANDB_API_KEY": "0123456789abcdef",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
            "PIP_EXTRA_INDEX_URL": "https://build:s3cr3t@pypi.internal/simple",
            "NCCL_DEBUG": "INFO",
            "OMP_NUM_THREADS": "8",
            "CUBLAS_WORKSPACE_CONFIG": ":4096:8",
            "PYTHONNOUSERSITE": "1",
            "AWS_SECRET_ACCESS_KEY": "nope",
            "KERAS_BACKEND": "jax",
        }
    )
    assert collect_env(system) == [
        EnvVar("CUBLAS_WORKSPACE_CONFIG", ":4096:8"),
        EnvVar("CUDA_VISIBLE_DEVICES", "0,1"),
        EnvVar("HF_HOME", "/data/hf"),
        EnvVar("HF_TOKEN", "<redacted>", redacted=True),
        EnvVar("KERAS_BACKEND", "jax"),
        EnvVar("LD_LIBRARY_PATH", "/usr/local/cuda/lib64"),
        EnvVar("NCCL_DEBUG", "INFO"),
        EnvVar("OMP_NUM_THREADS", "8"),
        EnvVar("PATH", "/usr/local/cuda/bin:/usr/bin:/bin"),
        EnvVar("PIP_EXTRA_INDEX_URL", "https://<redacted>@pypi.internal/simple", redacted=True),
        EnvVar("PYTHONNOUSERSITE", "1"),
        EnvVar("TF_CPP_MIN_LOG_LEVEL", "2"),
        EnvVar("WANDB_API_KEY", "<redacted>", redacted=True),
        EnvVar("XLA_PYTHON_CLIENT_PREALLOCATE", "false"),
    ]


@pytest.mark.parametrize(
    "name",
    [
        "HF_TOKEN",
        "HUGGING_FACE_HUB_TOKEN",
        "WANDB_API_KEY",
        "AWS_SECRET_ACCESS_KEY",
        "NGC_API_KEY",
        "OPENAI_APIKEY",
        "DB_PASSWORD",
        "MYSQL_PASSWD",
        "GITHUB_TOKEN",
        "KAGGLE_KEY",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "HTTP_AUTH",
        "hf_token",
        "SESSION_TOKEN_X",
        "MYSECRETVALUE",
    ],
)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "PATH",
        "PWD",
        "OLDPWD",
        "KEYBOARD_LAYOUT",
        "XAUTHORITY",
        "HF_HOME",
        "TF_CPP_MIN_LOG_LEVEL",
        "CUDA_VISIBLE_DEVICES",
        "MONKEYPATCH",
    ],
)
def test_not_secret_names(name: str) -> None:
    assert not is_secret_name(name)


@pytest.mark.parametrize(
    ("value", "redacted"),
    [
        ("https://user:pass@host/simple", "https://<redacted>@host/simple"),
        ("https://ghp_abc@github.com/org/repo.git", "https://<redacted>@github.com/org/repo.git"),
        (
            "https://a.org/simple https://u:p@b.org/x",
            "https://a.org/simple https://<redacted>@b.org/x",
        ),
        ("https://h/x?token=abc&page=2", "https://h/x?token=<redacted>&page=2"),
        ("https://h/x?X-Amz-Signature=ff&a=1", "https://h/x?X-Amz-Signature=<redacted>&a=1"),
        ("https://download.pytorch.org/whl/cu121", "https://download.pytorch.org/whl/cu121"),
        ("user@host:/path", "user@host:/path"),
        ("/usr/local/cuda/lib64:/opt/lib", "/usr/local/cuda/lib64:/opt/lib"),
        ("--xla_gpu_autotune_level=2", "--xla_gpu_autotune_level=2"),
    ],
)
def test_redact_value(value: str, redacted: str) -> None:
    assert redact_value(value) == redacted


def test_secret_values_never_appear_anywhere_in_the_output() -> None:
    secret = "hf_verysecretvalue123"
    system = FakeSystem(
        env_vars={
            "HF_TOKEN": secret,
            "PYTHONPATH": f"https://me:{secret}@example.org",
            "TF_FORCE_GPU_ALLOW_GROWTH": "true",
        }
    )
    assert secret not in repr(collect_env(system))


def test_terraform_variables_sharing_the_tf_prefix_are_not_collected() -> None:
    from dlenv.probes.envvars import is_relevant_name

    assert not is_relevant_name("TF_CLI_CONFIG_FILE")
    assert not is_relevant_name("TF_VAR_region")
    assert not is_relevant_name("TF_TOKEN_app_terraform_io")
    assert is_relevant_name("TF_FORCE_GPU_ALLOW_GROWTH")
    assert is_relevant_name("TF_CPP_MIN_LOG_LEVEL")

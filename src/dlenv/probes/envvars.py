"""The environment variables that change how CUDA, Python and the frameworks behave, redacted.

Values of variables whose names look like secrets are replaced by "<redacted>", and credentials
inside URLs (https://user:token@host, ?token=...) are removed from every value, so a snapshot can be
shared as it is. `is_secret_name` and `redact_value` are the one place that decides this.
"""

from __future__ import annotations

import re

from dlenv.snapshot.model import EnvVar
from dlenv.system.base import System

REDACTED = "<redacted>"

_EXACT = frozenset(
    {
        "PATH",
        "LD_LIBRARY_PATH",
        "LD_PRELOAD",
        "DYLD_LIBRARY_PATH",
        "VIRTUAL_ENV",
        "CUBLAS_WORKSPACE_CONFIG",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "ROCM_PATH",
        "HIP_VISIBLE_DEVICES",
        "ROCR_VISIBLE_DEVICES",
        "GPU_DEVICE_ORDINAL",
        "HSA_OVERRIDE_GFX_VERSION",
        "SLURM_JOB_GPUS",
        "SLURM_STEP_GPUS",
        "PIP_INDEX_URL",
        "PIP_EXTRA_INDEX_URL",
        "PIP_FIND_LINKS",
        "UV_INDEX_URL",
        "UV_EXTRA_INDEX_URL",
        "UV_INDEX",
        "UV_DEFAULT_INDEX",
        "UV_TORCH_BACKEND",
        "WANDB_API_KEY",
        # torch.distributed's env:// rendezvous, set by torchrun and other launchers
        "MASTER_ADDR",
        "MASTER_PORT",
        "WORLD_SIZE",
        "RANK",
    }
)
_PREFIXES = (
    "CUDA_",
    "CUDNN_",
    "CUBLAS",
    "CUPY_",
    "PYTHON",
    "CONDA_",
    "TF_",
    "XLA_",
    "JAX_",
    "PYTORCH_",
    "TORCH_",
    "TORCHINDUCTOR_",
    "KERAS_",
    "NCCL_",
    "NVIDIA_",
    "HF_",
    "TRANSFORMERS_",
)

# Whole words of a variable name that mark its value as a secret: HF_TOKEN, WANDB_API_KEY,
# AWS_SECRET_ACCESS_KEY, DB_PASSWD. Whole words, so that KEYBOARD or XAUTHORITY stay visible.
_SECRET_WORDS = frozenset(
    {
        "TOKEN",
        "TOKENS",
        "KEY",
        "KEYS",
        "APIKEY",
        "SECRET",
        "SECRETS",
        "PASSWORD",
        "PASSWD",
        "PASS",
        "PWD",
        "CREDENTIAL",
        "CREDENTIALS",
        "CREDS",
        "AUTH",
        "PRIVATE",
        "SESSION",
        "COOKIE",
        "SIGNATURE",
    }
)
_SECRET_PARTS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "APIKEY")
_NOT_SECRET = frozenset({"PWD", "OLDPWD"})  # the working directory, not a password

# userinfo of a URL: scheme://user:password@host or scheme://token@host. It ends at the LAST
# `@` before the host (the first `/`, `?`, `#` or blank): a password may hold a raw `@`
# (https://bob:p@ssw0rd@host), and stopping at the first one would show the rest of it.
_URL_USERINFO = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]{0,31}://)[^/\s?#]{0,4096}@"
)
# secret-looking query parameters: ?token=..., &api_key=..., &sig=...
_QUERY_SECRET = re.compile(
    r"(?P<key>[?&;][A-Za-z0-9_\-]*(?:token|key|secret|password|passwd|sig|signature|auth)"
    r"[A-Za-z0-9_\-]*=)[^&;#\s]+",
    re.IGNORECASE,
)


def is_secret_name(name: str) -> bool:
    """Whether a variable's name says its value is a secret (HF_TOKEN, WANDB_API_KEY…)."""
    upper = name.upper()
    if upper in _NOT_SECRET:
        return False
    words = [w for w in re.split(r"[^A-Z0-9]+", upper) if w]
    if any(w in _SECRET_WORDS for w in words):
        return True
    return any(part in upper for part in _SECRET_PARTS)


def redact_value(value: str) -> str:
    """`value` with credentials inside URLs replaced by "<redacted>"."""
    if "://" not in value and "=" not in value:
        return value
    value = _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", value)
    return _QUERY_SECRET.sub(lambda m: f"{m.group('key')}{REDACTED}", value)


# Terraform shares TensorFlow's TF_ prefix; its variables say nothing about a DL stack
_TERRAFORM = (
    "TF_CLI_",
    "TF_VAR_",
    "TF_TOKEN_",
    "TF_REGISTRY_",
    "TF_LOG",
    "TF_INPUT",
    "TF_DATA_DIR",
    "TF_WORKSPACE",
    "TF_IN_AUTOMATION",
    "TF_PLUGIN_CACHE",
    "TF_IGNORE",
    "TF_STATE_PERSIST_INTERVAL",
)


def is_relevant_name(name: str) -> bool:
    if name.startswith(_TERRAFORM):
        return False
    return name in _EXACT or name.startswith(_PREFIXES)


def redacted_var(name: str, value: str) -> EnvVar:
    if is_secret_name(name):
        return EnvVar(name=name, value=REDACTED, redacted=True)
    clean = redact_value(value)
    return EnvVar(name=name, value=clean, redacted=clean != value)


def collect_env(system: System) -> list[EnvVar]:
    """The relevant environment variables, sorted by name, secrets redacted."""
    env = system.env
    return [redacted_var(name, env[name]) for name in sorted(env) if is_relevant_name(name)]

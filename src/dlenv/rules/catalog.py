"""Imports every rule module so that their rules register; add new areas here."""

from dlenv.rules import (
    binaries,
    cuda,
    distributed,
    driver,
    frameworks,
    gpu,
    gpu_support,
    horizon,
    keras,
    memory,
    python,
    reported,
    smoke,
)

__all__ = [
    "binaries",
    "cuda",
    "distributed",
    "driver",
    "frameworks",
    "gpu",
    "gpu_support",
    "horizon",
    "keras",
    "memory",
    "python",
    "reported",
    "smoke",
]

"""Imports every rule module so that their rules register; add new areas here."""

from dlenv.rules import (
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

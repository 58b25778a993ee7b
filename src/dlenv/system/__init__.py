"""The one seam through which dlenv reaches the machine.

Probes read files, environment variables and command output, and ask NVML, only through a
`System`. `RealSystem` talks to this machine; `FakeSystem` (in `dlenv.system.fake`) describes a
whole machine as data, so that every probe can be tested without a GPU.
"""

from __future__ import annotations

from dlenv.system.base import CommandResult, System
from dlenv.system.nvml import NvmlDevice, NvmlReport

__all__ = ["CommandResult", "NvmlDevice", "NvmlReport", "System"]

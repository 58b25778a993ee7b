"""NVIDIA kernel modules on disk for the running kernel, what DKMS has built, kernel headers.

Read from the filesystem alone (no `dkms status`, no `modinfo`): /lib/modules/<kernel> and
/var/lib/dkms/<module>/<version>/<kernel>/<arch>/module, the tree `dkms build` fills.
"""

from __future__ import annotations

import os
import posixpath

from dlenv.snapshot.model import DkmsBuild, DkmsFacts
from dlenv.system.base import System

DKMS_TREE = "/var/lib/dkms"
# Where the NVIDIA module of a kernel lies: DKMS installs into updates/dkms (Debian, Ubuntu,
# Fedora's akmods and RHEL's kmod packages use extra/), Ubuntu's prebuilt linux-modules-nvidia
# packages into kernel/drivers/video; NVIDIA's .run installer into kernel/drivers/video too.
MODULE_GLOBS = (
    "updates/dkms/nvidia*.ko*",
    "kernel/drivers/video/nvidia*.ko*",
    "extra/nvidia*",
    "extra/*/nvidia*.ko*",
)


def collect_dkms(system: System, kernel: str | None) -> DkmsFacts:
    """NVIDIA module files for `kernel` (the running one), DKMS builds and the headers."""
    unknown: dict[str, str] = {}
    if not system.platform.startswith("linux"):
        reason = f"kernel modules are read on Linux only (this is {system.platform})"
        unknown.update(module_files=reason, builds=reason, headers=reason)
        return DkmsFacts(unknown=unknown)
    builds = _dkms_builds(system, unknown)
    if kernel is None:
        reason = "the running kernel is not known"
        unknown.update(module_files=reason, headers=reason)
        return DkmsFacts(builds=builds, unknown=unknown)
    base = f"/lib/modules/{kernel}"
    module_files: list[str] | None = None
    headers: bool | None = None
    headers_path: str | None = None
    if not system.is_dir(base):
        reason = f"{base} absent (as in a container or under WSL: the kernel is the host's)"
        unknown.update(module_files=reason, headers=reason)
    elif not system.access(base, os.R_OK | os.X_OK):
        reason = f"{base} not readable"
        unknown.update(module_files=reason, headers=reason)
    else:
        found: set[str] = set()
        for pattern in MODULE_GLOBS:
            found.update(p for p in system.glob(f"{base}/{pattern}") if not system.is_dir(p))
        module_files = sorted(found)
        build = f"{base}/build"
        headers = system.is_dir(build)
        if headers:
            headers_path = system.realpath(build)
        elif system.exists(build):
            headers_path = system.readlink(build)  # a dangling link: where it pointed
    return DkmsFacts(
        kernel=kernel,
        module_files=module_files,
        builds=builds,
        headers=headers,
        headers_path=headers_path,
        unknown=unknown,
    )


def _dkms_builds(system: System, unknown: dict[str, str]) -> list[DkmsBuild] | None:
    """Every <module>/<version>/<kernel>/<arch> under /var/lib/dkms with a built module."""
    if not system.is_dir(DKMS_TREE):
        return []  # no DKMS on this machine
    if not system.access(DKMS_TREE, os.R_OK | os.X_OK):
        unknown["builds"] = f"{DKMS_TREE} not readable"
        return None
    builds: list[DkmsBuild] = []
    for module in system.listdir(DKMS_TREE):
        if not module.startswith("nvidia"):
            continue
        module_dir = posixpath.join(DKMS_TREE, module)
        for version in system.listdir(module_dir):
            version_dir = posixpath.join(module_dir, version)
            if version == "source" or system.readlink(version_dir) is not None:
                continue  # "source" and "kernel-<k>-<arch>" are links back into the tree
            for kernel in system.listdir(version_dir):
                if kernel in ("build", "source"):
                    continue  # the build directory and the link to /usr/src
                for arch in system.listdir(posixpath.join(version_dir, kernel)):
                    if system.listdir(posixpath.join(version_dir, kernel, arch, "module")):
                        builds.append(DkmsBuild(module, version, kernel, arch))
    return builds

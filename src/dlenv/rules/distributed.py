"""Rules about distributed training: /dev/shm, GPU peer-to-peer, the network between ranks, and
ranks that disagree. Codes DL8xx.

They judge the host facts the probes read (`host.shm_*`, `host.iommu_*`, `gpu_links`, the
launcher's environment variables) and, in a paste, the NCCL/Gloo/torch.distributed messages of
the catalogue's nccl.toml. The generic "NCCL error … unhandled system error" names these rules
as candidates; whichever has facts decides, and every fix starts with NCCL_DEBUG=INFO.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from dlenv.fix.actions import Action, ManualStep, SetEnv
from dlenv.rules.derived import answered_gpus
from dlenv.rules.findings import Evidence, Finding, first_line
from dlenv.rules.registry import finding, rule
from dlenv.snapshot.model import GpuLink, ReportedError, Snapshot

GIB = 1024**3
MIB = 1024**2
SHM_ENOUGH = GIB  # below this a container's /dev/shm is Docker's default or close to it

DEBUG = SetEnv(
    name="NCCL_DEBUG",
    value="INFO",
    reason="NCCL then logs the transport, interface and shared-memory set-up it chose",
)


def _said(s: Snapshot, *signatures: str) -> list[ReportedError]:
    """The quoted messages of these catalogue signatures, in the catalogue's order."""
    return [e for e in s.reported_errors if e.signature in signatures]


def _quoted(errors: list[ReportedError]) -> list[Evidence]:
    return [
        Evidence(fact=f"reported_errors.{e.signature}", found=first_line(e.text, 200))
        for e in errors
    ]


# -- DL801 -------------------------------------------------------------------------------------
SHM_MESSAGES = (
    "dataloader-shm-bus-error",
    "torch-shm-no-space",
    "nccl-shm-failed",
    "nccl-shm-disable-helps",
)


# the reporter's own words (prose-distributed.toml): shared memory named as what ran out, or a
# larger /dev/shm that made it work; a bus error with a container or num_workers=0 as context
SHM_SAID = ("said-shm-exhausted", "said-shm-fix-works")
BUS_SAID = "said-bus-error"
SHM_CONTEXT = ("said-in-container", "said-num-workers-zero-works")


def _shm_said(s: Snapshot) -> list[ReportedError]:
    """What the reporter says that points at /dev/shm: the statement itself, or a bus error
    together with a container (Docker's 64 MiB) or num_workers=0 working; or NCCL's system
    error on one machine with several GPUs (_system_error_on_one_machine). Else nothing."""
    named = _said(s, *SHM_SAID)
    if named:
        return named[:2]
    bus, context = _said(s, BUS_SAID), _said(s, *SHM_CONTEXT)
    if bus and context:
        return bus[:1] + context[:1]
    return _system_error_on_one_machine(s)


# NCCL's failed system call: on one machine, its shared-memory segments (a peer that exited,
# ncclRemoteError, says nothing of them)
_NCCL_SYSTEM = re.compile(r"unhandled system error|ncclSystemError")


def _system_error_on_one_machine(s: Snapshot) -> list[ReportedError]:
    """NCCL's "unhandled system error" in a job of several GPUs that the report does not say
    spans machines (across machines the call that fails is the socket, DL803): between the
    GPUs of one machine NCCL's system calls are its shared-memory segments in /dev/shm, which
    grow with the number of ranks (two GPUs pass, eight fail). Not where /dev/shm is known to
    be large."""
    system = [e for e in _said(s, "nccl-error-generic") if _NCCL_SYSTEM.search(e.text)]
    several = _said(s, SEVERAL_GPUS, "said-in-container")
    if not system or not several or _said(s, MULTI_NODE, "said-multi-machine"):
        return []
    total = s.host.shm_total_bytes
    if total is not None and total >= SHM_ENOUGH:
        return []
    return system[:1] + several[:1]


def _shm_fixes(container: str | None) -> list[Action]:
    k8s = container == "kubernetes"
    docker = ManualStep(
        text="Give the container a larger /dev/shm (Docker's default is 64 MiB): start it "
        "with --shm-size (or share the host's IPC namespace with --ipc=host); in Docker "
        "Compose set `shm_size: 16gb`.",
        commands=[
            "docker run --shm-size=16g ...   # or: docker run --ipc=host ...",
            "df -h /dev/shm   # inside the container: check the new size",
        ],
        url="https://docs.docker.com/reference/cli/docker/container/run/#ipc",
    )
    kube = ManualStep(
        text="On Kubernetes mount a memory-backed emptyDir at /dev/shm in the pod spec.",
        commands=[
            "volumes: [{name: dshm, emptyDir: {medium: Memory, sizeLimit: 16Gi}}]",
            "volumeMounts: [{name: dshm, mountPath: /dev/shm}]",
        ],
        url="https://kubernetes.io/docs/concepts/storage/volumes/#emptydir",
    )
    fallback = ManualStep(
        text="Where the size cannot be changed: load data in the main process "
        "(`DataLoader(..., num_workers=0)`), or let NCCL skip shared memory "
        "(NCCL_SHM_DISABLE=1, slower).",
        commands=["export NCCL_SHM_DISABLE=1"],
    )
    return [kube, docker, fallback] if k8s else [docker, kube, fallback]


@rule("DL801", "shared-memory-too-small", "warning", "distributed")
def shared_memory_too_small(s: Snapshot) -> Iterator[Finding]:
    """What it checks: /dev/shm inside a container smaller than 1 GiB (Docker gives 64 MiB
    unless told otherwise); in a pasted log, the messages that say shared memory ran out:
    "DataLoader worker (pid X) is killed by signal: Bus error", "unable to write to file
    </torch_…>: No space left on device", NCCL's "Call to posix_fallocate failed" / "Error
    while creating shared memory segment".

    In the reporter's own words, as a warning: shared memory named as what ran out
    ("insufficient shared memory", "Docker's default /dev/shm limit"), a larger /dev/shm that
    made it work ("increasing --shm-size fixed it"), or a bus error together with a container
    or with num_workers=0 working. Also as a warning: NCCL's "unhandled system error"
    (ncclSystemError) in a job of several GPUs, or in a container, that the report does not
    say spans machines (on one machine NCCL's system calls are its /dev/shm segments; across
    machines it is the socket, DL803).

    Why it matters: PyTorch's DataLoader workers hand every batch to the main process through
    /dev/shm, and NCCL puts its intra-node buffers there; when it is full the worker dies with
    SIGBUS or NCCL fails with "unhandled system error". A warning from the size alone (a job
    with num_workers=0 on one GPU never notices), an error when a paste shows the failure.

    Example: `docker run --gpus all pytorch/pytorch python train.py` with
    `DataLoader(num_workers=8)`: the first epoch dies with "Bus error".

    Fix: `docker run --shm-size=16g` (or `--ipc=host`); on Kubernetes an `emptyDir: {medium:
    Memory}` volume mounted at /dev/shm; where neither is possible, `num_workers=0` or
    NCCL_SHM_DISABLE=1.
    """
    said = _said(s, *SHM_MESSAGES)
    total, free = s.host.shm_total_bytes, s.host.shm_free_bytes
    small = s.host.container is not None and total is not None and total < SHM_ENOUGH
    stated = [] if said or small else _shm_said(s)
    if not said and not small and not stated:
        return
    evidence = _quoted(said or stated)
    if total is not None:
        evidence.append(
            Evidence(
                fact="host.shm_total_bytes",
                found=f"{total / MIB:.0f} MiB"
                + (f" ({free / MIB:.0f} MiB free)" if free is not None else ""),
                needed=">= 1 GiB (several GiB for DataLoader workers)",
                note=f"inside a {s.host.container} container" if s.host.container else None,
            )
        )
    where = f"/dev/shm is {total / MIB:.0f} MiB" if total is not None else "/dev/shm is full"
    yield finding(
        "DL801",
        title=f"Shared memory is too small for DataLoader workers and NCCL ({where})",
        message=(
            "The log shows shared memory (/dev/shm) running out"
            if said
            else "NCCL failed a system call in a job of several GPUs on one machine, where its "
            "calls are the shared-memory segments it makes in /dev/shm (they grow with the "
            "number of ranks): /dev/shm is probably too small"
            if stated and stated[0].signature == "nccl-error-generic"
            else "The report says shared memory ran out (or a bus error in a container or with "
            "DataLoader workers): /dev/shm is probably too small"
            if stated
            else f"This {s.host.container} container's {where}"
        )
        + ": DataLoader workers die with a bus error and NCCL cannot create its segments. "
        "Docker gives containers 64 MiB unless --shm-size or --ipc=host says otherwise.",
        severity="error" if said else "warning",
        evidence=evidence,
        hint="Check the size with `df -h /dev/shm` inside the container.",
        fixes=_shm_fixes(s.host.container),
        subject="shm",
    )


# -- DL802 -------------------------------------------------------------------------------------
P2P_FAILURES = (
    "cuda-peer-access-unsupported",
    "nccl-p2p-disable-helps",
    "iommu-off-helps",
    "accelerate-rtx4000-no-p2p",
    "said-p2p-off-works",  # the reporter: "if p2p disabled, things all going well"
    "nccl-p2p-peer-failed",  # NCCL's own: "failed to peer with device", NVLink P2P disabled
)
# pairs of GPUs that cannot reach each other directly: with a hang, the cause
NO_PEER_PATH = ("p2p-cannot-access-peer", "nccl-p2p-not-enabled")
# several GPUs of one machine hang where one GPU runs: the first collective is a peer-to-peer one
ONE_MACHINE_HANG = "multi-gpu-hang"
# the reporter's words (prose-distributed.toml): P2P off works (in any language), a warning
P2P_OFF_SAID = "said-p2p-disabled-works"
IOMMU_SAID = "said-iommu-acs-on"  # the IOMMU or ACS is on: with a hang, the suspect
IOMMU_OFF_SAID = "said-iommu-acs-off-works"  # the IOMMU/ACS off (or iommu=pt) made P2P work
# collectives that never return: NCCL hangs in prose, PyTorch's watchdog timeout
HANGS = ("nccl-hang", "nccl-watchdog-timeout")
# the reporter's own words, weighed together: a hang, on several GPUs, of one machine (nccl.toml)
HANG_STATED = "hang-stated"
SEVERAL_GPUS = "several-gpus-stated"
MULTI_NODE = "multi-node-stated"
MULTI_NODES = (MULTI_NODE, "said-multi-machine")  # the same, in prose-distributed.toml's words
SWITCHED = ("PIX", "PXB")  # the pair shares a PCIe switch: P2P is expected to work there
_IOMMU_OFF = ("iommu=pt", "iommu=off", "intel_iommu=off", "amd_iommu=off")


def _iommu_translating(s: Snapshot) -> str | None:
    """Why the IOMMU is in translation mode (it redirects peer-to-peer traffic), or None."""
    flags = s.host.iommu_cmdline or []
    if any(f in _IOMMU_OFF for f in flags):
        return None
    if "intel_iommu=on" in flags or "amd_iommu=on" in flags:
        return f"the kernel command line says {' '.join(flags)} without iommu=pt"
    if s.host.iommu_units:
        return f"IOMMU units are active ({', '.join(s.host.iommu_units[:4])}) without iommu=pt"
    return None


def _blocked_links(s: Snapshot) -> list[GpuLink]:
    return [
        link
        for link in s.gpu_links
        if link.path in SWITCHED
        and any(v not in (None, "ok") for v in (link.p2p_read, link.p2p_write))
    ]


def _p2p_fixes() -> list[Action]:
    return [
        SetEnv(
            name="NCCL_P2P_DISABLE",
            value="1",
            reason="NCCL then copies through host memory instead of peer-to-peer (slower, "
            "but it does not hang)",
        ),
        ManualStep(
            text="To keep peer-to-peer speed: put the IOMMU in pass-through mode (add iommu=pt "
            "to the kernel command line) or disable VT-d/IOMMU, and disable PCIe ACS in the "
            "BIOS or on the PCIe switches; then check with CUDA's p2pBandwidthLatencyTest "
            "or nccl-tests.",
            commands=[
                "cat /proc/cmdline",
                "nvidia-smi topo -m && nvidia-smi topo -p2p r",
                "sudo sed -i 's/^GRUB_CMDLINE_LINUX_DEFAULT=\"/&iommu=pt /' /etc/default/grub"
                " && sudo update-grub && sudo reboot",
            ],
            url="https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/troubleshooting.html"
            "#pci-access-control-services-acs",
        ),
        DEBUG,
    ]


def _hang_on_several_gpus(s: Snapshot) -> list[ReportedError]:
    """The reporter's facts together: a hang, several GPUs (said, or in a pasted table), one
    machine (no multi-node job, no network failure quoted). What a maintainer reads as P2P."""
    hang = _said(s, HANG_STATED)
    several = _said(s, SEVERAL_GPUS)
    if not hang or _said(s, *MULTI_NODES, *NETWORK_FAILURES):
        return []
    if not (several or len(s.gpus) >= 2):
        return []
    # with the IOMMU or ACS said to be on, that is the suspect (it redirects P2P traffic)
    return hang[:1] + (_said(s, IOMMU_SAID) or several)[:1]


@rule("DL802", "nccl-peer-to-peer-broken", "warning", "distributed")
def nccl_peer_to_peer_broken(s: Snapshot) -> Iterator[Finding]:
    """What it checks: on a machine with two GPUs or more, an IOMMU in translation mode
    (IOMMU units active, or intel_iommu=on, without iommu=pt), or a GPU pair behind one PCIe
    switch (PIX/PXB) whose peer-to-peer status is not "ok"; in a pasted log, "peer access is
    not supported between these two devices", NCCL's "failed to peer with device",
    accelerate's refusal on RTX 3090/4000 cards, the report that NCCL_P2P_DISABLE=1, iommu=pt
    or disabling VT-d/ACS made the hang go away, or
    training on several GPUs of one machine that hangs where one GPU runs (with no network
    failure quoted); and, weighed together, the reporter's own facts: a hang ("gets stuck",
    "freezes", "deadlock") on several GPUs ("4 RTX 3090 GPUs", "multiple 4090s", or a table
    with two GPUs or more) of one machine (no multi-node job; the IOMMU or ACS said to be on
    is quoted as the suspect), as a warning; so is P2P off said to work in other words and
    languages ("关闭P2P后正常", "desactivando P2P funciona"), and the IOMMU or ACS off (or
    iommu=pt) said to be what made it work ("in bios: IOMMU must be disabled, ACS must be
    disabled").

    Why it matters: NCCL sends data GPU to GPU over PCIe. With the IOMMU translating, or ACS
    redirecting peer traffic up to the root complex, those transfers stall or fail: all-reduce
    hangs forever, DDP freezes at the first step, or NCCL reports "unhandled system error".
    A warning from the machine's facts (many such machines run fine), an error when a paste
    shows the failure.

    Example: four GTX 1080 Ti under intel_iommu=on: all_reduce_perf hangs between GPUs linked
    through PXB; booting with intel_iommu=off fixes it.

    Fix: `export NCCL_P2P_DISABLE=1` (works at once, slower); to keep P2P speed, `iommu=pt` on
    the kernel command line, or VT-d/ACS off in the BIOS. Run with NCCL_DEBUG=INFO to see the
    transport NCCL picks.
    """
    said = _said(s, *P2P_FAILURES)
    hang = _said(s, *HANGS)
    peers = _said(s, *NO_PEER_PATH)
    if not said and peers and hang:
        said = peers + hang  # pairs that cannot reach each other, and collectives that hang
    if not said and not _said(s, *NETWORK_FAILURES):
        # one machine's GPUs hang together where one GPU runs, and nothing points at the
        # network between machines: the transfers between the GPUs are what blocks
        said = _said(s, ONE_MACHINE_HANG)
    inferred = (
        []
        if said
        else (_said(s, P2P_OFF_SAID, IOMMU_OFF_SAID)[:1] or _hang_on_several_gpus(s))
    )
    iommu = _iommu_translating(s) if len(s.gpus) >= 2 else None
    blocked = _blocked_links(s)
    if not said and not inferred and iommu is None and not blocked:
        return
    evidence = _quoted(said or inferred)
    if iommu is not None:
        evidence.append(
            Evidence(
                fact="host.iommu_cmdline" if s.host.iommu_cmdline else "host.iommu_units",
                found=iommu,
                needed="iommu=pt (pass-through) or the IOMMU off for GPU peer-to-peer",
                note=f"{len(s.gpus)} GPUs",
            )
        )
    evidence += [
        Evidence(
            fact=f"gpu_links.{link.gpu_a}-{link.gpu_b}",
            found=f"path {link.path}, p2p read {link.p2p_read}, write {link.p2p_write}",
            needed="p2p ok between GPUs behind one PCIe switch",
        )
        for link in blocked
    ]
    pairs = ", ".join(f"GPU{link.gpu_a}-GPU{link.gpu_b}" for link in blocked)
    yield finding(
        "DL802",
        title="GPU peer-to-peer transfers are broken or blocked: NCCL can hang",
        message=(
            "The log shows NCCL failing or hanging on GPU peer-to-peer transfers"
            if said
            else "A job on several GPUs of one machine hangs without an error: the first "
            "collective waits on GPU peer-to-peer transfers, which are likely blocked"
            if inferred
            else "Peer-to-peer transfers between these GPUs are likely blocked"
        )
        + (f" ({iommu})" if iommu else "")
        + (f"; {pairs} share a PCIe switch but report no working P2P" if pairs else "")
        + ". With the IOMMU translating or PCIe ACS on, all-reduce hangs or fails.",
        severity="error" if said else "warning",
        evidence=evidence,
        hint="NCCL_P2P_DISABLE=1 confirms it at once; NCCL_P2P_LEVEL=NVL keeps P2P only over "
        "NVLink.",
        fixes=_p2p_fixes(),
        subject="nccl-p2p",
    )


# -- DL803 -------------------------------------------------------------------------------------
NETWORK_FAILURES = (
    "gloo-connect-full-mesh-failed",
    "gloo-transport-failed",
    "nccl-socket-failed",
    "nccl-infiniband-failed",
    "nccl-ib-device-unusable",
    "nccl-interface-not-found",
    "torch-store-client-timeout",
)


# NCCL's error classes for a failed system call or a peer lost over the network (ncclSystemError,
# ncclRemoteError), not its internal errors or invalid usage
_SYSTEM_ERROR = re.compile(
    r"unhandled system error|ncclSystemError|remote process exited|ncclRemoteError"
)


# the reporter's words (prose-distributed.toml): naming the interface made it work; NCCL/Gloo on
# docker0, lo or a wireless NIC; nodes that cannot connect to each other
IFNAME_FIXED = "said-ifname-fix-works"
WRONG_INTERFACE = "said-wrong-interface"
NODES_UNREACHABLE = "said-nodes-cannot-connect"


def _program_error(s: Snapshot) -> bool:
    """The paste quotes a program's error (not only noise and the reporter's statements)."""
    return any(not e.harmless and not e.signature.startswith("said-") for e in s.reported_errors)


def _network_said(s: Snapshot) -> list[ReportedError]:
    """What the reporter says that points at the network between the ranks: the interface named
    and then it worked; a loopback/bridge/wireless interface in a job across machines (or that
    hangs, or cannot connect); nodes that cannot connect, with no program error to say more."""
    fixed = _said(s, IFNAME_FIXED)
    if fixed:
        return fixed[:1]
    nodes, unreachable = _said(s, *MULTI_NODES), _said(s, NODES_UNREACHABLE)
    wrong = _said(s, WRONG_INTERFACE)
    if wrong and (nodes or unreachable):
        return wrong[:1] + (unreachable or nodes)[:1]
    if unreachable and nodes and not _program_error(s):
        return unreachable[:1] + nodes[:1]
    return []


def _system_error_across_nodes(s: Snapshot) -> list[ReportedError]:
    """NCCL's system error in a job the report says spans several machines: between machines
    the system call that fails is the socket to another node (on one machine it is more often
    shared memory, DL801). The generic error and the statement, or nothing."""
    system = [e for e in _said(s, "nccl-error-generic") if _SYSTEM_ERROR.search(e.text)]
    nodes = _said(s, MULTI_NODE)
    return system[:1] + nodes[:1] if system and nodes else []


# the failures a wrong network name leaves on the other ranks: rank 0's store went away while
# they waited for NCCL's id, or NCCL's own system error
NAMED_NETWORK_FAILURES = ("torch-nccl-unique-id-failed",)


def _named_network_failed(s: Snapshot) -> list[ReportedError]:
    """NCCL failed to set up between the ranks while the paste names the interface or the
    InfiniBand adapters it must use (NCCL_SOCKET_IFNAME=bond0, NCCL_IB_HCA=mlx5_0:1): names
    copied from another cluster's launch script that this machine lacks. The failure and the
    names, or nothing."""
    named = _said(s, "nccl-network-named")
    failed = _said(s, *NAMED_NETWORK_FAILURES) or [
        e for e in _said(s, "nccl-error-generic") if _SYSTEM_ERROR.search(e.text)
    ]
    return failed[:1] + named[:1] if named and failed else []


@rule("DL803", "nccl-network-setup", "error", "distributed")
def nccl_network_setup(s: Snapshot) -> Iterator[Finding]:
    """What it checks: a pasted log in which the ranks cannot reach each other: "Gloo
    connectFullMesh failed" or a broken Gloo TCP pair, NCCL socket warnings ("Connect to <ip>
    failed", "no socket interface found", "No usable listening interface found"), a rank that
    cannot reach the rendezvous store ("The client socket has timed out after 1800s while
    trying to connect to"), InfiniBand/RoCE failures ("NET/IB : No device found", "Call to
    ibv_modify_qp failed … Connection timed out", "NET/IB : Unable to open device"), an
    interface or address NCCL cannot find ("no device found matching eth1, verify
    NCCL_OOB_NET_IFNAME", "error encountered when getting address info"), or a hang while
    NCCL uses a loopback or
    container bridge interface (lo, docker0); and, as a warning, NCCL's "unhandled system
    error" (ncclSystemError, ncclRemoteError) in a job the report says spans several machines
    (--nnodes=2, "two machines", "multi-node"), where the system call that fails is the socket
    to another node; and, as a warning, the reporter's words: setting NCCL_SOCKET_IFNAME /
    GLOO_SOCKET_IFNAME made it work, NCCL/Gloo on docker0, lo or a wireless interface in a job
    across machines, or nodes that "cannot connect" to each other with no program error quoted;
    and, as a warning, a rank that could not fetch NCCL's id from rank 0's store while the
    paste names the interface or adapters NCCL must use (NCCL_SOCKET_IFNAME=bond0,
    NCCL_IB_HCA=mlx5_0:1 copied from another cluster's script).

    Why it matters: NCCL and Gloo pick a network interface by themselves; on machines with
    several (docker0, a management NIC, InfiniBand) they often pick one the other nodes cannot
    reach, and the job hangs at init_process_group or fails on its first collective.

    Example: vLLM across two nodes with Docker installed: Gloo binds to docker0
    (172.17.0.1) and connectFullMesh fails; NCCL_SOCKET_IFNAME=eth0 and
    GLOO_SOCKET_IFNAME=eth0 fix it.

    Fix: name the interface the nodes share: `NCCL_SOCKET_IFNAME=<iface>` and
    `GLOO_SOCKET_IFNAME=<iface>` (`ip -br addr` lists them); `NCCL_IB_DISABLE=1` without a
    working InfiniBand, `NCCL_CROSS_NIC=0` on rail-connected fabrics; NCCL_DEBUG=INFO shows
    what NCCL chose.
    """
    said = _said(s, *NETWORK_FAILURES)
    virtual = _said(s, "nccl-virtual-interface")
    stalls = _said(s, *HANGS, "nccl-error-generic", "torch-nccl-unique-id-failed")
    if not said and virtual and stalls:
        said = virtual + stalls
    inferred = (
        []
        if said
        else (_system_error_across_nodes(s) or _network_said(s) or _named_network_failed(s))
    )
    if not said and not inferred:
        return
    if inferred:
        yield finding(
            "DL803",
            title="NCCL failed between machines: likely the network interface it chose",
            message=(
                "NCCL failed to set up between the ranks while the paste names the network "
                "it must use (NCCL_SOCKET_IFNAME / NCCL_IB_HCA): names taken from another "
                "cluster's script are often not this machine's"
                if inferred[-1].signature == "nccl-network-named"
                else "NCCL failed with a system error (a socket or system call that failed) in a "
                "job that spans several machines"
                if inferred[0].signature == "nccl-error-generic"
                else "The report says the ranks cannot reach each other, or that naming the "
                "network interface made it work"
            )
            + ": NCCL picks a network interface by itself, and "
            "inside containers or on hosts with several interfaces (docker0, a bridge, a "
            "management NIC) the address it announces is probably not one the other nodes can "
            "reach.",
            severity="warning",
            evidence=_quoted(inferred),
            hint="Run with NCCL_DEBUG=INFO: the 'NET/Socket : Using <iface>' line names the "
            "interface; set NCCL_SOCKET_IFNAME to the one the nodes share, and run containers "
            "with --network=host.",
            fixes=[
                *(
                    [
                        ManualStep(
                            text="Check that the interface and InfiniBand adapters the script "
                            "names exist on this machine; set them to this machine's, or remove "
                            "them (NCCL then chooses by itself).",
                            commands=[
                                "ip -br addr",
                                "ibv_devices",
                                "unset NCCL_SOCKET_IFNAME NCCL_IB_HCA",
                            ],
                        )
                    ]
                    if inferred[-1].signature == "nccl-network-named"
                    else []
                ),
                ManualStep(
                    text="Name the interface the nodes reach each other on, for NCCL and Gloo, "
                    "on every node; in Docker, run the containers with --network=host so they "
                    "use the host's addresses.",
                    commands=[
                        "ip -br addr",
                        "export NCCL_SOCKET_IFNAME=<iface> GLOO_SOCKET_IFNAME=<iface>",
                        "docker run --network=host --ipc=host ...",
                    ],
                    url="https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/env.html"
                    "#nccl-socket-ifname",
                ),
                DEBUG,
            ],
            subject="nccl-network",
        )
        return
    ib = any(e.signature == "nccl-infiniband-failed" for e in said)
    iface = s.env_value("NCCL_SOCKET_IFNAME") or "<iface>"
    fixes: list[Action] = [
        ManualStep(
            text="Find the interface every node reaches the others on, and name it for NCCL "
            "and Gloo on every node (the same variables in the launcher's environment).",
            commands=[
                "ip -br addr",
                f"export NCCL_SOCKET_IFNAME={iface} GLOO_SOCKET_IFNAME={iface}",
                "export NCCL_SOCKET_IFNAME=^lo,docker0   # or: exclude the wrong ones",
            ],
            url="https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/env.html"
            "#nccl-socket-ifname",
        )
    ]
    if ib:
        fixes.append(
            ManualStep(
                text="InfiniBand/RoCE: check the HCAs with ibv_devinfo; on rail-connected "
                "fabrics keep traffic on one rail (NCCL_CROSS_NIC=0); without a working IB "
                "fabric fall back to TCP (NCCL_IB_DISABLE=1).",
                commands=["ibv_devinfo", "export NCCL_CROSS_NIC=0", "export NCCL_IB_DISABLE=1"],
            )
        )
    fixes.append(DEBUG)
    yield finding(
        "DL803",
        title="The ranks cannot reach each other over the network NCCL/Gloo chose",
        message="The log shows NCCL or Gloo failing to connect the ranks"
        + (" over InfiniBand/RoCE" if ib else "")
        + ": the interface it picked (often docker0, lo or a management NIC) is not one the "
        "other nodes can reach, or a firewall blocks it.",
        evidence=_quoted(said),
        hint="Set NCCL_SOCKET_IFNAME and GLOO_SOCKET_IFNAME to the interface the nodes share.",
        fixes=fixes,
        subject="nccl-network",
    )


# -- DL804 -------------------------------------------------------------------------------------
LAUNCH_VARIABLES = ("MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "RANK")
LAUNCH_FAILURES = (
    "torch-env-rendezvous-unset",
    "torch-default-process-group-missing",
    "thd-env-init-unset",  # the same, as torch 0.4's THD said it
    "elastic-static-rank-absent",
)
PORT_IN_USE = "torch-store-port-in-use"
NOT_JOINED = ("torch-ranks-did-not-join", "elastic-barrier-missing-ranks")
# NCCL's ranks disagree on the topology, or two of them share one GPU
NCCL_DISAGREE = (
    "nccl-ring-no-loop-back",
    "nccl-ring-missing-rank",
    "nccl-duplicate-gpu",
    "nccl-multi-rank-same-gpu",
    "nccl-version-mismatch",
    "nccl-bootstrap-nranks-mismatch",
    "nccl-bootstrap-rank-twice",
    "nccl-invalid-rank",
    "nccl-net-count-mixed",
    "nccl-message-truncated",
)
SAME_GPU = ("nccl-duplicate-gpu", "nccl-multi-rank-same-gpu")
# what each of NCCL's disagreements says about the ranks
_DISAGREEMENT = {
    "nccl-ring-no-loop-back": "topology",
    "nccl-ring-missing-rank": "topology",
    "nccl-version-mismatch": "versions",
    "nccl-message-truncated": "sizes",
    "nccl-bootstrap-nranks-mismatch": "world",
    "nccl-invalid-rank": "world",
    "nccl-bootstrap-rank-twice": "twice",
    "nccl-net-count-mixed": "nics",
}
# every NCCL release a paste shows a process loading (src-nccl.toml, one message per release)
VERSION_LINE = "nccl-version-line"
_VERSION_LINE = re.compile(
    r"(?:(?P<host>[\w.-]{1,100}):\d{1,9}:\d{1,9} \[\d{1,3}\] NCCL INFO )?NCCL version (?P<v>\S+)"
)
# torchrun maps local ranks to the GPUs CUDA_VISIBLE_DEVICES leaves, and finds too few
RANK_WITHOUT_GPU = "elastic-local-rank-exceeds-gpus"
# a launch script or scheduler set-up that gives the ranks inconsistent identities
MISLAUNCHED = ("launch-node-rank-fixed", "slurm-tasks-per-node-mismatch")
_JOINED = re.compile(
    r"world_size=(?P<world>\d+), (?:worker_count|num_workers_joined)=(?P<joined>\d+)"
    r"|(?P<joined2>\d+)/(?P<world2>\d+) clients joined"
)
_MISSING = re.compile(r"world_size=(?P<world>\d+), missing_ranks=\[(?P<missing>[^\]\n]*)\]")


def _sentence(text: str) -> str:
    """`text` with its first letter upper-case (str.capitalize would lower "NCCL", "GPU")."""
    return text[:1].upper() + text[1:] + "."


def _joined(e: ReportedError) -> tuple[int, int] | None:
    """(ranks that joined, world size) as a rendezvous timeout states them."""
    missing = _MISSING.search(e.text)
    if missing is not None:
        size = int(missing.group("world"))
        return size - len(re.findall(r"\d+", missing.group("missing"))), size
    m = _JOINED.search(e.text)
    if m is None:
        return None
    joined, world = m.group("joined") or m.group("joined2"), m.group("world") or m.group("world2")
    return int(joined), int(world)


# what a paste says about the ranks a job starts and the world size they expect (nccl.toml)
RANKS_LISTED = "launch-world-size-gpu-ranks"
MEMBERS = "lightning-ddp-members"
_WORLD = re.compile(r"-{1,2}world[_-]size[= ]{1,3}(\d{1,5})")
_RANKS = re.compile(r"-{1,2}gpu[_-]ranks((?:[= ]{1,3}\d{1,5}){1,64})")
_MEMBER = re.compile(r"GLOBAL_RANK: (\d{1,6}), MEMBER: \d{1,6}/(\d{1,6})")


def _spans(ranks: list[int]) -> str:
    """0, 1, 2, 5 -> "0-2, 5"."""
    out: list[str] = []
    for r in sorted(set(ranks)):
        if out and r - 1 == int(out[-1].rpartition("-")[2]):
            out[-1] = f"{out[-1].partition('-')[0]}-{r}"
        else:
            out.append(str(r))
    return ", ".join(out)


def _rank_arithmetic(s: Snapshot) -> tuple[str, list[Evidence], str] | None:
    """The ranks a paste shows started, against the world size they wait for: a launch line on
    one machine that starts fewer ranks than its world size (or not rank 0, which hosts the
    rendezvous), or processes that each claim a rank another process already has while the
    ranks above never start. Returns (clause, evidence, kind)."""
    several_nodes = bool(_said(s, MULTI_NODE))
    for e in _said(s, RANKS_LISTED):
        world, listing = _WORLD.search(e.text), _RANKS.search(e.text)
        if world is None or listing is None or "master_ip" in e.text or several_nodes:
            continue  # another node may start the other ranks
        n = int(world.group(1))
        listed = [int(r) for r in re.findall(r"\d+", listing.group(1))]
        missing = [r for r in range(n) if r not in listed]
        if not missing:
            continue
        zero = " (rank 0, which hosts the rendezvous, among them)" if 0 in missing else ""
        return (
            f"the launch line sets world_size {n} but starts only rank(s) {_spans(listed)} on "
            f"this machine: rank(s) {_spans(missing)}{zero} never start, so the rendezvous "
            "waits for them until it times out",
            [
                Evidence(
                    fact=f"reported_errors.{RANKS_LISTED}",
                    found=f"{len(set(listed))} rank(s): {_spans(listed)}",
                    needed=f"{n} ranks: 0-{n - 1} (world_size {n})",
                    note=first_line(e.text, 160),
                )
            ],
            "listed",
        )
    for e in _said(s, MEMBERS):
        members = [(int(r), int(n)) for r, n in _MEMBER.findall(e.text)]
        worlds = {n for _, n in members}
        if len(worlds) != 1:
            continue
        n = worlds.pop()
        ranks = [r for r, _ in members]
        twice = sorted({r for r in ranks if ranks.count(r) > 1})
        missing = [r for r in range(n) if r not in ranks]
        if not twice or not missing:
            continue  # one node's share of a larger job, or a log printed twice, is no clash
        return (
            f"rank(s) {_spans(twice)} of the {n} each started more than once while rank(s) "
            f"{_spans(missing)} never did: two groups of processes each believe they are the "
            "first node, so the scheduler's node and task counts (Slurm --nodes, "
            "--ntasks-per-node) do not match the job's num_nodes × devices",
            [
                Evidence(
                    fact=f"reported_errors.{MEMBERS}",
                    found=f"ranks {_spans(ranks)} ({len(ranks)} processes); twice: "
                    f"{_spans(twice)}",
                    needed=f"each of 0-{n - 1} once (MEMBER …/{n})",
                )
            ],
            "members",
        )
    return None


# a launch line that names the node count and this node's rank (nccl.toml): torchrun, launch,
# accelerate, DeepSpeed, detectron2 and MMEngine spell them differently
NODE_LINE = "launch-node-count-and-rank"
_NODE_COUNT = re.compile(
    r"(?:--nnodes|--num[_-](?:machines|nodes)|\bNNODES=)[= ]{0,3}(\d{1,4})(?::(\d{1,4}))?"
)
_NODE_RANK = re.compile(r"(?:--node[_-]rank|--machine[_-]rank|\bNODE_RANK=)[= ]{0,3}(\d{1,4})\b")


def _node_arithmetic(s: Snapshot) -> tuple[str, list[Evidence]] | None:
    """A launch line whose node rank is not below its node count: node ranks run 0 … nodes-1,
    so this node waits for nodes (rank 0, which hosts the rendezvous, among them) that the job
    will never start."""
    for e in _said(s, NODE_LINE):
        count, rank = _NODE_COUNT.search(e.text), _NODE_RANK.search(e.text)
        if count is None or rank is None:
            continue
        nodes = int(count.group(2) or count.group(1))
        node = int(rank.group(1))
        if nodes < 1 or node < nodes:
            continue
        return (
            f"the launch line gives this node rank {node} in a job of {nodes} node(s): node ranks "
            f"run 0-{nodes - 1}, so it waits for nodes (rank 0, which hosts the rendezvous, "
            "among them) that never start",
            [
                Evidence(
                    fact=f"reported_errors.{NODE_LINE}",
                    found=f"node rank {node}",
                    needed=f"0-{nodes - 1} (--nnodes {nodes})",
                    note=first_line(e.text, 160),
                )
            ],
        )
    return None


def _releases(s: Snapshot) -> tuple[str, list[Evidence], bool] | None:
    """The NCCL releases the paste's processes loaded, when they differ: (clause, evidence,
    proven). Proven when two hosts' NCCL logs name different releases; two releases with no host
    (or one host) may be two runs the reporter compares, so they only warn."""
    seen: dict[str, set[str]] = {}
    for e in _said(s, VERSION_LINE):
        m = _VERSION_LINE.search(e.text)
        if m is not None:
            hosts = seen.setdefault(m.group("v"), set())
            hosts.update([m.group("host")] if m.group("host") else [])
    if len(seen) < 2:
        return None
    proven = len(set().union(*seen.values())) >= 2 and all(seen.values())
    where = "; ".join(
        f"{v}" + (f" on {', '.join(sorted(h)[:3])}" if h else "") for v, h in sorted(seen.items())
    )
    clause = (
        f"the processes load different NCCL releases ({where}): the nodes run different "
        "PyTorch/NCCL builds (or CUDA variants of them)"
    )
    evidence = [
        Evidence(
            fact=f"reported_errors.{VERSION_LINE}",
            found=where,
            needed="one NCCL release (and CUDA variant) on every node",
        )
    ]
    return clause, evidence, proven


def _visible_gpus(s: Snapshot) -> tuple[int, str] | None:
    """How many GPUs a process of this machine can use, and where that is known from: the
    CUDA_VISIBLE_DEVICES the paste sets, else the GPUs a pasted table lists."""
    raw = s.visibility.cuda_visible_devices
    if raw is not None and raw.strip() and raw.strip() != "-1":
        ids = [v for v in raw.split(",") if v.strip()]
        if all(v.strip().isdigit() or v.strip().startswith(("GPU-", "MIG-")) for v in ids):
            return len(ids), f"CUDA_VISIBLE_DEVICES={raw}"
    listed = answered_gpus(s)
    if listed:
        return len(listed), "the GPUs the paste lists"
    return None


def _gpus_per_rank(s: Snapshot) -> tuple[str, list[Evidence]] | None:
    """torchrun's --nproc_per_node against the GPUs this machine's processes can use: every
    process takes the GPU of its local rank, so more processes than GPUs either fail ("invalid
    device ordinal") or share a GPU ("Duplicate GPU detected")."""
    nprocs = [p.details.get("nproc_per_node") for p in s.live]
    numbers = [int(n) for n in nprocs if n is not None and n.isdigit()]
    visible = _visible_gpus(s)
    if not numbers or visible is None or max(numbers) <= visible[0]:
        return None
    n = max(numbers)
    return (
        f"--nproc_per_node={n} starts {n} processes on this machine, but {visible[0]} GPU(s) "
        f"are visible ({visible[1]}): each process needs a GPU of its own",
        [
            Evidence(
                fact="live.torch.details.nproc_per_node",
                found=str(n),
                needed=f"<= {visible[0]} (one process per visible GPU)",
                note=visible[1],
            )
        ],
    )


def _failed(s: Snapshot) -> bool:
    """The paste quotes an error (not only noise and the reporter's statements)."""
    return any(not e.harmless for e in s.reported_errors)


def _rank_problem(s: Snapshot) -> tuple[str, list[Evidence]] | None:
    """Launcher variables that are partly set, or a RANK outside WORLD_SIZE."""
    values = {v: s.env_value(v) for v in LAUNCH_VARIABLES}
    set_ = [v for v, x in values.items() if x]
    missing = [v for v, x in values.items() if not x]
    rank, world = values["RANK"], values["WORLD_SIZE"]
    if rank and world and rank.isdigit() and world.isdigit() and int(rank) >= int(world):
        return (
            f"RANK={rank} is not below WORLD_SIZE={world}",
            [Evidence(fact="env.RANK", found=rank, needed=f"0..{int(world) - 1}")],
        )
    if set_ and missing:
        return (
            f"{', '.join(set_)} {'is' if len(set_) == 1 else 'are'} set but "
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not",
            [Evidence(fact=f"env.{v}", found=None, needed="set by the launcher") for v in missing],
        )
    return None


# the reporter's words (prose-distributed.toml): the nodes run different releases (or the same
# release made it work), every node the same rank, a world size counted from one machine's GPUs
VERSIONS_SAID = ("said-node-versions-differ", "said-node-versions-aligned-works")
SAME_RANK_SAID = "said-ranks-set-wrongly"
LOCAL_WORLD_SAID = "said-world-size-local-gpus"
INIT_HANG_SAID = "said-init-hang"
RENDEZVOUS_FIXED = "said-rendezvous-fix-works"


def _ranks_said(s: Snapshot) -> Iterator[Finding]:
    """DL804 from the reporter's words alone, as a warning: a statement that names the
    disagreement, or a job across machines that hangs while it starts (init_process_group, the
    DDP constructor) with no program error and nothing that points at the network instead."""
    nodes = _said(s, *MULTI_NODES)
    versions, same_rank = _said(s, *VERSIONS_SAID), _said(s, SAME_RANK_SAID)
    local = _said(s, LOCAL_WORLD_SAID) if nodes else []
    network = _said(s, IFNAME_FIXED, WRONG_INTERFACE, NODES_UNREACHABLE)
    hang = _said(s, INIT_HANG_SAID) if nodes and not network and not _program_error(s) else []
    fixed = _said(s, RENDEZVOUS_FIXED)
    if not (versions or same_rank or local or hang or fixed):
        return
    parts = []
    if versions:
        parts.append("the report says the nodes run different PyTorch/NCCL releases")
    if same_rank:
        parts.append("the report says every node was started with the same rank")
    if local:
        parts.append(
            "the world size is counted from one machine's GPUs in a job across machines: each "
            "node then waits for a world of its own"
        )
    if fixed and not parts:
        parts.append(
            "the report says setting the rendezvous right (MASTER_ADDR/MASTER_PORT, each "
            "node's node_rank, the world size) made the job start: the ranks disagreed about "
            "where the rendezvous is or how many they are"
        )
    if hang and not parts:
        parts.append(
            "a job across machines hangs while it starts (init_process_group or the "
            "DistributedDataParallel constructor never returns) with no error: the ranks "
            "probably disagree (different PyTorch/NCCL releases on the nodes, the same rank or "
            "a world size that is not the total number of processes, a MASTER_ADDR/MASTER_PORT "
            "that differs)"
        )
    yield finding(
        "DL804",
        title="The ranks of the distributed job probably disagree about its set-up",
        message=_sentence("; ".join(parts)),
        severity="warning",
        evidence=_quoted(
            versions[:1] + same_rank[:1] + local[:1] + fixed[:1] + hang[:1] + nodes[:1]
        ),
        hint="If every node agrees (same releases, ranks 0 … world_size-1, one MASTER_ADDR), "
        "check the network between them next: NCCL_DEBUG=INFO names the interface NCCL uses.",
        fixes=[
            ManualStep(
                text="Compare the nodes: the same torch (and its NCCL) on every node, one "
                "rendezvous (MASTER_ADDR, MASTER_PORT), WORLD_SIZE the total number of "
                "processes, and each node its own --node_rank (each process its own RANK).",
                commands=[
                    'python -c "import torch; print(torch.__version__, torch.cuda.nccl.version())"'
                    "   # on every node",
                    "torchrun --nnodes=2 --node_rank=<0 or 1> --nproc_per_node=<GPUs> "
                    "--master_addr=<node0> --master_port=29500 train.py",
                ],
                url="https://pytorch.org/docs/stable/elastic/run.html",
            ),
            ManualStep(
                text="Give every node the same PyTorch/NCCL release.",
                commands=["pip install torch==<the same version on every node>"],
            ),
            DEBUG,
        ],
        subject="distributed",
    )


@rule("DL804", "distributed-mismatch", "error", "distributed")
def distributed_mismatch(s: Snapshot) -> Iterator[Finding]:
    """What it checks: the launcher's variables (MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK)
    partly set, or RANK not below WORLD_SIZE; in a pasted log, torch.distributed's
    "environment variable RANK expected, but not set" / "Default process group has not been
    initialized", the rendezvous port already in use ("The server socket has failed to listen
    on any local network address … Address already in use"), ranks that never joined ("Timed
    out initializing process group in store based barrier … (world_size=4, worker_count=2",
    "1/2 clients joined"), NCCL's "Duplicate GPU detected" and "ring 0 does not loop back to
    start", or NCCL logs in which some ranks load a network plugin and others do not; NCCL's
    own disagreements ("Mismatched NCCL version detected", "Bootstrap Root : mismatch in rank
    count", "rank 0 of 16 ranks has already checked in", "Invalid rank requested", "Multiple
    Ranks are using the same GPU", "Message truncated", mixed NIC counts), torchrun's
    "missing_ranks=[…]" and "local_rank 2 exceeds available GPUs in CUDA_VISIBLE_DEVICES";
    the "NCCL version X+cudaY" lines of several hosts naming different releases (an error; two
    releases with no host to tell them apart only warn: they may be two runs); --nproc_per_node
    larger than the GPUs CUDA_VISIBLE_DEVICES or a pasted table leaves (an error with a quoted
    failure, else a warning); and the arithmetic of ranks: a launch line on one machine whose
    world size is larger than the
    ranks it starts (`--world_size 4 --gpu_ranks 2 3`: ranks 0 and 1, the rendezvous host
    among them, never start), or PyTorch Lightning's "GLOBAL_RANK: 1, MEMBER: 2/8" lines in
    which ranks start twice while the ranks above never do (Slurm's --nodes/--ntasks against
    Trainer(num_nodes, devices)); a launch line whose node rank is not below its node count
    (`--nnodes=1 --node_rank=3`, accelerate's --num_machines/--machine_rank, detectron2's
    --num-machines/--machine-rank, MMEngine's NNODES=/NODE_RANK=). In the reporter's own
    words, as a warning: setting the rendezvous right (MASTER_ADDR, each node's node_rank, the
    world size) made the job start; the nodes run
    different PyTorch/NCCL releases (or the same release made it work), every node was started
    with the same rank, a world size counted from one machine's GPUs (device_count()) in a job
    across machines, or a job across machines that hangs at init_process_group / the DDP
    constructor with no error quoted and nothing pointing at the network.

    Why it matters: every rank must agree on the rendezvous (address, port, world size) and
    run the same NCCL set-up. A script written for torchrun started with plain `python` has no
    RANK/WORLD_SIZE; nodes with different NCCL installs or plugins connect and then hang.

    Example: `python train.py` for a script that calls
    `init_process_group(init_method="env://")`: "environment variable RANK expected, but not
    set"; `torchrun --nproc_per_node=4 train.py` works.

    Fix: start the script with its launcher (`torchrun --nproc_per_node=<GPUs> train.py`,
    which sets RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT), or set all four consistently
    on every node; give every node the same NCCL release and plugins.
    """
    launch = _said(s, *LAUNCH_FAILURES)
    plugins = _said(s, "nccl-net-plugin-not-found", "nccl-net-plugin-loaded")
    mixed = len({e.signature for e in plugins}) == 2
    port = _said(s, PORT_IN_USE)
    joined = _said(s, *NOT_JOINED)
    nccl = _said(s, *NCCL_DISAGREE)
    no_gpu = _said(s, RANK_WITHOUT_GPU)
    mislaunched = _said(s, *MISLAUNCHED)
    problem = _rank_problem(s)
    arithmetic = _rank_arithmetic(s)
    nodes = _node_arithmetic(s)
    releases = _releases(s)
    per_rank = _gpus_per_rank(s)
    if (
        not (launch or mixed or port or joined or nccl or no_gpu or mislaunched)
        and problem is None
        and arithmetic is None
        and nodes is None
        and releases is None
        and per_rank is None
    ):
        yield from _ranks_said(s)
        return
    evidence = _quoted(
        launch + (plugins if mixed else []) + port + joined + nccl + no_gpu + mislaunched
    )
    kinds = {_DISAGREEMENT.get(e.signature) for e in nccl}
    parts = []
    if launch:
        parts.append("torch.distributed found no launcher variables (RANK, WORLD_SIZE, …)")
    if mixed:
        parts.append("some ranks load an NCCL network plugin and others do not")
    if port:
        parts.append(
            "the rendezvous port (MASTER_PORT) is already in use on the master node: an "
            "earlier run still holds it, or another job uses the same port"
        )
    if joined:
        counts = _joined(joined[0])
        parts.append(
            f"only {counts[0]} of the {counts[1]} ranks joined the rendezvous"
            if counts is not None and counts[0] < counts[1]
            else "not every rank joined the rendezvous"
        )
    same_gpu = any(e.signature in SAME_GPU for e in nccl)
    if same_gpu:
        parts.append("two ranks run on the same GPU (the script does not pick its LOCAL_RANK)")
    if "topology" in kinds:
        parts.append(
            "NCCL's ranks disagree about the topology (different NCCL releases or NCCL_* "
            "settings on the nodes)"
        )
    if "versions" in kinds:
        parts.append("NCCL found ranks that run different NCCL releases")
    if "sizes" in kinds:
        parts.append(
            "two ranks exchanged messages of different sizes (different NCCL releases or NCCL_* "
            "settings such as NCCL_PROTO/NCCL_ALGO, or different collectives at the same step)"
        )
    if "world" in kinds:
        parts.append(
            "the ranks were started with different world sizes, or a rank not below the world "
            "size (WORLD_SIZE, --nnodes × --nproc_per_node)"
        )
    if "twice" in kinds:
        parts.append(
            "two processes claimed the same rank (every node started with the same --node_rank "
            "or RANK)"
        )
    if "nics" in kinds:
        parts.append("the nodes have different numbers of network devices NCCL can use")
    if no_gpu:
        parts.append(
            "torchrun starts more processes per node than CUDA_VISIBLE_DEVICES leaves GPUs"
        )
    if releases is not None:
        parts.append(releases[0])
        evidence += releases[1]
    if per_rank is not None:
        parts.append(per_rank[0])
        evidence += per_rank[1]
    if any(e.signature == "launch-node-rank-fixed" for e in mislaunched):
        parts.append(
            "the multi-node launch line gives every node --node_rank=0, so the nodes claim the "
            "same ranks (each node needs its own node_rank, 0 … nnodes-1)"
        )
    if any(e.signature == "slurm-tasks-per-node-mismatch" for e in mislaunched):
        parts.append(
            "Slurm starts a different number of tasks than the training script expects per "
            "node (--ntasks / --ntasks-per-node against the devices or processes it asks for)"
        )
    if problem is not None:
        parts.append(problem[0])
        evidence += problem[1]
    if arithmetic is not None:
        parts.append(arithmetic[0])
        evidence += arithmetic[1]
    if nodes is not None:
        parts.append(nodes[0])
        evidence += nodes[1]
    fixes: list[Action] = [
        ManualStep(
            text="Start the script through the launcher, which sets RANK, LOCAL_RANK, "
            "WORLD_SIZE, MASTER_ADDR and MASTER_PORT for every process (or set all of them "
            "yourself, the same rendezvous on every node).",
            commands=[
                "torchrun --nproc_per_node=$(nvidia-smi -L | wc -l) train.py",
                "torchrun --nnodes=2 --node_rank=0 --nproc_per_node=8 "
                "--master_addr=<node0> --master_port=29500 train.py",
            ],
            url="https://pytorch.org/docs/stable/elastic/run.html",
        )
    ]
    if nodes is not None or any(e.signature == "launch-node-rank-fixed" for e in mislaunched):
        fixes.insert(
            0,
            ManualStep(
                text="Give every node its own --node_rank (0 on the master, 1 … nnodes-1 on the "
                "others), from the scheduler where there is one.",
                commands=[
                    "torchrun --nnodes=$NNODES --node_rank=$NODE_RANK --nproc_per_node=<GPUs> "
                    "--master_addr=<node0> --master_port=29500 train.py",
                    "srun torchrun --nnodes=$SLURM_NNODES --node_rank=$SLURM_NODEID "
                    "--nproc_per_node=<GPUs> train.py   # under Slurm",
                ],
                url="https://pytorch.org/docs/stable/elastic/run.html",
            ),
        )
    if arithmetic is not None and arithmetic[2] == "listed":
        fixes.insert(
            0,
            ManualStep(
                text="Start every rank 0 … world_size-1: on one machine list them all (or set "
                "the world size to the number of GPUs you start); pick the free GPUs with "
                "CUDA_VISIBLE_DEVICES instead of skipping ranks.",
                commands=[
                    "CUDA_VISIBLE_DEVICES=2,3 python train.py --world_size 2 --gpu_ranks 0 1",
                ],
            ),
        )
    if (arithmetic is not None and arithmetic[2] == "members") or any(
        e.signature == "slurm-tasks-per-node-mismatch" for e in mislaunched
    ):
        fixes.insert(
            0,
            ManualStep(
                text="Ask Slurm for one task per GPU the script uses on each node: "
                "--ntasks-per-node equal to the devices per node (and --nodes to num_nodes).",
                commands=[
                    "#SBATCH --nodes=<num_nodes>",
                    "#SBATCH --gres=gpu:<devices>",
                    "#SBATCH --ntasks-per-node=<devices>",
                ],
            ),
        )
    if port:
        fixes.insert(
            0,
            ManualStep(
                text="Free the rendezvous port or use another one: stop the earlier run that "
                "still holds it, or give this job its own MASTER_PORT.",
                commands=[
                    "ss -ltnp | grep 29500   # who holds the port",
                    "torchrun --master_port=29501 --nproc_per_node=<GPUs> train.py",
                    "export MASTER_PORT=29501",
                ],
                url="https://pytorch.org/docs/stable/elastic/run.html",
            ),
        )
    if joined:
        fixes.append(
            ManualStep(
                text="Make the world size match the processes you start (--nnodes × "
                "--nproc_per_node, or WORLD_SIZE), start every node, and check that each node "
                "reaches MASTER_ADDR:MASTER_PORT.",
                commands=["nc -zv <MASTER_ADDR> <MASTER_PORT>   # from every node"],
            )
        )
    if no_gpu or per_rank is not None:
        fixes.insert(
            0,
            ManualStep(
                text="Start one process per visible GPU: --nproc_per_node equal to the GPUs "
                "CUDA_VISIBLE_DEVICES leaves (or `--nproc_per_node=gpu`).",
                commands=[
                    "nvidia-smi -L",
                    "torchrun --nproc_per_node=gpu train.py",
                ],
                url="https://pytorch.org/docs/stable/elastic/run.html",
            ),
        )
    if same_gpu:
        fixes.append(
            ManualStep(
                text="Give every rank its own GPU: call torch.cuda.set_device(local_rank) "
                "before init_process_group (LOCAL_RANK comes from torchrun), and do not set "
                "one CUDA_VISIBLE_DEVICES for all ranks.",
                url="https://pytorch.org/docs/stable/elastic/run.html",
            )
        )
    if mixed or releases is not None or kinds & {"topology", "versions", "sizes", "nics"}:
        fixes.append(
            ManualStep(
                text="Give every node the same NCCL release and the same network plugin "
                "(or none): compare the `NCCL version` and `NET/Plugin` lines of each node.",
                commands=["NCCL_DEBUG=INFO NCCL_DEBUG_SUBSYS=INIT,NET <your launch command>"],
            )
        )
    yield finding(
        "DL804",
        title="The ranks of the distributed job disagree about its set-up",
        message=_sentence("; ".join(parts)),
        evidence=evidence,
        fixes=fixes,
        subject="distributed",
        severity="error"
        if launch
        or mixed
        or port
        or joined
        or nccl
        or no_gpu
        or arithmetic
        or nodes
        or (releases is not None and releases[2])
        or (per_rank is not None and _failed(s))
        or (problem and "RANK=" in problem[0])
        else "warning",
    )

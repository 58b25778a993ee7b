"""DL801-DL804 from the reporter's own words (prose-distributed.toml): each behaviour a bad
snapshot (the statements a paste yields, as data) that gives the code as a warning, and a good
one that gives nothing; and whole pastes through `dlenv explain`."""

from __future__ import annotations

from dataclasses import replace

from dlenv.snapshot.model import ReportedError, Snapshot
from tests.rules.snapshots import cpu_machine, fired, gpu, gpu_machine, only, pasted_codes

# statements carry harmless=True, as the catalogue marks them
_STATEMENTS = {
    "said-bus-error",
    "said-in-container",
    "said-num-workers-zero-works",
    "said-iommu-acs-on",
    "said-wrong-interface",
    "said-nodes-cannot-connect",
    "said-multi-machine",
    "said-init-hang",
    "said-world-size-local-gpus",
    "hang-stated",
    "several-gpus-stated",
    "multi-node-stated",
}


def _said(s: Snapshot, *pairs: tuple[str, str]) -> Snapshot:
    errors = [
        ReportedError(signature=sig, text=text, meaning="", harmless=sig in _STATEMENTS)
        for sig, text in pairs
    ]
    return replace(s, reported_errors=[*s.reported_errors, *errors])


BUS = ("said-bus-error", "the training crashes with Bus error (core dumped)")
DOCKER = ("said-in-container", "inside the docker container")


# -- DL801 --------------------------------------------------------------------------------------
def test_dl801_shared_memory_named_by_the_reporter_warns() -> None:
    s = _said(cpu_machine(), ("said-shm-exhausted", "insufficient Shared memory (SHM)"))
    f = only(s, "DL801")
    assert f.severity == "warning"
    assert "probably too small" in f.message
    assert any("--shm-size" in c for a in f.fixes for c in getattr(a, "commands", []))


def test_dl801_bus_error_in_a_container_warns_and_alone_is_no_cause() -> None:
    assert only(_said(cpu_machine(), BUS, DOCKER), "DL801").severity == "warning"
    assert fired(_said(cpu_machine(), BUS), "DL801") == []  # a bus error has other causes
    assert fired(_said(cpu_machine(), DOCKER), "DL801") == []


def test_dl801_bus_error_gone_with_num_workers_zero_warns() -> None:
    s = _said(cpu_machine(), BUS, ("said-num-workers-zero-works", "set NUM_WORKERS: 0 is perfect"))
    assert only(s, "DL801").severity == "warning"


def test_dl801_program_message_still_decides() -> None:
    s = _said(
        cpu_machine(),
        ("dataloader-shm-bus-error", "DataLoader worker (pid 5) is killed by signal: Bus error."),
        ("said-shm-exhausted", "shared memory too small"),
    )
    assert only(s, "DL801").severity == "error"


def test_dl801_from_prose_pastes() -> None:
    # kazuto1011/deeplab-pytorch#17, the program's words retyped in another case
    assert pasted_codes(
        "Unexpected bus ERROR encountered in worker. This might be caused by insufficient "
        "Shared memory (SHM)\n"
    ) == {"DL801": "warning"}
    assert pasted_codes("Increasing the shm-size of the container fixed it.\n") == {
        "DL801": "warning"
    }
    # GPU on-chip shared memory (Triton) is not /dev/shm
    assert "DL801" not in pasted_codes(
        "triton.runtime.errors.OutOfResources: out of resource: shared memory, Required: "
        "98304, Hardware limit: 65536.\n"
    )


# -- DL802 --------------------------------------------------------------------------------------
def test_dl802_p2p_off_said_to_work_in_other_languages_warns() -> None:
    f = only(_said(cpu_machine(), ("said-p2p-disabled-works", "关闭P2P后训练就正常了")), "DL802")
    assert f.severity == "warning"
    assert "DL802" in pasted_codes("desactivando P2P funciona bien\n")
    assert "DL802" not in pasted_codes("关闭P2P后还是卡住\n")


def test_dl802_iommu_said_on_is_quoted_as_the_suspect_of_a_hang() -> None:
    two = gpu_machine(gpus=[gpu(0), gpu(1)])
    s = _said(two, ("hang-stated", "training hangs"), ("said-iommu-acs-on", "IOMMU is enabled"))
    f = only(s, "DL802")
    assert f.severity == "warning"
    assert any(e.fact == "reported_errors.said-iommu-acs-on" for e in f.evidence)
    # one GPU, or no hang: nothing (an IOMMU is on in most machines that run fine)
    assert fired(_said(gpu_machine(), ("said-iommu-acs-on", "IOMMU is enabled")), "DL802") == []


# -- DL803 --------------------------------------------------------------------------------------
def test_dl803_interface_named_and_then_it_worked_warns() -> None:
    s = _said(cpu_machine(), ("said-ifname-fix-works", "after setting NCCL_SOCKET_IFNAME it works"))
    assert only(s, "DL803").severity == "warning"
    assert pasted_codes("export NCCL_SOCKET_IFNAME=enp3s0 fixed the hang\n") == {"DL803": "warning"}
    assert "DL803" not in pasted_codes("I export the NCCL_SOCKET_IFNAME, but it still time out\n")


def test_dl803_wrong_interface_across_machines_warns_alone_nothing() -> None:
    wrong = ("said-wrong-interface", "Gloo binds to docker0")
    nodes = ("said-multi-machine", "two machines")
    assert only(_said(cpu_machine(), wrong, nodes), "DL803").severity == "warning"
    assert fired(_said(cpu_machine(), wrong), "DL803") == []


def test_dl803_nodes_cannot_connect_only_without_a_program_error() -> None:
    nodes = ("said-multi-machine", "two machines")
    refused = ("said-nodes-cannot-connect", "connection refused between the two machines")
    assert only(_said(cpu_machine(), refused, nodes), "DL803").severity == "warning"
    assert fired(_said(cpu_machine(), refused), "DL803") == []  # one machine: not between nodes


# -- DL804 --------------------------------------------------------------------------------------
def test_dl804_nodes_on_different_releases_warns() -> None:
    s = _said(
        cpu_machine(), ("said-node-versions-differ", "the version of two machine is different")
    )
    f = only(s, "DL804")
    assert f.severity == "warning"
    assert "different PyTorch/NCCL releases" in f.message
    assert "DL804" not in pasted_codes("both machines have the same version of pytorch\n")


def test_dl804_multi_machine_start_hang_warns_unless_the_network_is_named() -> None:
    hang = ("said-init-hang", "the code blocked at DistributedDataParallel(model) then time out")
    nodes = ("said-multi-machine", "at multi-machine")
    f = only(_said(cpu_machine(), hang, nodes), "DL804")
    assert f.severity == "warning"
    assert "probably disagree" in f.message
    assert fired(_said(cpu_machine(), hang), "DL804") == []  # one machine: not the ranks' set-up
    wrong = ("said-wrong-interface", "NCCL picked docker0")
    assert fired(_said(cpu_machine(), hang, nodes, wrong), "DL804") == []


def test_dl804_world_size_from_local_gpus_counts_only_across_machines() -> None:
    local = ("said-world-size-local-gpus", "world_size = torch.cuda.device_count()")
    nodes = ("said-multi-machine", "two machines")
    assert only(_said(cpu_machine(), local, nodes), "DL804").severity == "warning"
    assert fired(_said(cpu_machine(), local), "DL804") == []


def test_dl802_iommu_or_acs_off_stated_as_the_fix_warns() -> None:
    off = ("said-iommu-acs-off-works", "1.  IOMMU must be disabled")
    f = only(_said(cpu_machine(), off), "DL802")
    assert f.severity == "warning"
    assert any("iommu=pt" in " ".join(getattr(a, "commands", [])) for a in f.fixes)
    # aikitoria/open-gpu-kernel-modules#6, shortened: the fix list under "in bios"
    assert pasted_codes("in bios\n1.  IOMMU must be disabled\n2. ACS must be disabled\n") == {
        "DL802": "warning"
    }
    for text in (
        "I disabled IOMMU in the BIOS but it still hangs\n",
        "IOMMU is enabled in the BIOS\n",
    ):
        assert "DL802" not in pasted_codes(text), text


def test_dl804_rendezvous_fix_stated_warns() -> None:
    fixed = ("said-rendezvous-fix-works", "I managed to solve it by adding MASTER_ADDR")
    f = only(_said(cpu_machine(), fixed), "DL804")
    assert f.severity == "warning"
    assert "MASTER_ADDR" in f.message
    assert fired(cpu_machine(), "DL804") == []
    # the statement in a paste, and wordings that are no fix
    assert pasted_codes(
        "I managed to solve it by adding MASTER_ADDR (and without MASTER_PORT)\n"
    ) == {"DL804": "warning"}
    for text in (
        "I set MASTER_ADDR and MASTER_PORT but it still hangs\n",
        "python train.py --dist-url tcp://127.0.0.1:52133 SOLVER.IMS_PER_BATCH 4\n",
    ):
        assert "DL804" not in pasted_codes(text), text


def test_dl804_from_a_prose_paste() -> None:
    # narumiruna/pytorch-distributed-example#17 (the reporter's words, shortened)
    text = (
        "function blocked at DistributedDataParallel when running code at multi-machine\n"
        "i used 2 machine 192.168.2.13 and 192.168.2.14 . but finally the code blocked at "
        "function nn.parallel.DistributedDataParallel(model)  then time out .\n"
    )
    assert pasted_codes(text) == {"DL804": "warning"}


def test_dl803_store_failure_while_the_script_names_the_network_warns() -> None:
    unique = (
        "torch-nccl-unique-id-failed",
        "RuntimeError: [1] is setting up NCCL communicator and retrieving ncclUniqueId from [0] "
        "via c10d key-value store by key '0', but store->get('0') got error: Connection reset",
    )
    named = ("nccl-network-named", "export NCCL_SOCKET_IFNAME=bond0")
    bad = _said(gpu_machine(), unique, named)
    errors = [replace(e, harmless=e.signature == "nccl-network-named") for e in bad.reported_errors]
    f = only(replace(bad, reported_errors=errors), "DL803")
    assert f.severity == "warning"
    assert any("ip -br addr" in getattr(a, "commands", []) for a in f.fixes)
    # the same failure with no network named: rank 0 may simply have crashed (no DL803)
    assert fired(_said(gpu_machine(), unique), "DL803") == []


def test_dl803_named_network_from_a_paste() -> None:
    paste = (
        "`# export NCCL_IB_HCA=mlx5_0:1,mlx5_1:1\n# export NCCL_SOCKET_IFNAME=bond0`\n"
        "RuntimeError: [1] is setting up NCCL communicator and retrieving ncclUniqueId from [0] "
        "via c10d key-value store by key '0', but store->get('0') got error: Connection reset "
        "by peer. This may indicate a possible application crash on rank 0 or a network set up "
        "issue.\n"
    )
    assert pasted_codes(paste).get("DL803") == "warning"
    # an exclusion list names no interface
    assert "DL803" not in pasted_codes(
        paste.replace("=bond0", "=^lo,docker0").replace(
            "NCCL_IB_HCA=mlx5_0:1,mlx5_1:1", "NCCL_IB_DISABLE=1"
        )
    )

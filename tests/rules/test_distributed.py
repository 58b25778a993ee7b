"""The distributed-training rules (DL8xx): a bad machine gives exactly the code, a good one none;
pasted logs are run through `dlenv explain`'s importer so that the catalogue and rule meet."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dlenv.errors import DlenvError
from dlenv.fix.actions import ManualStep, SetEnv
from dlenv.importers.explain import explain_text
from dlenv.snapshot.model import GpuLink, Snapshot
from tests.rules.snapshots import fired, gpu, gpu_machine, only, with_env

MIB = 1024**2


def _codes(text: str) -> dict[str, str]:
    """code -> severity of the error/warning findings `dlenv explain` gives for a paste."""
    found = explain_text(text, "paste.txt", probe=False).report.findings
    return {f.code: f.severity for f in found if f.severity in ("error", "warning")}


def _host(s: Snapshot, **facts: object) -> Snapshot:
    return replace(s, host=replace(s.host, **facts))


def _two_gpus(*links: GpuLink) -> Snapshot:
    return replace(gpu_machine(gpus=[gpu(0), gpu(1)]), gpu_links=list(links))


# -- DL801 ---------------------------------------------------------------------------------
def test_dl801_docker_default_shm_is_a_warning_with_the_docker_fix_first() -> None:
    bad = _host(
        gpu_machine(), container="docker", shm_total_bytes=64 * MIB, shm_free_bytes=60 * MIB
    )
    f = only(bad, "DL801")
    assert f.severity == "warning"
    assert f.evidence[0].fact == "host.shm_total_bytes"
    assert f.evidence[0].found == "64 MiB (60 MiB free)"
    assert isinstance(f.fixes[0], ManualStep) and "--shm-size=16g" in f.fixes[0].commands[0]
    kube = only(_host(bad, container="kubernetes"), "DL801")
    assert isinstance(kube.fixes[0], ManualStep) and "emptyDir" in kube.fixes[0].commands[0]


def test_dl801_large_shm_or_no_container_is_fine() -> None:
    assert (
        fired(_host(gpu_machine(), container="docker", shm_total_bytes=16 * 1024 * MIB), "DL801")
        == []
    )
    # a bare-metal host sizes /dev/shm to half its RAM; a small one there is not Docker's limit
    assert fired(_host(gpu_machine(), shm_total_bytes=64 * MIB), "DL801") == []
    assert fired(gpu_machine(), "DL801") == []


def test_dl801_pasted_bus_error_and_nccl_shm_failures_are_errors() -> None:
    assert _codes(
        "RuntimeError: DataLoader worker (pid 572) is killed by signal: Bus error. It is "
        "possible that dataloader's workers are out of shared memory. Please try to raise "
        "your shared memory limit."
    ) == {"DL801": "error"}
    assert _codes(
        "[3] include/shm.h:28 NCCL WARN Call to posix_fallocate failed : No space left on device\n"
        "[3] include/shm.h:48 NCCL WARN Error while creating shared memory segment "
        "nccl-shm-recv-1462445a6f01cbfc-1-2-3 (size 9637888)\n"
    ) == {"DL801": "error"}


# -- DL802 ---------------------------------------------------------------------------------
def test_dl802_iommu_translating_with_two_gpus_proposes_p2p_disable() -> None:
    bad = _host(_two_gpus(), iommu_units=["dmar0", "dmar1"], iommu_cmdline=["intel_iommu=on"])
    f = only(bad, "DL802")
    assert f.severity == "warning"
    assert f.fixes[0] == SetEnv(name="NCCL_P2P_DISABLE", value="1", reason=f.fixes[0].reason)
    assert any(isinstance(x, SetEnv) and x.name == "NCCL_DEBUG" for x in f.fixes)
    assert "without iommu=pt" in (f.evidence[0].found or "")


def test_dl802_switch_pair_without_p2p() -> None:
    link = GpuLink(gpu_a=0, gpu_b=1, path="PXB", p2p_read="chipset-not-supported", p2p_write="ok")
    f = only(_two_gpus(link), "DL802")
    assert f.evidence[0].fact == "gpu_links.0-1"
    assert "GPU0-GPU1" in f.message


def test_dl802_pass_through_one_gpu_or_working_links_are_fine() -> None:
    ok = GpuLink(gpu_a=0, gpu_b=1, path="PIX", p2p_read="ok", p2p_write="ok")
    far = GpuLink(gpu_a=0, gpu_b=1, path="SYS", p2p_read="not-supported", p2p_write="not-supported")
    assert fired(_two_gpus(ok), "DL802") == []
    assert fired(_two_gpus(far), "DL802") == []  # across sockets no P2P is normal
    pt = _host(_two_gpus(), iommu_units=["dmar0"], iommu_cmdline=["intel_iommu=on", "iommu=pt"])
    assert fired(pt, "DL802") == []
    assert fired(_host(gpu_machine(), iommu_units=["dmar0"]), "DL802") == []
    assert fired(_host(_two_gpus(), iommu_units=[]), "DL802") == []


def test_dl802_pasted_workaround_or_peer_error_is_an_error() -> None:
    assert _codes("NCCL hangs with 4 GPUs. Setting NCCL_P2P_DISABLE=1 did workaround.") == {
        "DL802": "error"
    }
    assert _codes(
        "RuntimeError: CUDA error: peer access is not supported between these two devices"
    ) == {"DL802": "error"}
    # a script that merely sets the variable says nothing about the cause
    script = (
        "export NCCL_P2P_DISABLE=1\ntorchrun train.py\nRuntimeError: NCCL error: internal error\n"
    )
    assert "DL802" not in _codes(script)


# -- DL803 ---------------------------------------------------------------------------------
def test_dl803_gloo_and_infiniband_failures() -> None:
    found = explain_text(
        "RuntimeError: Gloo connectFullMesh failed with [../third_party/gloo/gloo/transport/tcp/"
        "pair.cc:144] no error",
        "paste.txt",
        probe=False,
    ).report.findings
    f = next(x for x in found if x.code == "DL803")
    assert "GLOO_SOCKET_IFNAME=<iface>" in " ".join(f.fixes[0].commands)  # type: ignore[union-attr]
    assert _codes(
        "ibvwrap.c:262 NCCL WARN Call to ibv_modify_qp failed with 110 Connection timed out, on "
        "dev mlx_x:1"
    ) == {"DL803": "error"}


def test_dl803_virtual_interface_alone_is_not_a_problem_but_with_a_hang_it_is() -> None:
    log = "NCCL INFO Bootstrap : Using docker0:172.17.0.1<0>\n"
    assert _codes(log) == {}
    assert _codes(log + "training with DDP gets stuck at the first all_reduce\n") == {
        "DL803": "error"
    }
    assert fired(gpu_machine(), "DL803") == []


# -- DL804 ---------------------------------------------------------------------------------
def test_dl804_script_started_without_its_launcher() -> None:
    assert _codes(
        "ValueError: Error initializing torch.distributed using env:// rendezvous: environment "
        "variable WORLD_SIZE expected, but not set"
    ) == {"DL804": "error"}


def test_dl804_nodes_with_and_without_the_nccl_net_plugin() -> None:
    one = "HGX-11:1:2 [5] NCCL INFO NET/Plugin: Could not find: libnccl-net.so. Using internal network plugin.\n"
    other = "HGX-04:3:4 [0] NCCL INFO Plugin Path : /opt/hpcx/nccl_rdma_sharp_plugin/lib/libnccl-net.so\n"
    assert _codes(one + other) == {"DL804": "error"}
    assert _codes(one) == {} and _codes(other) == {}


def test_dl804_launcher_variables_partly_set_or_rank_out_of_range() -> None:
    partial = with_env(gpu_machine(), MASTER_ADDR="10.0.0.1", MASTER_PORT="29500")
    f = only(partial, "DL804")
    assert f.severity == "warning"
    assert [e.fact for e in f.evidence] == ["env.WORLD_SIZE", "env.RANK"]
    wrong = with_env(gpu_machine(), MASTER_ADDR="a", MASTER_PORT="1", WORLD_SIZE="2", RANK="2")
    assert only(wrong, "DL804").severity == "error"
    good = with_env(gpu_machine(), MASTER_ADDR="a", MASTER_PORT="1", WORLD_SIZE="2", RANK="1")
    assert fired(good, "DL804") == []
    assert fired(gpu_machine(), "DL804") == []


def test_generic_nccl_error_is_left_to_the_facts() -> None:
    text = "RuntimeError: NCCL error in: ProcessGroupNCCL.cpp:1269, unhandled system error, NCCL version 2.14.3"
    assert set(_codes(text)) == {"DL901"}  # no fact decides: unexplained, not guessed
    small = _host(gpu_machine(), container="docker", shm_total_bytes=64 * MIB)
    result = explain_text(text, "paste.txt", machine=lambda: small, this_machine=True)
    codes = {f.code for f in result.report.findings}
    assert "DL801" in codes and "DL901" not in codes


# -- wordings from the programs' sources (NCCL, c10d, Gloo) ----------------------------------
def _codes_or_none(text: str) -> dict[str, str]:
    """Like _codes, for a text that may hold no known message at all (then nothing is found)."""
    try:
        return _codes(text)
    except DlenvError:
        return {}


def _finding(text: str, code: str) -> object:
    found = explain_text(text, "paste.txt", probe=False).report.findings
    return next(f for f in found if f.code == code)


def test_dl804_rendezvous_port_in_use_names_another_port() -> None:
    text = (
        "torch.distributed.DistNetworkError: The server socket has failed to listen on any local "
        "network address. The server socket has failed to bind to [::]:29500 (errno: 98 - Address "
        "already in use). The server socket has failed to bind to 0.0.0.0:29500 (errno: 98 - "
        "Address already in use)."
    )
    assert _codes(text) == {"DL804": "error"}
    f = _finding(text, "DL804")
    assert "MASTER_PORT" in f.message  # type: ignore[attr-defined]
    step = f.fixes[0]  # type: ignore[attr-defined]
    assert isinstance(step, ManualStep) and any("--master_port" in c for c in step.commands)
    # another program's port in use is not the rendezvous
    assert "DL804" not in _codes_or_none(
        "OSError: [Errno 98] Address already in use: the web UI port 7860"
    )


def test_dl804_ranks_that_never_joined_are_counted() -> None:
    text = (
        "RuntimeError: Timed out initializing process group in store based barrier on rank: 3, "
        "for key: store_based_barrier_key:1 (world_size=4, worker_count=2, timeout=0:30:00)"
    )
    assert _codes(text) == {"DL804": "error"}
    assert "only 2 of the 4 ranks joined" in _finding(text, "DL804").message.lower()  # type: ignore[attr-defined]
    elastic = "torch.distributed.DistStoreError: Timed out after 901 seconds waiting for clients. 1/2 clients joined."
    assert "only 1 of the 2 ranks" in _finding(elastic, "DL804").message.lower()  # type: ignore[attr-defined]


def test_dl804_nccl_ranks_on_one_gpu_or_rings_that_do_not_close() -> None:
    dup = (
        "RuntimeError: NCCL error in: ../torch/csrc/distributed/c10d/NCCLUtils.hpp:219, invalid "
        "usage, NCCL version 2.21.5\nncclInvalidUsage: This usually reflects invalid usage of NCCL "
        "library.\nLast error:\nDuplicate GPU detected : rank 1 and rank 0 both on CUDA device 1000"
    )
    assert _codes(dup).get("DL804") == "error"
    assert "same GPU" in _finding(dup, "DL804").message  # type: ignore[attr-defined]
    ring = "node1:1234:1250 [0] NCCL WARN Error : ring 0 does not loop back to start (1 != 0)"
    assert _codes(ring) == {"DL804": "error"}
    assert _codes_or_none("NCCL INFO Ring 00 : 0[0] -> 1[1] via P2P/IPC") == {}


def test_dl803_store_client_timeouts_gloo_pairs_and_nccl_interfaces() -> None:
    for text in (
        "RuntimeError: The client socket has timed out after 1800s while trying to connect to "
        "(10.0.0.1, 29500).",
        "RuntimeError: connect() timed out. Original timeout was 1800000 ms.",
        "RuntimeError: [../third_party/gloo/gloo/transport/tcp/pair.cc:598] Connection closed by "
        "peer [10.0.0.2]:29500",
        "RuntimeError: [enforce fail at ../third_party/gloo/gloo/transport/tcp/device.cc:83] ifa "
        "!= nullptr. Unable to find address for: eth0",
        "Last error:\nNET/Socket : No usable listening interface found",
        "transport/net_socket.cc:61 NCCL WARN NET/Socket : no interface found",
    ):
        assert _codes(text).get("DL803") == "error", text


def test_watchdog_timeout_is_a_hang_that_facts_explain() -> None:
    watchdog = (
        "[E ProcessGroupNCCL.cpp:828] [Rank 1] Watchdog caught collective operation timeout: "
        "WorkNCCL(SeqNum=1, OpType=ALLREDUCE, Timeout(ms)=1800000) ran for 1806025 milliseconds "
        "before timing out.\n"
    )
    assert "DL802" not in _codes(watchdog) and "DL803" not in _codes(watchdog)
    docker = "NCCL INFO Bootstrap : Using docker0:172.17.0.1<0>\n"
    assert _codes(docker + watchdog).get("DL803") == "error"
    assert _codes("Device=0 CANNOT Access Peer Device=1\n" + watchdog).get("DL802") == "error"


def test_dl801_nccl_shm_disable_that_helped() -> None:
    assert _codes("NCCL_SHM_DISABLE=1 fixed the crash for me") == {"DL801": "error"}
    assert _codes_or_none("export NCCL_SHM_DISABLE=1") == {}


def test_nccl_unique_id_failure_is_a_symptom_the_interface_explains() -> None:
    text = (
        "torch.distributed.DistBackendError: [3] is setting up NCCL communicator and retrieving "
        "ncclUniqueId from [0] via c10d key-value store by key '0', but store->get('0') got "
        "error: Connection reset by peer\n"
    )
    assert "DL803" not in _codes(text)
    assert (
        _codes("NCCL INFO Bootstrap : Using docker0:172.17.0.1<0>\n" + text).get("DL803") == "error"
    )


def test_dl804_from_a_launch_line_or_a_slurm_set_up_that_mislaunches_the_ranks() -> None:
    from dlenv.importers.explain import explain_text

    def codes(text: str) -> set[str]:
        report = explain_text(text, "t", probe=False).report
        return {f.code for f in report.findings if f.severity in ("error", "warning")}

    assert "DL804" in codes(
        "torchrun --nnodes=2 --nproc_per_node=8 --node_rank=0 --master_addr=n0 train.py\n"
        "RuntimeError: the job hangs\n"
    )
    assert "DL804" in codes("Error if SLURM_NTASKS != SLURM_NTASKS_PER_NODE\n")
    assert "DL804" not in codes(
        "torchrun --nnodes=2 --nproc_per_node=8 --node_rank=$NODE_RANK train.py\n"
        "RuntimeError: boom\n"
    )


def test_dl802_one_machine_multi_gpu_hang_is_peer_to_peer() -> None:
    # one GPU runs, two hang at the first collective: the transfers between the GPUs block
    hang = (
        "python -m torch.distributed.launch --nproc_per_node=2 train.py\n"
        "If I set --nproc_per_node=1, then it runs alright on single GPU, but if I set "
        "--nproc_per_node=2, then it just stucks.\n"
    )
    assert _codes(hang)["DL802"] == "error"
    assert _codes("多GPU执行时任务挂起无法完成，单GPU时则没有问题。")["DL802"] == "error"
    assert _codes("Hang with nccl all_reduce_perf on 8 cards RTX 4090")["DL802"] == "error"
    # the same hang with the network between machines failing is that network, not P2P
    remote = hang + (
        "NCCL WARN socketStartConnect: Connect to 10.0.0.2<38847> failed : Connection refused\n"
    )
    assert "DL802" not in _codes(remote)
    assert "DL802" not in _codes("Multi-GPU training works fine with --nproc_per_node=2")


def test_dl802_accelerate_refuses_rtx_4000_without_p2p_disabled() -> None:
    text = (
        "NotImplementedError: Using RTX 4000 series doesn't support faster communication "
        'broadband via P2P or IB. Please set `NCCL_P2P_DISABLE="1"` and `NCCL_IB_DISABLE="1" '
        "or use `accelerate launch` which will do this automatically."
    )
    assert _codes(text)["DL802"] == "error"


def test_dl802_a_hang_on_several_gpus_of_one_machine_in_the_reporters_words() -> None:
    # Wangt-CN/DisCo#49: no log at all, only what the reporter says
    text = (
        "when I do pre_train with multiple 4090 gpus, it always gets stuck and no report is "
        "shown. But when training with multiple 3090 and single 4090 everything is fine.\n"
        "Traceback (most recent call last):\n"
        "KeyboardInterrupt\n"
    )
    found = explain_text(text, "paste.txt", probe=False).report.findings
    f = next(f for f in found if f.code == "DL802")
    assert f.severity == "warning"
    assert f.message.startswith("A job on several GPUs of one machine hangs without an error")
    assert [e.fact for e in f.evidence] == [
        "reported_errors.hang-stated",
        "reported_errors.several-gpus-stated",
    ]
    assert any(isinstance(a, SetEnv) and a.name == "NCCL_P2P_DISABLE" for a in f.fixes)


@pytest.mark.parametrize(
    "text",
    [
        # several machines: the network between them is as likely
        "multi-node training on 2 nodes with 4 RTX 3090 GPUs each hangs\nKeyboardInterrupt\n",
        # one GPU
        "training on a single RTX 3090 hangs after an epoch\nKeyboardInterrupt\n",
        # several GPUs, no hang
        "training on 4 RTX 3090 GPUs works fine\nKeyboardInterrupt\n",
    ],
)
def test_dl802_not_inferred_without_all_three_facts(text: str) -> None:
    found = explain_text(text, "paste.txt", probe=False).report.findings
    assert "DL802" not in [f.code for f in found]


def test_dl804_world_size_larger_than_the_ranks_a_single_machine_starts() -> None:
    uer = (
        "python3 pretrain.py --dataset_path dataset.pt \\\n"
        "                    --world_size 4 --gpu_ranks 2 3 \\\n"
        "                    --encoder transformer\n"
        "RuntimeError: connect() timed out.\n"
    )
    f = _finding(uer, "DL804")
    assert f.severity == "error"  # type: ignore[attr-defined]
    assert "rank(s) 0-1" in f.message and "rendezvous" in f.message  # type: ignore[attr-defined]
    step = f.fixes[0]  # type: ignore[attr-defined]
    assert isinstance(step, ManualStep) and "--gpu_ranks 0 1" in step.commands[0]
    # OpenNMT-py's spelling, ranks after the world size
    assert (
        _codes("onmt_train -config c.yaml -gpu_ranks 0 1 -world_size 4\nRuntimeError: boom\n").get(
            "DL804"
        )
        == "error"
    )


def test_dl804_all_ranks_listed_or_another_node_starts_the_rest_is_fine() -> None:
    fine = "onmt_train -config c.yaml -world_size 4 -gpu_ranks 0 1 2 3\nRuntimeError: boom\n"
    assert "DL804" not in _codes(fine)
    # OpenNMT-py across two nodes: this node starts 0 and 1, the other 2 and 3
    other = "onmt_train -world_size 4 -gpu_ranks 0 1 -master_ip 10.0.0.1\nRuntimeError: boom\n"
    assert "DL804" not in _codes(other)
    stated = "I have two machines.\nonmt_train -world_size 4 -gpu_ranks 0 1\nRuntimeError: boom\n"
    assert "DL804" not in _codes(stated)


def test_dl804_node_rank_not_below_the_node_count() -> None:
    # FoundationVision/VAR#108: one server, --nnodes=1, but --node_rank=3; no error, it waits
    var = (
        "torchrun --nproc_per_node=4 --nnodes=1 --node_rank=3 --master_addr=192.168.1.1 "
        "--master_port=12345 train.py --depth=16\nand i stuck for a long time .....\n"
    )
    f = _finding(var, "DL804")
    assert f.severity == "error"  # type: ignore[attr-defined]
    assert "rank 3 in a job of 1 node" in f.message  # type: ignore[attr-defined]
    step = f.fixes[0]  # type: ignore[attr-defined]
    assert isinstance(step, ManualStep) and "--node_rank=$NODE_RANK" in step.commands[0]
    # other launchers' spellings: accelerate, detectron2 (rank before count), MMEngine's variables
    for line in (
        "accelerate launch --num_machines 2 --machine_rank 2 train.py",
        "python tools/train_net.py --machine-rank 2 --num-gpus 4 --num-machines 2 --dist-url tcp://h:1",
        "NNODES=2 NODE_RANK=2 PORT=29500 ./tools/dist_train.sh configs/x.py 8",
    ):
        assert _codes_or_none(line + "\n").get("DL804") == "error", line


def test_dl804_node_ranks_within_the_node_count_are_fine() -> None:
    for line in (
        "torchrun --nproc_per_node=4 --nnodes=1 --node_rank=0 train.py",
        "torchrun --nproc_per_node=8 --nnodes=2 --node_rank=1 --master_addr=n0 train.py",
        "torchrun --nnodes=1:4 --node_rank=3 --rdzv_backend=c10d train.py",  # elastic range
        "accelerate launch --num_machines 2 --machine_rank 1 train.py",
    ):
        assert "DL804" not in _codes_or_none(line + "\n"), line


def test_dl804_dash_spelling_of_a_fixed_node_rank() -> None:
    # NVIDIA/nvidia-resiliency-ext#142: torchrun's --node-rank spelling, on both nodes
    line = "torchrun --nproc_per_node=8 --nnodes=2 --node-rank=0 --rdzv_backend=c10d train.py\n"
    assert _codes_or_none(line).get("DL804") == "warning"  # a launch line alone: probably
    ok = "torchrun --nproc_per_node=8 --nnodes=2 --node-rank=$SLURM_NODEID train.py\n"
    assert "DL804" not in _codes_or_none(ok)


def _members(ranks: list[int], world: int) -> str:
    return "".join(f"initializing ddp: GLOBAL_RANK: {r}, MEMBER: {r + 1}/{world}\n" for r in ranks)


def test_dl804_lightning_ranks_started_twice_while_others_never_start() -> None:
    text = _members([1, 1, 2, 2, 3, 3, 0, 0], 8) + "RuntimeError: the job hangs\n"
    f = _finding(text, "DL804")
    assert f.severity == "error"  # type: ignore[attr-defined]
    assert "0-3" in f.message and "4-7" in f.message and "Slurm" in f.message  # type: ignore[attr-defined]
    step = f.fixes[0]  # type: ignore[attr-defined]
    assert isinstance(step, ManualStep) and any("--ntasks-per-node" in c for c in step.commands)
    # Lightning 2.x wording, lines interleaved with other output
    two = (
        "Initializing distributed: GLOBAL_RANK: 0, MEMBER: 1/4\nGPU available: True\n"
        "Initializing distributed: GLOBAL_RANK: 0, MEMBER: 1/4\nRuntimeError: the job hangs\n"
    )
    assert _codes(two).get("DL804") == "error"


def test_dl804_one_nodes_share_or_a_log_printed_twice_is_no_clash() -> None:
    # one node's log of a two-node job: ranks 0-3 of 8, each once
    assert "DL804" not in _codes(_members([0, 1, 2, 3], 8) + "RuntimeError: boom\n")
    # a logger that prints every line twice: every rank is there
    assert "DL804" not in _codes(_members([0, 0, 1, 1], 2) + "RuntimeError: boom\n")


def test_dl803_nccl_system_error_across_machines_is_the_interface() -> None:
    error = (
        "RuntimeError: NCCL error in: /pytorch/torch/lib/c10d/ProcessGroupNCCL.cpp:518, "
        "unhandled system error, NCCL version 2.4.8\n"
    )
    assert _codes("I have two machines and train in a distributed way.\n" + error) == {
        "DL803": "warning"
    }
    f = _finding("torchrun --nnodes=2 --node_rank=1 train.py\n" + error, "DL803")
    assert any(
        isinstance(a, ManualStep) and any("NCCL_SOCKET_IFNAME" in c for c in a.commands)
        for a in f.fixes  # type: ignore[attr-defined]
    )
    # one machine: no network between nodes to blame
    assert "DL803" not in _codes("one node with 8 GPUs\n" + error)
    # an internal error across machines is not a failed system call
    internal = error.replace("unhandled system error", "internal error")
    assert "DL803" not in _codes("I have two machines.\n" + internal)


def test_dl801_nccl_system_error_on_one_machine_with_several_gpus() -> None:
    """kaiyuyue/torchshard#3: the tests pass on two GPUs and fail on eight with NCCL's
    "unhandled system error"; `docker run --ipc=host` fixed it. On one machine NCCL's system
    calls are its /dev/shm segments: a warning. Across machines (DL803's), with a peer that
    exited (ncclRemoteError), or with one GPU, nothing for DL801."""
    from tests.rules.snapshots import pasted_codes

    error = (
        "RuntimeError: NCCL error in ../torch/lib/c10d/ProcessGroupNCCL.cpp:825, unhandled "
        "system error, NCCL version 2.7.8\n"
        "ncclSystemError: System call (socket, malloc, munmap, etc) failed.\n"
    )
    eight = (
        "The tests pass on two GPUs, but when I run them on 8 GPUs it raises an error:\n"
        "CUDA_VISIBLE_DEVICES=0,1,2,3,4,5,6,7 python3 -m unittest discover -v -s tests\n"
    )
    assert pasted_codes(eight + error).get("DL801") == "warning"
    multi = "We train on two machines with --nnodes=2 --nproc_per_node=8\n"
    assert "DL801" not in pasted_codes(multi + eight + error)
    remote = error.replace(
        "unhandled system error", "remote process exited or there was a network error"
    ).replace(
        "ncclSystemError: System call (socket, malloc, munmap, etc) failed.", "ncclRemoteError"
    )
    assert "DL801" not in pasted_codes(eight + remote)
    assert "DL801" not in pasted_codes(error)

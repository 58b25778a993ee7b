"""DL802-DL804 on the messages of src-nccl.toml and src-c10d.toml (NCCL's and torch.distributed's
own wordings), and the facts DL804 compares across a paste: the NCCL release each node loaded,
--nproc_per_node against the visible GPUs, the ranks a rendezvous misses. Each behaviour has a
bad paste (the code fires) and a good one (it does not)."""

from __future__ import annotations

import pytest

from dlenv.errors import DlenvError
from dlenv.importers.explain import explain_text
from dlenv.rules.findings import Finding

SMI_TWO_GPUS = """\
+-----------------------------------------------------------------------------+
| NVIDIA-SMI 535.54.03    Driver Version: 535.54.03    CUDA Version: 12.2     |
|-------------------------------+----------------------+----------------------+
| GPU  Name        Persistence-M| Bus-Id        Disp.A | Volatile Uncorr. ECC |
|   0  NVIDIA A100-SXM...  On   | 00000000:07:00.0 Off |                    0 |
|   1  NVIDIA A100-SXM...  On   | 00000000:0F:00.0 Off |                    0 |
+-------------------------------+----------------------+----------------------+
"""


def _findings(text: str) -> list[Finding]:
    try:
        return explain_text(text, "paste.txt", probe=False).report.findings
    except DlenvError:  # nothing recognised at all
        return []


def _codes(text: str) -> dict[str, str]:
    return {f.code: f.severity for f in _findings(text) if f.severity in ("error", "warning")}


def _one(text: str, code: str) -> Finding:
    [f] = [f for f in _findings(text) if f.code == code]
    return f


# -- the NCCL release of every node ----------------------------------------------------------
TWO_RELEASES = """\
node1:1234:1234 [0] NCCL INFO NCCL version 2.18.1+cuda12.1
node1:1235:1235 [1] NCCL INFO NCCL version 2.18.1+cuda12.1
node2:4321:4321 [0] NCCL INFO NCCL version 2.14.3+cuda11.7
the job hangs after init
"""


def test_dl804_two_nodes_that_load_different_nccl_releases() -> None:
    assert _codes(TWO_RELEASES)["DL804"] == "error"
    f = _one(TWO_RELEASES, "DL804")
    assert "2.14.3+cuda11.7 on node2" in f.message and "2.18.1+cuda12.1 on node1" in f.message
    assert f.evidence[-1].fact == "reported_errors.nccl-version-line"
    # the same CUDA-variant difference counts: one node's torch is a cu118 build
    cuda = TWO_RELEASES.replace("2.14.3+cuda11.7", "2.18.1+cuda11.8")
    assert _codes(cuda)["DL804"] == "error"


def test_dl804_one_release_on_every_node_is_fine() -> None:
    same = TWO_RELEASES.replace("2.14.3+cuda11.7", "2.18.1+cuda12.1")
    assert "DL804" not in _codes(same)


def test_dl804_two_releases_without_hosts_only_warn_and_prose_is_not_a_release() -> None:
    # two bare version lines may be two runs the reporter compares: a warning, not an error
    assert _codes("NCCL version 2.10.3+cuda11.1\nit hangs\nNCCL version 2.14.3+cuda11.7\n") == {
        "DL804": "warning"
    }
    before_after = (
        "With NCCL version 2.10.3 it failed, after upgrading it works:\n"
        "NCCL version 2.14.3+cuda11.7\n"
    )
    assert "DL804" not in _codes(before_after)


# -- NCCL's own disagreements ----------------------------------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        "init.cc:1043 NCCL WARN Mismatched NCCL version detected : rank 1 version 21805 rank 0 version 22105",
        "init.cc:1057 NCCL WARN Multiple Ranks are using the same GPU/Partition. Set NCCL_MULTI_RANK_GPU_ENABLE=1 to enable this configuration.",
        "bootstrap.cc:126 NCCL WARN Bootstrap Root : mismatch in rank count from procs 4 : 2",
        "bootstrap.cc:335 NCCL WARN Bootstrap Root : mismatch in info from procs, nranks 16 vs 8, nroots 1 vs 1, iroot 0 vs 0, offset 0 vs 0",
        "bootstrap.cc:131 NCCL WARN Bootstrap Root : rank 0 of 16 ranks has already checked in",
        "init.cc:1339 NCCL WARN Detected mixed local Net device counts across ranks (min 4, max 8). Set NCCL_IGNORE_NET_MISMATCH=1 to continue.",
        "init.cc:2501 NCCL WARN Invalid rank requested : 2/2",
        "graph/rings.cc:64 NCCL WARN Error : ring 0 does not contain rank 3",
        "bootstrap.cc:73 NCCL WARN Message truncated : received 2048 bytes instead of 1024",
    ],
)
def test_dl804_from_nccls_own_warnings(line: str) -> None:
    assert _codes(line) == {"DL804": "error"}


def test_dl804_explains_the_generic_nccl_error_it_comes_with() -> None:
    text = (
        "torch.distributed.DistBackendError: NCCL error in: ../torch/csrc/distributed/c10d/"
        "ProcessGroupNCCL.cpp:1275, invalid usage, NCCL version 2.18.1\n"
        "ncclInvalidUsage: This usually reflects invalid usage of NCCL library.\n"
        "Last error:\n"
        "Duplicate GPU detected : rank 1 and rank 0 both on CUDA device 1000\n"
    )
    assert _codes(text) == {"DL804": "error"}  # not also "unexplained" (DL901)
    f = _one(text, "DL804")
    assert any("set_device(local_rank)" in getattr(x, "text", "") for x in f.fixes)


@pytest.mark.parametrize(
    "line",
    [
        "NCCL INFO NCCL_MULTI_RANK_GPU_ENABLE set by environment to 1.",
        "NCCL INFO Bootstrap timings total 0.001 (create 0.000, send 0.000, recv 0.000)",
        "NCCL INFO comm 0x55 rank 1 nranks 2 cudaDev 1 busId 2000 - Init COMPLETE",
    ],
)
def test_dl804_not_from_nccls_healthy_info_lines(line: str) -> None:
    assert "DL804" not in _codes(line)


# -- processes per node against the GPUs -----------------------------------------------------
def test_dl804_more_processes_per_node_than_visible_gpus() -> None:
    text = (
        "$ CUDA_VISIBLE_DEVICES=0,1 torchrun --nproc_per_node=4 train.py\n"
        "RuntimeError: CUDA error: invalid device ordinal\n"
    )
    assert _codes(text) == {"DL304": "error", "DL804": "error"}
    f = _one(text, "DL804")
    assert "--nproc_per_node=4" in f.message and "2 GPU(s)" in f.message
    assert any("--nproc_per_node=gpu" in c for c in getattr(f.fixes[0], "commands", []))
    # torchrun's own check says the same
    said = "ValueError: local_rank 2 exceeds available GPUs in CUDA_VISIBLE_DEVICES=0,1"
    assert _codes(said) == {"DL804": "error"}
    # from a pasted GPU table, with no error yet: a warning
    table = SMI_TWO_GPUS + "torchrun --standalone --nproc_per_node=8 train.py\n"
    assert _codes(table).get("DL804") == "warning"


def test_dl804_a_gpu_model_named_in_prose_is_no_count_of_gpus() -> None:
    """ "on my RTX 3090 box" names a model, not how many GPUs the machine has: only GPUs a
    table lists (or CUDA_VISIBLE_DEVICES) count against --nproc_per_node."""
    text = "Training on my RTX 3090 box:\ntorchrun --standalone --nproc_per_node=4 train.py\n"
    assert "DL804" not in _codes(text)


def test_dl804_one_process_per_visible_gpu_is_fine() -> None:
    text = (
        "$ CUDA_VISIBLE_DEVICES=0,1,2,3 torchrun --nproc_per_node=4 train.py\n"
        "RuntimeError: CUDA error: invalid device ordinal\n"
    )
    assert "DL804" not in _codes(text)
    assert "DL804" not in _codes(SMI_TWO_GPUS + "torchrun --nproc_per_node=2 train.py\n")


# -- the rendezvous and the launcher ---------------------------------------------------------
def test_dl804_ranks_missing_from_torchruns_barrier_are_counted() -> None:
    text = (
        "torch.distributed.DistStoreError: Timed out waiting on barrier on rank 0, for key "
        "prefix: /torch.distributed.elastic.rendezvous.tcp/init (world_size=4, "
        "missing_ranks=[Rank 2, Rank 3], timeout=0:05:00)"
    )
    assert _codes(text) == {"DL804": "error"}
    assert "Only 2 of the 4 ranks joined" in _one(text, "DL804").message
    assert _codes("TimeoutError: timed out waiting for all 2 members to join") == {"DL804": "error"}
    assert "DL804" not in _codes(
        "Rank 0: Completed store-based barrier for key:store_based_barrier_key:1 with 8 nodes."
    )


def test_dl804_torch_04s_env_init_without_the_launcher() -> None:
    text = (
        "RuntimeError: rank is not set but it is required for env:// init method at "
        "/opt/conda/conda-bld/pytorch_1524590031827/work/torch/lib/THD/process_group/General.cpp:17"
    )
    assert _codes(text) == {"DL804": "error"}
    assert "DL804" not in _codes("world_size is not set, defaulting to 1")


# -- network and peer-to-peer ----------------------------------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        "transport/net_ib.cc:350 NCCL WARN NET/IB : Unable to open device mlx5_0",
        "bootstrap.cc:577 NCCL WARN no device found matching exactly eth1, verify NCCL_OOB_NET_IFNAME",
        "misc/socket.cc:257 NCCL WARN Net : error encountered when getting address info : Name or service not known",
    ],
)
def test_dl803_ib_devices_and_interfaces_nccl_cannot_use(line: str) -> None:
    assert _codes(line) == {"DL803": "error"}


def test_dl803_not_from_an_ib_device_in_use() -> None:
    assert "DL803" not in _codes("NCCL INFO NET/IB : Using [0]mlx5_0:1/IB ; OOB ib0:10.0.0.1<0>")


def test_dl802_nccl_could_not_peer_two_gpus() -> None:
    text = (
        "transport/p2p.cc:355 NCCL WARN failed to peer with device 0(=1000): 217 peer access "
        "is not supported between these two devices"
    )
    assert _codes(text).get("DL802") == "error"
    # "no P2P between these two" is only information, until the collective hangs
    info = "node1:1:1 [0] NCCL INFO Could not enable P2P between dev 0(=1000) and dev 1(=2000)\n"
    assert "DL802" not in _codes(info)
    assert _codes(info + "all_reduce_perf hangs\n").get("DL802") == "error"


# -- noise -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        "[W socket.cpp:663] [c10d] The IPv6 network addresses of (node1, 29500) cannot be retrieved (gai error: -2 - Name or service not known).",
        "Setting OMP_NUM_THREADS environment variable for each process to be 1 in default, to avoid your system being overloaded, please further tune the variable for optimal performance in your application as needed.",
        "[2023-05-01 10:00:00,123] [WARNING] [runner.py:190:fetch_hostfile] Unable to find hostfile, will proceed with training with local resources only.",
    ],
)
def test_launcher_noise_is_no_finding(line: str) -> None:
    assert _codes(line) == {}


def test_torchs_device_guess_warning_is_no_hang_on_several_gpus() -> None:
    warning = (
        "[rank0]:[W ProcessGroupNCCL.cpp:4115] [PG 0 Rank 0]  using GPU 0 to perform barrier as "
        "devices used by this process are currently unknown. This can potentially cause a hang "
        "if this rank to GPU mapping is incorrect.\n"
    )
    assert "DL802" not in _codes(warning + SMI_TWO_GPUS)
    # the reporter's own "it hangs" on the same two GPUs still counts
    assert _codes(warning + SMI_TWO_GPUS + "training hangs at the first step\n").get("DL802")

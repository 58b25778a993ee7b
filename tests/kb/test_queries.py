from __future__ import annotations

import pytest

from dlenv.kb import queries as q


def test_last_versions_of_the_release_tables() -> None:
    assert (q.kb_last_version("torch"), q.kb_last_version("tensorflow")) == ("2.14", "2.21")
    assert q.kb_last_version("cuda") == "13.5"


@pytest.mark.parametrize(
    ("table", "version", "last"),
    [
        ("torch", "2.17.0+cu132", "2.14"),
        ("torch", "2.15.0.dev20260901+cu132", "2.14"),
        ("torch", "3.0.0", "2.14"),
        ("tensorflow", "2.22.0rc0", "2.21"),
        ("cuda", "13.6.0", "13.5"),
        ("cuda", "14.0", "13.5"),
    ],
)
def test_newer_than_kb(table: q.HorizonTable, version: str, last: str) -> None:
    horizon = q.newer_than_kb(table, version)
    assert horizon == q.Horizon(table, version, last)


def test_newer_than_kb_message() -> None:
    horizon = q.newer_than_kb("torch", "2.17.0+cu132")
    assert horizon is not None
    assert horizon.message == (
        "torch 2.17.0+cu132 is newer than dlenv's knowledge base (last row 2.14); checks that "
        "need the table are skipped"
    )
    cuda = q.newer_than_kb("cuda", "13.6")
    assert cuda is not None and cuda.newer == (
        "CUDA 13.6 is newer than dlenv's knowledge base (last row 13.5)"
    )


@pytest.mark.parametrize(
    ("table", "version"),
    [
        ("torch", "2.14.1+cu130"),
        ("torch", "2.14.0rc3"),
        ("torch", "1.13.1"),
        ("torch", None),
        ("torch", "nightly"),
        ("tensorflow", "2.21.0"),
        ("cuda", "13.3.1"),
        ("cuda", "13.4.2"),
        ("cuda", "12.8"),
    ],
)
def test_known_older_or_unparsable_versions_are_not_beyond(
    table: q.HorizonTable, version: str | None
) -> None:
    assert q.newer_than_kb(table, version) is None


def test_newer_releases_keep_the_checks_that_need_no_row() -> None:
    # The CUDA 13.x minor-version floor covers toolkits newer than the table (13.6 here);
    # a CUDA major the knowledge base has never seen gets no answer rather than a guess.
    req = q.driver_requirement("13.6")
    assert req is not None and (req.minimum, req.minor_compat, req.toolkit_minimum) == (
        "580.65.06",
        True,
        None,
    )
    assert q.driver_requirement("14.0") is None
    assert (
        q.torch_release("2.17.0") is None and q.best_torch_variant("2.17.0", None, "Linux") is None
    )


def test_sonames_per_cuda_release_are_sourced_and_not_the_cuda_major() -> None:
    from dlenv.kb.tables import load as load_kb

    rows = load_kb().sonames
    assert rows and all(r.source.startswith("https://") for r in rows)
    assert all(set(r.sonames) >= {"cudart", "cublas", "cufft", "cusolver", "cusparse"} for r in rows)
    # the math libraries version on their own from CUDA 10.1
    assert q.soname_major("cufft", "11.2") == 10
    assert q.soname_major("cufft", "12") == 11
    assert q.soname_major("cusolver", "12.4") == 11
    assert q.soname_major("cusolver", "11.0") == 10  # TensorFlow 2.4's libcusolver.so.10
    assert q.soname_major("cusolver", "11.1") == 11
    row = q.cuda_sonames("8.0")
    assert row is not None and row.sonames["cublas"] == "libcublas.so.8.0"
    row = q.cuda_sonames("10.1")
    assert row is not None and row.sonames["cublas"] == "libcublas.so.10"
    assert row.sonames["cudart"] == "libcudart.so.10.1"
    assert q.cuda_sonames("7.5") is None and q.cuda_sonames(None) is None


def test_an_unverified_arch_list_starts_no_lower_than_torchs_verified_builds() -> None:
    """torch 2.3's cu118 build has no verified arch list, and CUDA 11.8 still compiles for
    sm_35; but torch's verified builds stopped at sm_37 long before, and torch never brings an
    architecture back: a GT 730 (sm_35) is offered the newest release that verifiably has it,
    not torch 2.3."""
    found = q.newest_torch_for(None, "Linux", ["3.5"])
    assert found is not None
    release, variant = found
    assert variant.arch_list is not None and "sm_35" in variant.arch_list, (release, variant)
    assert q.best_torch_variant("2.3.0", None, "Linux", ["3.5"]) is None
    # a GPU inside the verified range is unaffected
    assert q.best_torch_variant("2.3.0", None, "Linux", ["8.6"]) is not None

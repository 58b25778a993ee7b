"""The KB's manylinux arithmetic: a wheel's tags -> the oldest glibc they admit, a distribution
release -> the glibc it ships, a requested release -> the glibc floor its wheels need."""

from __future__ import annotations

from dlenv.kb.wheels import distro_glibc, glibc_floor, glibc_older, manylinux_glibc


def test_manylinux_tags_name_the_oldest_glibc_they_admit() -> None:
    wheel = "ale_py-0.8.0-cp310-cp310-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl"
    assert manylinux_glibc(wheel) == ("2.27", "x86_64")
    assert manylinux_glibc("x-1.0-cp39-cp39-manylinux2014_aarch64.whl") == ("2.17", "aarch64")
    assert manylinux_glibc("x-1.0-cp39-cp39-manylinux1_x86_64.whl") == ("2.5", "x86_64")
    assert manylinux_glibc("x-1.0-cp39-cp39-win_amd64.whl") is None
    assert manylinux_glibc("x-1.0-cp39-cp39-musllinux_1_1_x86_64.whl") is None


def test_distribution_releases_and_their_glibc() -> None:
    assert distro_glibc("CentOS", "7") == "2.17"
    assert distro_glibc("Red Hat Enterprise Linux Server", "7.9") == "2.17"
    assert distro_glibc("Ubuntu", "18.04") == "2.27"
    assert distro_glibc("Ubuntu", "24.10") is None  # not in the table: unknown, not guessed
    assert distro_glibc("Arch", "rolling") is None
    assert glibc_older("2.17", "2.28") and not glibc_older("2.35", "2.28")


def test_glibc_floor_of_a_requested_release() -> None:
    assert glibc_floor("onnxruntime", "1.18.0") is not None
    assert glibc_floor("onnxruntime", "1.16.3") is None
    assert glibc_floor("torch", "2.7.0+cu126") is not None
    assert glibc_floor("torch", "2.6.0+cu124") is None  # only its cu126 wheels were 2.28
    assert glibc_floor("torch", "2.5.1") is None
    assert glibc_floor("numpy", "2.0.0") is None

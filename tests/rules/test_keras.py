from __future__ import annotations

from dlenv.fix.actions import InstallPackages, SetEnv
from tests.rules.snapshots import (
    cpu_machine,
    dist,
    fired,
    gpu_machine,
    keras,
    only,
    tensorflow,
    torch,
    with_dists,
    with_env,
)


def _tf216(*extra):  # type: ignore[no-untyped-def]
    s = gpu_machine(frameworks=[tensorflow("2.16.1", "12.3", "8.9"), keras("3.3.3")])
    return with_dists(s, *extra)


def test_dl601_transformers_with_keras3() -> None:
    f = only(_tf216(dist("transformers", "4.40.0")), "DL601")
    assert f.fixes == [
        InstallPackages(
            packages=["tf-keras~=2.16.0"], reason="Keras 2 for TensorFlow, as tf-keras"
        ),
        SetEnv(
            name="TF_USE_LEGACY_KERAS",
            value="1",
            reason="make tf.keras the tf-keras (Keras 2) package",
        ),
    ]
    fixed = with_env(
        _tf216(dist("transformers", "4.40.0"), dist("tf-keras", "2.16.0")), TF_USE_LEGACY_KERAS="1"
    )
    assert fired(fixed, "DL601") == []
    # TF 2.15 still bundles Keras 2; no legacy users: nothing to say
    old = gpu_machine(frameworks=[tensorflow("2.15.1", "12.2", "8.9")])
    assert fired(with_dists(old, dist("transformers", "4.40.0")), "DL601") == []
    assert fired(_tf216(), "DL601") == []


def test_dl602_backend_not_installed() -> None:
    s = gpu_machine(frameworks=[torch(), keras("3.6.0", backend="jax", source="KERAS_BACKEND")])
    f = only(s, "DL602")
    assert f.fixes == [
        InstallPackages(packages=["jax"], reason="the configured Keras backend jax"),
        SetEnv(name="KERAS_BACKEND", value="torch", reason="torch is installed"),
    ]
    assert fired(gpu_machine(frameworks=[torch(), keras("3.6.0", backend="torch")]), "DL602") == []
    assert fired(cpu_machine(), "DL602") == []  # tensorflow-cpu provides the default backend


def test_dl603_tf_keras_mismatch() -> None:
    f = only(_tf216(dist("tf-keras", "2.15.1")), "DL603")
    assert f.evidence[0].needed == "2.16.*"
    assert fired(_tf216(dist("tf-keras", "2.16.0")), "DL603") == []


def test_dl604_legacy_flag_without_tf_keras() -> None:
    f = only(with_env(_tf216(), TF_USE_LEGACY_KERAS="1"), "DL604")
    assert f.fixes == [InstallPackages(packages=["tf-keras~=2.16.0"], reason="tf.keras as Keras 2")]
    assert (
        fired(with_env(_tf216(dist("tf-keras", "2.16.0")), TF_USE_LEGACY_KERAS="1"), "DL604") == []
    )
    assert fired(_tf216(), "DL604") == []

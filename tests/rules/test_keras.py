from __future__ import annotations

from dataclasses import replace

from dlenv.fix.actions import InstallPackages, SetEnv
from dlenv.snapshot.model import FrameworkFacts, ReportedError, Snapshot
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


def _said(text: str) -> ReportedError:
    return ReportedError(
        signature="keras3-legacy-needed",
        text=text,
        meaning="Keras 3 is installed but the code or model needs Keras 2 (tf-keras).",
    )


TRANSFORMERS_SAYS = (
    "ValueError: Your currently installed version of Keras is Keras 3, but this is not yet "
    "supported in Transformers. Please install the backwards-compatible tf-keras package with "
    "`pip install tf-keras`."
)


def test_dl601_from_the_message_transformers_printed() -> None:
    keras3 = FrameworkFacts(
        name="keras", distribution="keras", version="", details={"needed_by": "transformers"}
    )
    pasted = Snapshot(frameworks=[keras3], reported_errors=[_said(TRANSFORMERS_SAYS)])
    f = only(pasted, "DL601")
    assert f.title == "Transformers needs Keras 2 (tf-keras), but Keras 3 is installed"
    assert f.evidence[0].found == TRANSFORMERS_SAYS[:160]
    # TensorFlow's version unknown: the fix says to pin tf-keras, or pip upgrades TensorFlow
    assert f.fixes == [
        InstallPackages(
            packages=["tf-keras"],
            reason="Keras 2 for TensorFlow: tf-keras; pin it to your TensorFlow's major.minor "
            "(tf-keras~=2.17.0 for TensorFlow 2.17), or pip upgrades TensorFlow to the newest",
        ),
        SetEnv(
            name="TF_USE_LEGACY_KERAS",
            value="1",
            reason="make tf.keras the tf-keras (Keras 2) package",
        ),
    ]
    # with TensorFlow's version known, tf-keras is pinned to it
    with_tf = replace(pasted, frameworks=[keras3, tensorflow("2.18.0")])
    assert only(with_tf, "DL601").fixes[0] == InstallPackages(
        packages=["tf-keras~=2.18.0"],
        reason="Keras 2 for TensorFlow: the tf-keras release for TensorFlow 2.18.0",
    )
    # near misses: no such message; or tf-keras installed and switched on already
    assert fired(replace(pasted, reported_errors=[]), "DL601") == []
    done = with_env(with_dists(pasted, dist("tf-keras", "2.18.0")), TF_USE_LEGACY_KERAS="1")
    assert fired(done, "DL601") == []

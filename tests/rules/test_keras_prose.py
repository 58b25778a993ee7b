"""DL601 and DL602 from the reporter's own words (prose-keras.toml): each behaviour a bad
snapshot that gives the code as a warning and a good one that gives nothing; and whole pastes
through `dlenv explain`."""

from __future__ import annotations

from dataclasses import replace

from dlenv.fix.actions import InstallPackages
from dlenv.snapshot.model import ReportedError, Snapshot
from tests.rules.snapshots import cpu_machine, fired, keras, only, pasted_codes, tensorflow

_STATEMENTS = {"said-keras2-argument", "said-keras-src-frame", "said-import-fails"}


def _said(s: Snapshot, *pairs: tuple[str, str]) -> Snapshot:
    errors = [
        ReportedError(signature=sig, text=text, meaning="", harmless=sig in _STATEMENTS)
        for sig, text in pairs
    ]
    return replace(s, reported_errors=[*s.reported_errors, *errors])


def _warned(s: Snapshot, code: str) -> list[str]:
    return [c for c, sev in fired_with_severity(s, code) if sev in ("error", "warning")]


def fired_with_severity(s: Snapshot, code: str) -> list[tuple[str, str]]:
    from dlenv.rules import diagnose

    return [(f.code, f.severity) for f in diagnose(s, select=[code])]


BROKE = ("said-keras3-broke", "incompatible with tf 2.16.0")


def test_dl601_keras3_named_as_what_broke_it_warns() -> None:
    f = only(_said(cpu_machine(), BROKE), "DL601")
    assert f.severity == "warning"
    assert any(
        isinstance(a, InstallPackages) and a.packages[0].startswith("tf-keras") for a in f.fixes
    )


def test_dl601_prose_gives_way_to_a_pasted_keras2() -> None:
    s = replace(cpu_machine(), frameworks=[tensorflow("2.15.0", None, None), keras("2.15.0")])
    assert fired(_said(s, BROKE), "DL601") == []


def test_dl601_keras2_argument_inside_keras_src_warns_with_the_port() -> None:
    arg = ("said-keras2-argument", "batch_input_shape=(None, 1)))")
    frame = ("said-keras-src-frame", "/usr/local/lib/python3.12/dist-packages/keras/src/layers/")
    f = only(_said(cpu_machine(), arg, frame), "DL601")
    assert f.severity == "warning"
    assert any("batch_shape" in getattr(a, "text", "") for a in f.fixes)
    assert _warned(_said(cpu_machine(), arg), "DL601") == []  # Keras 2 accepts it


def test_dl601_from_prose_pastes() -> None:
    assert pasted_codes(
        "Hi, I just got an error from my daily test, raised via a new tf version with Keras3.\n"
    ) == {"DL601": "warning"}
    assert pasted_codes("tensorflow==2.16 can't utilize the gpu.\n") == {}  # not a Keras statement
    assert pasted_codes("Downgrading to tensorflow==2.15 fixed it\n") == {"DL601": "warning"}
    assert pasted_codes("tensorflow 2.16 with Keras 3 runs the model without errors\n") == {}


def test_dl602_backend_missing_and_import_failing_warns() -> None:
    backend = ("said-keras-backend-missing", "you should also install the backend of choice")
    fails = ("said-import-fails", "Import test fails.")
    bare = replace(cpu_machine(), frameworks=[])  # a paste that states no Keras facts
    f = only(_said(bare, backend, fails), "DL602")
    assert f.severity == "warning"
    assert fired(_said(bare, backend), "DL602") == []  # advice alone is no failure
    # a machine whose Keras backend is installed outranks the reporter's words
    assert fired(_said(cpu_machine(), backend, fails), "DL602") == []
    assert pasted_codes(
        "Import test fails.  Per pypi:\n> To use keras, you should also install the backend of "
        "choice:\n"
    ) == {"DL602": "warning"}


NO_ERROR = ("said-keras2-no-error", "This does not occur with keras v2.12.0 and tensorflow v2.12.0")


def test_dl601_failure_absent_under_keras2_beside_a_stated_keras3_warns() -> None:
    s = replace(cpu_machine(), frameworks=[tensorflow("2.16.1", None, None), keras("3.2.1")])
    f = only(_said(s, NO_ERROR), "DL601")
    assert f.severity == "warning"
    assert f.evidence[0].fact == "reported_errors.said-keras2-no-error"
    # the Keras 2 that runs is the one the reporter stated: then Keras 3 is not in the picture
    keras2 = replace(cpu_machine(), frameworks=[tensorflow("2.12.0", None, None), keras("2.12.0")])
    assert fired(_said(keras2, NO_ERROR), "DL601") == []


def test_dl601_before_and_after_versions_from_prose_with_release_links() -> None:
    # the failing versions, written as links to their release pages, come first; the Keras 2
    # the reporter rolled back to does not replace them
    paste = (
        "The model file cannot be loaded with latest keras and tensorflow. This is with keras "
        "[v3.2.1](https://github.com/keras-team/keras/releases/tag/v3.2.1) and tensorflow "
        "[v2.16.1](https://github.com/tensorflow/tensorflow/releases/tag/v2.16.1).\n"
        "This does not occur with keras v2.12.0 and tensorflow v2.12.0.\n"
    )
    assert pasted_codes(paste) == {"DL601": "warning"}
    assert pasted_codes("Downgrading to tensorflow v2.15 fixed it\n") == {"DL601": "warning"}
    assert pasted_codes("This does not occur with torch 2.1 on the GPU machine.\n") == {}


def test_dl601_tf1_layers_and_removed_layers_name_keras3() -> None:
    # TensorFlow's lazy loader refuses TF 1 layers under Keras 3 (AI4EPS/PhaseNet#90), and a
    # layer Keras 3 removed is missing from tf.keras (fastmachinelearning/hls4ml#1077)
    assert pasted_codes("AttributeError: `conv2d` is not available with Keras 3.\n") == {
        "DL601": "error"
    }
    assert pasted_codes(
        "AttributeError: module 'tensorflow.keras.layers' has no attribute 'LocallyConnected1D'\n"
    ) == {"DL601": "error"}
    # good: a layer every Keras has, misspelt, says nothing about the Keras major
    assert "DL601" not in pasted_codes(
        "AttributeError: module 'tensorflow.keras.layers' has no attribute 'Conv2d'\n"
    )

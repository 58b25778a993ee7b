from __future__ import annotations

from dataclasses import replace

from dlenv.fix.actions import InstallPackages, ManualStep, SetEnv
from dlenv.importers.explain import explain_text
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
    # nothing known to need Keras 2: a note that tf.keras is Keras 3, no error
    note = only(_tf216(), "DL601")
    assert (note.severity, note.title) == ("info", "tf.keras is Keras 3 with TensorFlow 2.16.1")
    assert note.fixes == [] and note.hint is not None and "tf-keras~=2.16.0" in note.hint
    assert fired(_tf216(dist("tf-keras", "2.16.0")), "DL601") == []


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


def _pasted(signature: str, *frameworks: FrameworkFacts) -> Snapshot:
    said = ReportedError(signature=signature, text=f"<{signature}>", meaning="")
    return Snapshot(frameworks=list(frameworks), reported_errors=[said])


def test_dl601_keras3_refusing_keras2_code_names_the_port() -> None:
    # github.com/serengil/retinaface/issues/93: tf.shape() on a Keras input under TF 2.16.1
    f = only(_pasted("keras3-kerastensor-tf-function", tensorflow("2.16.1")), "DL601")
    assert f.title == "The code needs Keras 2 (tf-keras), but Keras 3 is installed"
    assert [type(a) for a in f.fixes] == [InstallPackages, SetEnv, ManualStep]
    assert f.fixes[0] == InstallPackages(
        packages=["tf-keras~=2.16.0"],
        reason="Keras 2 for TensorFlow: the tf-keras release for TensorFlow 2.16.1",
    )
    assert "wrap each TensorFlow call on a Keras tensor in a layer" in f.fixes[2].text  # type: ignore[union-attr]
    assert f.hint is not None and 'pip install "tensorflow<2.16" "keras<3"' in f.hint
    removed = only(_pasted("keras3-removed-argument"), "DL601")
    assert "keras.Input(batch_shape=...)" in removed.fixes[2].text  # type: ignore[union-attr]
    gone = only(_pasted("keras2-module-gone"), "DL601")
    assert "keras.utils.to_categorical" in gone.fixes[2].text  # type: ignore[union-attr]
    # near miss: an error dlenv does not tie to Keras 3
    assert fired(_pasted("keras-src-missing"), "DL601") == []


def test_dl601_keras3_beside_a_tensorflow_that_needs_keras2() -> None:
    # github.com/keras-team/keras/issues/19390: tensorflow 2.13.1 with keras 3.1.1
    s = gpu_machine(frameworks=[tensorflow("2.13.1", "11.8", "8.6"), keras("3.1.1")])
    f = only(s, "DL601")
    assert f.title == "Keras 3.1.1 is installed, but TensorFlow 2.13.1 needs Keras 2"
    assert f.fixes == [
        InstallPackages(
            packages=["keras>=2.13,<2.14"],
            reason="the Keras 2 release TensorFlow 2.13.1 requires",
        )
    ]
    assert (
        fired(
            gpu_machine(frameworks=[tensorflow("2.13.1", "11.8", "8.6"), keras("2.13.1")]), "DL601"
        )
        == []
    )


def test_dl603_keras2_of_another_minor_than_tensorflow() -> None:
    s = gpu_machine(frameworks=[tensorflow("2.12.0", "11.8", "8.6"), keras("2.15.0")])
    f = only(s, "DL603")
    assert f.fixes == [
        InstallPackages(
            packages=["keras>=2.12,<2.13"], reason="the Keras release TensorFlow requires"
        )
    ]
    assert (
        fired(
            gpu_machine(frameworks=[tensorflow("2.12.0", "11.8", "8.6"), keras("2.12.0")]), "DL603"
        )
        == []
    )


def test_keras_family_end_to_end() -> None:
    def codes(text: str) -> list[tuple[str, str]]:
        findings = explain_text(text, "paste.txt", probe=False).report.findings
        return [(f.code, f.severity) for f in findings]

    assert codes(
        "tensorflow 2.15.0.post1 requires keras<2.16,>=2.15.0, but you have keras 3.0.3 which "
        "is incompatible.\n"
    ) == [("DL601", "error")]
    assert codes(
        "ValueError: Unrecognized keyword arguments passed to Embedding: {'input_length': 100}\n"
    ) == [("DL601", "error")]
    assert codes("ModuleNotFoundError: No module named 'keras.src.engine'\n") == [
        ("DL601", "error")
    ]
    assert codes(
        "tensorflow-intel 2.12.0 requires keras<2.13,>=2.12.0, but you have keras 2.15.0 which "
        "is incompatible.\n"
    ) == [("DL603", "warning")]


def test_dl601_keras3_refusing_keras2_saving_and_keras2_reading_keras3_files() -> None:
    # keras/src/saving/saving_api.py: model.save("model") or save_format="tf" under Keras 3
    f = only(_pasted("keras3-saving-format", tensorflow("2.17.0")), "DL601")
    assert f.title == "The code needs Keras 2 (tf-keras), but Keras 3 is installed"
    assert "keras.layers.TFSMLayer" in f.fixes[2].text  # type: ignore[union-attr]
    # the other side: TensorFlow 2.15 (Keras 2) loading a model Keras 3 saved
    old = _pasted("keras3-file-under-keras2", tensorflow("2.15.0"), keras("2.15.0"))
    f = only(old, "DL601")
    assert f.title == "A model saved by Keras 3 is loaded by Keras 2"
    assert "Keras 2.15.0 (TensorFlow 2.15.0)" in f.message
    assert f.fixes[0] == InstallPackages(
        packages=["tensorflow>=2.16", "keras>=3"], reason="the Keras major that saved the model"
    )
    # near miss: Keras 3 installed, so that message is not Keras 2 reading a Keras 3 file
    assert fired(_pasted("keras3-file-under-keras2", keras("3.3.3")), "DL601") == []


def test_keras_saving_messages_end_to_end() -> None:
    def codes(text: str) -> list[tuple[str, str]]:
        findings = explain_text(text, "paste.txt", probe=False).report.findings
        return [(f.code, f.severity) for f in findings]

    assert codes(
        "ValueError: Invalid filepath extension for saving. Please add either a `.keras` "
        "extension for the native Keras format (recommended) or a `.h5` extension.\n"
    ) == [("DL601", "error")]
    assert codes(
        "TypeError: Error when deserializing class 'InputLayer' using config={'batch_shape': "
        "[None, 224, 224, 3], 'dtype': 'float32'}.\n\nException encountered: Unrecognized "
        "keyword arguments: ['batch_shape']\n"
    ) == [("DL601", "error")]


def test_keras3_removed_aliases_end_to_end() -> None:
    findings = explain_text(
        "ValueError: Argument(s) not recognized: {'lr': 0.001}\n", "paste.txt", probe=False
    ).report.findings
    assert [(f.code, f.severity) for f in findings] == [("DL601", "error")]
    assert "`learning_rate=` instead of `lr=`" in findings[0].fixes[2].text  # type: ignore[union-attr]


def test_keras3_refusing_keras2_files_and_preprocessing_end_to_end() -> None:
    """Keras 2 model files (`groups` in a depthwise/transposed convolution's config), a
    cut-off "File format not supported" under Keras 3's saving_api.py frame, and the
    preprocessing Keras 3 removed: DL601 errors with the port that fits; their near misses
    give nothing."""

    def findings(text: str) -> list[tuple[str, str, str]]:
        out = explain_text(text, "paste.txt", probe=False).report.findings
        return [
            (f.code, f.severity, " ".join(getattr(x, "text", "") for x in f.fixes)) for f in out
        ]

    groups = findings(
        "ValueError: Unrecognized keyword arguments passed to DepthwiseConv2D: {'groups': 1}\n"
    )
    assert [(c, s) for c, s, _ in groups] == [("DL601", "error")]
    assert "`groups` loads with tf-keras" in groups[0][2]
    cut = findings(
        'Traceback (most recent call last):\n  File "/e/lib/python3.10/site-packages/keras/src/'
        'saving/saving_api.py", line 273, in load_weights\n    raise ValueError(\n'
        "ValueError: File format not supporte\n"
    )
    assert [(c, s) for c, s, _ in cut] == [("DL601", "error")]
    assert "TFSMLayer" in cut[0][2]
    pre = findings(
        "ImportError: cannot import name 'ImageDataGenerator' from 'keras.preprocessing.image' "
        "(/usr/lib/python3.11/site-packages/keras/api/preprocessing/image/__init__.py)\n"
    )
    assert [(c, s) for c, s, _ in pre] == [("DL601", "error")]
    assert "image_dataset_from_directory" in pre[0][2]
    # good: Conv2D keeps `groups` in Keras 3 (a typo there is the user's), load_img still exists
    for healthy in (
        "ValueError: Unrecognized keyword arguments passed to Conv2D: {'group': 2}\n",
        "ImportError: cannot import name 'load_img' from 'keras.preprocessing.image'\n",
    ):
        assert all(c != "DL601" for c, _, _ in findings(healthy) if healthy)


def test_dl601_said_legacy_model_format_beside_a_stated_keras3() -> None:
    """An old/legacy model file in the reporter's words is Keras 3's refusal only beside a
    Keras 3 the paste states; beside Keras 2 it says nothing."""

    def codes(text: str) -> list[tuple[str, str]]:
        out = explain_text(text, "paste.txt", probe=False).report.findings
        return [(f.code, f.severity) for f in out if f.severity in ("error", "warning")]

    said = "It seems the trained model has legacy file format.\n"
    bad = codes("Running this on windows 11 and keras version 3.3.3.\n" + said)
    assert bad == [("DL601", "warning")]
    assert codes("Running this on windows 11 and keras version 2.15.0.\n" + said) == []


def test_dl602_from_the_backend_path_in_a_traceback() -> None:
    """Keras's own backend module failing to import its framework names the backend, whatever
    the wording around it (Keras 3's keras/src/backend/<name>/, Keras 2's <name>_backend.py)."""

    def found(text: str) -> list[tuple[str, str]]:
        findings = explain_text(text, "paste.txt", probe=False).report.findings
        return [(f.code, f.subject or "") for f in findings if f.code == "DL602"]

    keras3 = (
        "Traceback (most recent call last):\n"
        '  File "/home/u/app/train.py", line 1, in <module>\n'
        "    import keras\n"
        '  File "/home/u/.venv/lib/python3.11/site-packages/keras/src/backend/jax/core.py", '
        "line 1, in <module>\n"
        "    import jax\n"
        "ModuleNotFoundError: No module named 'jax'\n"
    )
    keras2 = (
        '  File "C:\\Users\\u\\Anaconda3\\lib\\site-packages\\keras\\backend\\tensorflow_backend.py"'
        ", line 5, in <module>\n"
        "    import tensorflow as tf\n"
        "ImportError: No module named tensorflow\n"
    )
    assert found(keras3) and found(keras2)
    # the same missing module from the user's own file is not Keras's backend
    own = (
        '  File "/home/u/app/backend/jax_utils.py", line 1, in <module>\n'
        "    import jax\n"
        "ModuleNotFoundError: No module named 'jax'\n"
    )
    assert found(own) == []


def test_dl602_a_keras_library_without_the_tensorflow_it_needs() -> None:
    """keras-team/keras#19542: keras_nlp with the torch backend and no TensorFlow installed;
    keras-nlp/keras-cv/keras-hub import TensorFlow for preprocessing whatever the backend. The
    failed import of tensorflow (DL403 from the text) is explained by it."""
    traceback = (
        "Traceback (most recent call last):\n"
        '  File "/home/u/miniconda3/envs/e/lib/python3.10/site-packages/keras_nlp/src/backend/'
        'config.py", line 21, in detect_if_tensorflow_uses_keras_3\n'
        "    from tensorflow import keras\n"
        "ModuleNotFoundError: No module named '{mod}'\n"
    )
    report = explain_text(traceback.format(mod="tensorflow"), "t", probe=False).report
    [f] = [f for f in report.findings if f.severity == "error"]
    assert f.code == "DL602" and f.title == "keras-nlp needs tensorflow, which is not installed"
    assert f.fixes == [
        InstallPackages(
            packages=["tensorflow"],
            reason="keras-nlp imports it (the CPU build is enough when another backend runs the "
            "model)",
        )
    ]
    # another module missing from the same frame is not the framework the library needs
    report = explain_text(traceback.format(mod="sentencepiece"), "t", probe=False).report
    assert [f.code for f in report.findings if f.code == "DL602"] == []


def test_dl601_keras2_add_weight_call_under_keras3() -> None:
    """tensorflow/recommenders#712: Keras 2 code calling add_weight("counter", ...) positionally
    under Keras 3, whose add_weight takes `shape` first: the name read as a shape, one character
    per dimension. DL601 with the keyword port; a real shape error is not this."""
    from tests.rules.snapshots import pasted_codes

    line = (
        "ValueError: Cannot convert '('c', 'o', 'u', 'n', 't', 'e', 'r')' to a shape. Found "
        "invalid entry 'c' of type '<class 'str'>'.\n"
    )
    assert pasted_codes(line).get("DL601") == "error"
    assert "DL601" not in pasted_codes("ValueError: Cannot convert '(32, None)' to a shape.\n")

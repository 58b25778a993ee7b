"""Rules about Keras: Keras 3 versus code that expects tf.keras 2, backends that are not
installed, tf-keras that does not match TensorFlow. Codes DL6xx.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from dlenv.fix.actions import InstallPackages, ManualStep, SetEnv
from dlenv.kb.queries import (
    keras_backend_distributions,
    legacy_keras_users,
    major_minor,
    tensorflow_fact,
    version_at_least,
)
from dlenv.rules.derived import installed, label, verdict, version_of
from dlenv.rules.findings import Evidence, Finding, first_line
from dlenv.rules.registry import finding, rule
from dlenv.snapshot.model import Snapshot


def _tf_keras_pin(tf_version: str) -> str:
    mm = major_minor(tf_version)
    return f"tf-keras~={mm[0]}.{mm[1]}.0" if mm else "tf-keras"


@rule("DL601", "keras3-breaks-tf-keras-users", "error", "keras")
def keras3_breaks_legacy_users(s: Snapshot) -> Iterator[Finding]:
    """What it checks: TensorFlow 2.16 or newer (whose tf.keras is Keras 3) together with
    packages written for tf.keras 2 (transformers' TF models, tensorflow-probability,
    tf-models-official), while tf-keras is not installed or not switched on.

    Why it matters: they fail at import or at model build: transformers raises "Your currently
    installed version of Keras is Keras 3, but this is not yet supported in Transformers.
    Please install the backwards-compatible tf-keras package".

    Example: tensorflow 2.16.1, keras 3.3.3 and transformers 4.40 without tf-keras.

    A pasted traceback with that message (or Keras 3's "`keras.optimizers.legacy` is not
    supported in Keras 3", or tensorflow_hub's KerasLayer refused by a Keras 3 Sequential) is
    the same fault, stated by the program itself; so is an AttributeError inside a module only
    Keras 3 has (`module 'keras._tf_keras.keras.layers' has no attribute 'experimental'`), and
    so are the ways Keras 3 refuses Keras 2 code: TensorFlow's "`conv2d` is not available with
    Keras 3" for TF 1 layers (tf.compat.v1.layers), a layer Keras 3 removed missing from tf.keras
    (`module 'tensorflow.keras.layers' has no attribute 'LocallyConnected1D'`, ThresholdedReLU,
    DenseFeatures), "A KerasTensor cannot be used as input to a
    TensorFlow function", "Unrecognized keyword arguments passed to LSTM: {'batch_input_shape':
    ...}" (also batch_size, input_length, weights, and `{'groups': 1}` for a DepthwiseConv2D
    or Conv2DTranspose from a Keras 2 model file), imports of modules only Keras 2 had
    (keras.engine, keras.src.engine, keras.layers.experimental, keras.utils.np_utils,
    tensorflow.python.keras) or of the preprocessing Keras 3 removed (ImageDataGenerator,
    Tokenizer, keras.preprocessing.text), and "Keras 3 only supports V3 `.keras` files" for an
    old .h5 or SavedModel, or Keras 3's refusals of Keras 2 saving ("Invalid filepath extension
    for saving", "The `save_format` argument is deprecated in Keras 3", "File format not
    supported: filepath=...", also cut off, under a keras/src/saving/saving_api.py frame), of
    its removed aliases ("Argument(s) not recognized: {'lr': 0.001}",
    "'Sequential' object has no attribute 'fit_generator'"), Keras 2's add_weight(name, ...)
    called positionally, the name read as Keras 3's first argument, the shape ("Cannot convert
    '('c', 'o', 'u', 'n', 't', 'e', 'r')' to a shape"), and TensorFlow's TFLite converter
    given a Keras 3 model ("object has no attribute '_get_save_spec'"). The other side: Keras 2
    loading a model Keras 3 saved ("Unrecognized keyword arguments: ['batch_shape']"), whose fix
    is Keras 3. Keras 3 installed beside a TensorFlow older than 2.16 (which requires Keras 2:
    pip's "tensorflow 2.13.1 requires keras<2.14,>=2.13.1, but you have keras 3.1.1") is the
    same conflict from the other side; the fix there is the Keras 2 that TensorFlow requires.
    With TensorFlow 2.16 or newer, Keras 3 and no tf-keras, and nothing known to need Keras 2,
    a note (info) says that tf.keras is Keras 3. In the reporter's words, as a warning:
    Keras 3 / TensorFlow 2.16 named as what broke the code ("incompatible with tf 2.16.0"),
    Keras 2 back that made it work ("downgrading to tensorflow 2.15 fixed it"), the failure
    that "does not occur with keras v2.12.0" beside a stated Keras 3, a Keras 2
    argument (batch_input_shape=) in a traceback that runs inside keras/src, or a model file
    the reporter calls old or legacy beside a Keras 3 (or TensorFlow 2.16+) the paste states;
    not where a pasted version says Keras 2 runs.

    Fix: `pip install tf-keras~=2.16.0` and set TF_USE_LEGACY_KERAS=1 before TensorFlow is
    imported (tf.keras code; `import keras` code needs `import tf_keras as keras`); or pin
    Keras 2 (`pip install "tensorflow<2.16" "keras<3"`); or port the call that fails (for
    example `keras.Input(batch_shape=...)` instead of `batch_input_shape=`, a layer around a
    TensorFlow op). With TensorFlow older than 2.16: `pip install "keras>=2.13,<2.14"` (the
    Keras 2 that TensorFlow 2.13 requires).
    """
    tf_version = version_of(s, "tensorflow") or version_of(s, "tensorflow-cpu")
    keras3 = tensorflow_fact("keras3_since")
    keras_version = version_of(s, "keras")
    if not tf_version or version_at_least(tf_version, keras3) is not True:
        if tf_version and keras_version and version_at_least(keras_version, "3.0"):
            yield _keras3_over_keras2_tensorflow(s, tf_version, keras_version)
            return
        yield from _keras3_reported(s, tf_version)
        return
    # keras 2.15 is the last Keras 2 of the keras package: "2.16" is tf-keras's version misread
    if keras_version is not None and version_at_least(keras_version, "2.16") is not True:
        return
    users = [name for name in legacy_keras_users() if installed(s, name)]
    if not users:
        said = list(_keras3_reported(s, tf_version))
        yield from said or _keras3_note(s, tf_version, keras_version)
        return
    has_tf_keras = installed(s, "tf-keras")
    legacy_on = s.env_value("TF_USE_LEGACY_KERAS") in ("1", "true", "True")
    if has_tf_keras and legacy_on:
        return
    fixes: list[InstallPackages | SetEnv] = []
    if not has_tf_keras:
        fixes.append(
            InstallPackages(
                packages=[_tf_keras_pin(tf_version)], reason="Keras 2 for TensorFlow, as tf-keras"
            )
        )
    if not legacy_on:
        fixes.append(
            SetEnv(
                name="TF_USE_LEGACY_KERAS",
                value="1",
                reason="make tf.keras the tf-keras (Keras 2) package",
            )
        )
    missing = "tf-keras is not installed" if not has_tf_keras else "TF_USE_LEGACY_KERAS is not set"
    yield finding(
        "DL601",
        title=f"{', '.join(users)} expect(s) tf.keras 2, but TensorFlow {tf_version} uses Keras 3",
        message=f"TensorFlow {tf_version} makes tf.keras Keras 3 (keras {keras_version or '3'});"
        f" {', '.join(users)} need(s) Keras 2 through tf-keras, and {missing}.",
        evidence=[
            Evidence(
                fact="frameworks.keras.version",
                found=keras_version or "3.x",
                needed="tf-keras with TF_USE_LEGACY_KERAS=1",
                note=f"needed by {', '.join(users)}",
            ),
        ],
        fixes=list(fixes),
        subject="keras",
    )


KERAS3_MESSAGE = "keras3-legacy-needed"  # dlenv.importers.signatures: the program said it
KERAS3_MISSING = "keras3-module-missing-attribute"  # Keras 2 code failing inside Keras 3
_SAVING_PORT = (
    "save with a `.keras` (or `.h5`) file name and no `save_format=`, export a SavedModel with "
    "`model.export(path)`, load one with `keras.layers.TFSMLayer(path, "
    "call_endpoint='serving_default')`, and name weights files `*.weights.h5`"
)
# Keras 2 code that Keras 3 refuses, each with the change that ports the call instead
KERAS3_PORTS = {
    KERAS3_MESSAGE: "",
    KERAS3_MISSING: "",
    "keras3-kerastensor-tf-function": "wrap each TensorFlow call on a Keras tensor in a layer "
    "(`class MyLayer(keras.layers.Layer): def call(self, x): return tf_fn(x)`) or use the "
    "`keras.ops` equivalent",
    "keras3-removed-argument": "start the model with `keras.Input(batch_shape=...)` (or "
    "`shape=`) instead of `batch_input_shape=`/`batch_size=` on a layer, and drop "
    "`input_length=` (a Keras 2 model file whose DepthwiseConv2D/Conv2DTranspose configs carry "
    "`groups` loads with tf-keras, or after re-saving it from Keras 2 as `.keras`)",
    "keras3-saving-format": _SAVING_PORT,
    "keras3-saving-format-frame": _SAVING_PORT,
    "keras3-preprocessing-removed": "load images with `keras.utils.image_dataset_from_directory` "
    "and augment with preprocessing layers (`keras.layers.RandomFlip`, `RandomRotation`...), "
    "tokenize with `keras.layers.TextVectorization`, instead of ImageDataGenerator, Tokenizer "
    "and TimeseriesGenerator",
    "keras3-model-lacks-tf-keras-internals": "export with Keras 3's own API "
    "(`model.export(path)` and `tf.lite.TFLiteConverter.from_saved_model(path)`) instead of "
    "`from_keras_model`",
    "keras3-removed-alias": "`learning_rate=` instead of `lr=`, and `model.fit(generator)`, "
    "`model.evaluate(...)`, `model.predict(...)` instead of the *_generator methods",
    "keras3-tf1-api-unavailable": "replace the TF 1 layer calls (`tf.compat.v1.layers.conv2d`, "
    "`dense`, `flatten`...) with Keras layers (`keras.layers.Conv2D`, `Dense`, `Flatten`) or "
    "keep them on tf-keras",
    "keras3-removed-layer": "replace the removed layer (LocallyConnected1D/2D, ThresholdedReLU "
    "as `keras.layers.ReLU(threshold=...)`, DenseFeatures) or keep the model on tf-keras",
    "keras3-add-weight-name-as-shape": "pass add_weight's arguments by keyword "
    "(`self.add_weight(name=\"counter\", shape=(), ...)`): Keras 3 takes `shape` first",
    "keras2-module-gone": "import from the public API (`keras.layers.Layer`, `keras.Model`, "
    "`keras.utils.to_categorical` instead of `np_utils`, `keras.optimizers.Adam` instead of "
    "`optimizers.legacy`) instead of Keras 2's modules or private internals",
}


KERAS3_FILE = "keras3-file-under-keras2"  # Keras 2 reading what Keras 3 saved


def _keras3_file_under_keras2(s: Snapshot, said_text: str, tf_version: str | None) -> Finding:
    """DL601 from the other side: Keras 2 cannot read a model that Keras 3 saved."""
    keras_version = version_of(s, "keras")
    have = f"Keras {keras_version}" if keras_version else "Keras 2"
    if tf_version:
        have += f" (TensorFlow {tf_version})"
    return finding(
        "DL601",
        title="A model saved by Keras 3 is loaded by Keras 2",
        message=f"The paste shows {have} failing to read a model that Keras 3 saved (Keras 3 "
        "writes `batch_shape` and other configs Keras 2 does not know): the two environments "
        "run different Keras majors.",
        evidence=[
            Evidence(
                fact=f"reported_errors.{KERAS3_FILE}",
                found=first_line(said_text, 160),
                needed="Keras 3 (TensorFlow 2.16 or newer) to load it",
            )
        ],
        hint="Or save the model again where it was trained, in a format Keras 2 reads: "
        "with tf-keras (TF_USE_LEGACY_KERAS=1) to `.h5`, or its weights only.",
        fixes=[
            InstallPackages(
                packages=["tensorflow>=2.16", "keras>=3"],
                reason="the Keras major that saved the model",
            ),
            ManualStep(
                text="Check which Keras saved the model and which one loads it; run both with "
                "the same major.",
                commands=['python -c "import keras; print(keras.__version__)"'],
            ),
        ],
        subject="keras",
    )


def _keras3_reported(s: Snapshot, tf_version: str | None) -> Iterator[Finding]:
    """DL601 from a pasted message: Keras 3 refused code written for Keras 2 (or Keras 2
    could not read what Keras 3 saved)."""
    said = next((e for e in s.reported_errors if e.signature in KERAS3_PORTS), None)
    newer = next((e for e in s.reported_errors if e.signature == KERAS3_FILE), None)
    keras_version = version_of(s, "keras")
    keras2 = version_at_least(keras_version or "2", "3.0") is not True
    if said is None and newer is not None and keras2:
        yield _keras3_file_under_keras2(s, newer.text, tf_version)
        return
    if said is None and newer is None:
        yield from _keras3_said(s, tf_version)
        return
    if said is None or (
        installed(s, "tf-keras") and s.env_value("TF_USE_LEGACY_KERAS") in ("1", "true", "True")
    ):
        return
    keras = s.framework("keras")
    who = (keras.details.get("needed_by") if keras is not None else None) or "the code"
    # tf-keras X.Y requires tensorflow X.Y, so an unpinned install upgrades TensorFlow
    # (https://github.com/keras-team/keras-io/pull/2070: "tf-keras==2.19 requires tensorflow==2.19")
    pin = _tf_keras_pin(tf_version) if tf_version else "tf-keras"
    match = (
        f"the tf-keras release for TensorFlow {tf_version}"
        if tf_version
        else "tf-keras; pin it to your TensorFlow's major.minor (tf-keras~=2.17.0 for "
        "TensorFlow 2.17), or pip upgrades TensorFlow to the newest"
    )
    yield finding(
        "DL601",
        title=f"{who[0].upper()}{who[1:]} needs Keras 2 (tf-keras), but Keras 3 is installed",
        message=f"The paste shows {who} "
        + ("refusing" if said.signature == KERAS3_MESSAGE else "failing under")
        + " Keras 3: it needs the Keras 2 API, which "
        "TensorFlow 2.16 and newer provide only through the tf-keras package (tf.keras is "
        "Keras 3 there).",
        evidence=[
            Evidence(
                fact=f"reported_errors.{said.signature}",
                found=first_line(said.text, 160),
                needed="tf-keras installed (and TF_USE_LEGACY_KERAS=1)",
                note=f"needed by {who}",
            )
        ],
        hint="transformers sets TF_USE_LEGACY_KERAS=1 itself; your own tf.keras code needs it "
        "set too (before TensorFlow is imported). If you use transformers with PyTorch only, "
        "USE_TF=0 keeps it away from TensorFlow altogether."
        if said.signature == KERAS3_MESSAGE
        else "TF_USE_LEGACY_KERAS=1 must be set before TensorFlow is imported, and it changes "
        "only `tf.keras`: code that does `import keras` needs `import tf_keras as keras`, or "
        'Keras 2 itself: `pip install "tensorflow<2.16" "keras<3"`.',
        fixes=[
            InstallPackages(packages=[pin], reason=f"Keras 2 for TensorFlow: {match}"),
            SetEnv(
                name="TF_USE_LEGACY_KERAS",
                value="1",
                reason="make tf.keras the tf-keras (Keras 2) package",
            ),
            *_port(said.signature),
        ],
        subject="keras",
    )


# the reporter's words (prose-keras.toml): Keras 3 / TensorFlow 2.16 named as what broke it, Keras
# 2 back made it work; a Keras 2 argument in a traceback that runs inside keras/src
KERAS3_SAID = ("said-keras3-broke", "said-keras2-fix-works", "said-keras2-no-error")
KERAS2_ARGUMENT = "said-keras2-argument"
KERAS_SRC_FRAME = "said-keras-src-frame"
LEGACY_FORMAT = "said-legacy-model-format"  # "the trained model has legacy file format"


def _keras3_said(s: Snapshot, tf_version: str | None) -> Iterator[Finding]:
    """DL601 from the reporter's words, as a warning: what they say broke (Keras 3, TensorFlow
    2.16) or fixed it (Keras 2 back), or Keras 2 code failing inside Keras's keras/src modules.
    Not where a pasted version says Keras 2 runs (TensorFlow older than 2.16, keras 2.x)."""
    keras_version = version_of(s, "keras")
    # the last Keras 2 release of the keras package is 2.15: a "keras 2.16" read from prose is
    # tf-keras's version ("tf-keras==2.16"), which says nothing about the Keras that runs
    if version_at_least(keras_version or "3", "2.16") is not True:
        return
    tf = s.framework("tensorflow")
    if tf is not None and tf.details.get("legacy_keras_missing"):
        return  # TF_USE_LEGACY_KERAS without tf-keras: Keras 2 was asked for, the package is gone
    said = [e for e in s.reported_errors if e.signature in KERAS3_SAID]
    argument = [e for e in s.reported_errors if e.signature == KERAS2_ARGUMENT]
    frame = [e for e in s.reported_errors if e.signature == KERAS_SRC_FRAME]
    code = argument[:1] + frame[:1] if argument and frame else []
    # an old (Keras 2) model file, beside a Keras 3 the paste states (keras 3.x, TensorFlow
    # 2.16 or newer): the file format Keras 3 no longer reads
    legacy = [e for e in s.reported_errors if e.signature == LEGACY_FORMAT]
    stated3 = version_at_least(keras_version or "0", "3.0") is True or (
        not keras_version and version_at_least(tf_version or "0", "2.16") is True
    )
    if legacy and stated3 and not said and not code:
        code = legacy[:1]
    if tf_version and version_at_least(tf_version, "2.16") is False and not keras_version:
        # TensorFlow older than 2.16 runs Keras 2: only "going back to it fixed it" still says
        # Keras 3 was the fault (its version is then the one that works)
        said = [e for e in said if e.signature in ("said-keras2-fix-works", "said-keras2-no-error")]
        code = []
    if not said and not code:
        return
    pin = _tf_keras_pin(tf_version) if tf_version else "tf-keras"
    yield finding(
        "DL601",
        title="Keras 3 probably broke code written for Keras 2",
        message=(
            "The report says Keras 3 (TensorFlow 2.16 or newer) broke the code, or that Keras 2 "
            "made it work"
            if said
            else f"The report says the model file is in an old format while Keras "
            f"{keras_version or '3 (TensorFlow ' + (tf_version or '2.16+') + ')'} runs"
            if code[0].signature == LEGACY_FORMAT
            else "The traceback runs inside Keras's keras/src modules and the failing call "
            "passes a Keras 2 argument (batch_input_shape=, input_length=) that Keras 3 refuses"
        )
        + ": TensorFlow 2.16 and newer make tf.keras Keras 3, and code or packages written for "
        "Keras 2 fail there.",
        severity="warning",
        evidence=[
            Evidence(
                fact=f"reported_errors.{e.signature}",
                found=first_line(e.text, 160),
                needed="Keras 2 (tf-keras with TF_USE_LEGACY_KERAS=1, or tensorflow<2.16) "
                "for Keras 2 code",
            )
            for e in (said[:2] or code)
        ],
        hint="Check which Keras runs: `python -c \"import keras; print(keras.__version__)\"` (3.x "
        "is Keras 3). TF_USE_LEGACY_KERAS=1 must be set before TensorFlow is imported.",
        fixes=[
            InstallPackages(packages=[pin], reason="Keras 2 for TensorFlow, as tf-keras"),
            SetEnv(
                name="TF_USE_LEGACY_KERAS",
                value="1",
                reason="make tf.keras the tf-keras (Keras 2) package",
            ),
            ManualStep(
                text='Or pin Keras 2 itself: `pip install "tensorflow<2.16" "keras<3"`.',
                commands=['pip install "tensorflow<2.16" "keras<3"'],
            ),
            *_port(
                ""
                if said or not code
                else "keras3-saving-format"
                if code[0].signature == LEGACY_FORMAT
                else "keras3-removed-argument"
            ),
        ],
        subject="keras",
    )


def _port(signature: str) -> list[ManualStep]:
    change = KERAS3_PORTS.get(signature)
    if not change:
        return []
    return [ManualStep(text=f"Or port the code to Keras 3: {change}.")]


def _keras2_pin(tf_version: str) -> str:
    mm = major_minor(tf_version)
    if mm is None or mm < (2, 6):
        return "keras<3"
    return f"keras>={mm[0]}.{mm[1]},<{mm[0]}.{mm[1] + 1}"


def _keras3_over_keras2_tensorflow(s: Snapshot, tf_version: str, keras_version: str) -> Finding:
    """DL601 for Keras 3 installed beside a TensorFlow (< 2.16) that requires Keras 2."""
    keras = s.framework("keras")
    spec = (keras.details.get("required_by_tensorflow") if keras is not None else None) or (
        _keras2_pin(tf_version)
    )
    return finding(
        "DL601",
        title=f"Keras {keras_version} is installed, but TensorFlow {tf_version} needs Keras 2",
        message=f"TensorFlow {tf_version} is built for Keras 2 ({spec}); Keras {keras_version} "
        "(Keras 3) replaced it, usually pulled in by `pip install keras` or a package such as "
        "keras-nlp. Keras 3 runs only on TensorFlow 2.16 or newer, so `import keras` and tf.keras "
        "code break.",
        evidence=[
            Evidence(
                fact="frameworks.keras.version",
                found=keras_version,
                needed=spec,
                note=f"needed by tensorflow {tf_version}",
            )
        ],
        hint='Or, if the code is written for Keras 3, upgrade TensorFlow: `pip install '
        '"tensorflow>=2.16"`.',
        fixes=[
            InstallPackages(
                packages=[_keras2_pin(tf_version)],
                reason=f"the Keras 2 release TensorFlow {tf_version} requires",
            )
        ],
        subject="keras",
    )


def _keras3_note(s: Snapshot, tf_version: str, keras_version: str | None) -> Iterator[Finding]:
    """DL601 as information: tf.keras is Keras 3 here, and nothing is known to need Keras 2."""
    if installed(s, "tf-keras") or (keras_version is None and not installed(s, "keras")):
        return
    yield finding(
        "DL601",
        title=f"tf.keras is Keras 3 with TensorFlow {tf_version}",
        message=f"TensorFlow {tf_version} makes tf.keras Keras 3 (keras {keras_version or '3'}) "
        "and tf-keras is not installed: code written for Keras 2 (batch_input_shape=, "
        "TensorFlow ops on Keras inputs, .h5/SavedModel loading, keras.engine imports) fails "
        "here.",
        severity="info",
        evidence=[
            Evidence(
                fact="frameworks.keras.version",
                found=keras_version or "3.x",
                note=f"tf.keras of tensorflow {tf_version}",
            )
        ],
        hint=f"For Keras 2 code: `pip install {_tf_keras_pin(tf_version)}` and "
        "TF_USE_LEGACY_KERAS=1 (set before TensorFlow is imported).",
        subject="keras",
    )


_BACKEND_IMPORT = "keras-backend-import-missing"  # keras-modules.toml
_LIBRARY_IMPORT = "keras-library-needs-framework"  # keras-modules.toml: KerasNLP/CV/Hub
_KERAS_LIBRARY = re.compile(r"[/\\](keras_nlp|keras_cv|keras_hub)[/\\]")
_MISSING_MODULE = re.compile(r"No module named '?(?P<mod>[\w.]+)")


def _missing(text: str, default: str) -> tuple[str, str]:
    """The top-level module "No module named ..." names in a traceback, and the package that
    provides it."""
    m = _MISSING_MODULE.search(text)
    module = (m["mod"] if m else default).split(".")[0]
    return module, {"tensorflow_text": "tensorflow-text", "jaxlib": "jax"}.get(module, module)


def _failed_import_evidence(signature: str, text: str, package: str) -> Evidence:
    return Evidence(
        fact=f"reported_errors.{signature}",
        found=first_line(text.strip().splitlines()[-1], 200),
        needed=f"{package} installed",
    )


def _library_import_failed(text: str) -> Finding:
    """DL602 from a traceback: KerasNLP/KerasCV/KerasHub could not import the framework they
    need for preprocessing (TensorFlow, whatever the Keras backend)."""
    module, package = _missing(text, "tensorflow")
    lib = (m2[1] if (m2 := _KERAS_LIBRARY.search(text)) else "keras_nlp").replace("_", "-")
    return finding(
        "DL602",
        title=f"{lib} needs {package}, which is not installed",
        message=f"{lib} imports {module} and it is not installed: the Keras libraries "
        "(keras-nlp, keras-cv, keras-hub) use TensorFlow for preprocessing whatever backend "
        "Keras runs on, so it must be installed beside the backend.",
        evidence=[_failed_import_evidence(_LIBRARY_IMPORT, text, package)],
        fixes=[
            InstallPackages(
                packages=[package],
                reason=f"{lib} imports it (the CPU build is enough when another backend runs "
                "the model)",
            )
        ],
        subject=package,  # so the failed import of it (DL403) is explained
    )


def _backend_import_failed(text: str) -> Finding:
    """DL602 from a traceback: Keras's own backend module could not import its framework."""
    module, package = _missing(text, "the backend")
    return finding(
        "DL602",
        title=f"Keras backend {package!r} is not installed",
        message=f"Keras's own {package} backend module failed to import {module}: the backend "
        "Keras is configured to use (KERAS_BACKEND, ~/.keras/keras.json, default tensorflow) "
        "is not installed in this environment.",
        evidence=[_failed_import_evidence(_BACKEND_IMPORT, text, package)],
        fixes=[
            InstallPackages(packages=[package], reason="the backend Keras is configured to use"),
            ManualStep(
                text="Or point Keras at a backend that is installed, before importing keras.",
                commands=[
                    "pip list | grep -iE 'tensorflow|torch|jax'",
                    "export KERAS_BACKEND=torch  # or jax / tensorflow: one that is installed",
                ],
            ),
        ],
        subject=package,  # so the failed import of it (DL403) is explained
    )


_BACKEND_SAID = "said-keras-backend-missing"  # prose-keras.toml
_IMPORT_FAILS = "said-import-fails"


def _backend_said(s: Snapshot) -> Iterator[Finding]:
    """DL602 from the reporter's words, as a warning: no backend installed for Keras 3, and an
    import that fails (said, or a program's error quoted). Not for a pasted Keras 2."""
    keras_version = version_of(s, "keras")
    if version_at_least(keras_version or "3", "3.0") is not True:
        return
    said = [e for e in s.reported_errors if e.signature == _BACKEND_SAID]
    failed = [
        e
        for e in s.reported_errors
        if e.signature == _IMPORT_FAILS or (not e.harmless and not e.signature.startswith("said-"))
    ]
    if not said or not failed:
        return
    yield finding(
        "DL602",
        title="Keras 3 probably has no backend installed",
        message="The report says no backend is installed for Keras 3 and an import fails: Keras 3 "
        "runs on TensorFlow, JAX or PyTorch and imports the configured one (KERAS_BACKEND, "
        "~/.keras/keras.json, default tensorflow) when `import keras` runs.",
        severity="warning",
        evidence=[
            Evidence(
                fact=f"reported_errors.{e.signature}",
                found=first_line(e.text, 160),
                needed="the configured backend installed",
            )
            for e in said[:1] + failed[:1]
        ],
        fixes=[
            InstallPackages(packages=["tensorflow"], reason="Keras 3's default backend"),
            ManualStep(
                text="Or install another backend and select it before importing keras.",
                commands=[
                    "pip install jax   # or: pip install torch",
                    "export KERAS_BACKEND=jax   # or torch: the one installed",
                ],
            ),
        ],
        subject="keras",
    )


@rule("DL602", "keras-backend-not-installed", "error", "keras")
def keras_backend_missing(s: Snapshot) -> Iterator[Finding]:
    """What it checks: that the backend Keras 3 is configured to use (KERAS_BACKEND or
    ~/.keras/keras.json, default tensorflow) is installed. In a pasted traceback: Keras's own
    backend module (keras/src/backend/jax/..., keras/backend/tensorflow_backend.py) failing to
    import its framework ("No module named 'jax'"), which names the backend by its path; or
    KerasNLP/KerasCV/KerasHub failing to import TensorFlow, which they need for preprocessing
    whatever the backend. In the reporter's words, as a warning: no backend installed ("you
    should also install the backend of choice") together with an import that fails.

    Why it matters: `import keras` fails with "ModuleNotFoundError: No module named 'jax'"
    (or torch/tensorflow) before any model code runs.

    Example: KERAS_BACKEND=jax with keras 3.3.3 and only torch installed.

    Fix: install the backend, or configure one that is installed.
    """
    said = next((e for e in s.reported_errors if e.signature == _BACKEND_IMPORT), None)
    if said is not None:
        yield _backend_import_failed(said.text)
        return
    said = next((e for e in s.reported_errors if e.signature == _LIBRARY_IMPORT), None)
    if said is not None:
        yield _library_import_failed(said.text)
        return
    keras = s.framework("keras")
    if keras is None or not version_at_least(keras.version, "3.0") or not keras.backend:
        yield from _backend_said(s)
        return
    dists = keras_backend_distributions(keras.backend)
    if dists is None or any(installed(s, d) for d in dists):
        return
    present = [
        b
        for b in ("tensorflow", "jax", "torch")
        if any(installed(s, d) for d in keras_backend_distributions(b) or ())
    ]
    fixes: list[InstallPackages | SetEnv] = [
        InstallPackages(packages=[dists[0]], reason=f"the configured Keras backend {keras.backend}")
    ]
    if present:
        fixes.append(
            SetEnv(name="KERAS_BACKEND", value=present[0], reason=f"{present[0]} is installed")
        )
    yield finding(
        "DL602",
        title=f"Keras backend {keras.backend!r} is not installed",
        message=f"{label(keras)} is configured to use the {keras.backend} backend (from "
        f"{keras.backend_source or 'its configuration'}), but {dists[0]} is not installed.",
        evidence=[
            Evidence(
                fact="frameworks.keras.backend",
                found=keras.backend,
                needed=f"one of {', '.join(present) or 'tensorflow, jax, torch'}",
                note=f"set by {keras.backend_source or 'configuration'}",
            )
        ],
        fixes=list(fixes),
        subject="keras",
    )


@rule("DL603", "tf-keras-version-mismatch", "warning", "keras")
def tf_keras_mismatch(s: Snapshot) -> Iterator[Finding]:
    """What it checks: that tf-keras has the same major.minor as TensorFlow (tf-keras 2.16.x
    goes with tensorflow 2.16.x); and that Keras 2, where it is a package of its own (TensorFlow
    2.6 to 2.15), has TensorFlow's minor too (keras 2.13 with tensorflow 2.13). A pasted pip
    resolver line ("tensorflow 2.12.0 requires keras<2.13,>=2.12.0, but you have keras 2.15.0")
    states both versions.

    Why it matters: a mismatched tf-keras imports private TensorFlow modules that moved:
    AttributeError/ImportError inside tf_keras, or subtle behaviour differences.

    Example: tensorflow 2.17.0 with tf-keras 2.15.1.

    Fix: `pip install tf-keras~=2.17.0` (`pip install "keras>=2.12,<2.13"` for TensorFlow
    2.12).
    """
    tf_version = version_of(s, "tensorflow") or version_of(s, "tensorflow-cpu")
    tk_version = version_of(s, "tf-keras")
    if tf_version:
        yield from _keras2_mismatch(tf_version, version_of(s, "keras"))
    if not tf_version or not tk_version:
        return
    tf_mm, tk_mm = major_minor(tf_version), major_minor(tk_version)
    if tf_mm is None or tk_mm is None or tf_mm == tk_mm:
        return
    yield finding(
        "DL603",
        title=f"tf-keras {tk_version} does not match TensorFlow {tf_version}",
        message=f"tf-keras {tk_version} is built for TensorFlow {tk_mm[0]}.{tk_mm[1]}, but "
        f"TensorFlow {tf_version} is installed.",
        evidence=[
            Evidence(
                fact="python.distributions.tf-keras",
                found=tk_version,
                needed=f"{tf_mm[0]}.{tf_mm[1]}.*",
                note=f"to match tensorflow {tf_version}",
            )
        ],
        fixes=[InstallPackages(packages=[_tf_keras_pin(tf_version)], reason="match TensorFlow")],
        subject="tf-keras",
    )


def _keras2_mismatch(tf_version: str, keras_version: str | None) -> Iterator[Finding]:
    """Keras 2 (2.6 to 2.15, a package of its own) of another minor than TensorFlow's."""
    tf_mm, k_mm = major_minor(tf_version), major_minor(keras_version)
    if tf_mm is None or k_mm is None or k_mm[0] != 2 or tf_mm[0] != 2 or tf_mm == k_mm:
        return
    if tf_mm < (2, 6) or tf_mm >= (2, 16) or k_mm < (2, 6):
        return
    pin = f"keras>={tf_mm[0]}.{tf_mm[1]},<{tf_mm[0]}.{tf_mm[1] + 1}"
    yield finding(
        "DL603",
        title=f"keras {keras_version} does not match TensorFlow {tf_version}",
        message=f"TensorFlow {tf_version} requires Keras {tf_mm[0]}.{tf_mm[1]}; keras "
        f"{keras_version} imports TensorFlow internals of another release (errors such as "
        "\"cannot import name ... from tensorflow.python...\" or missing attributes of "
        "tensorflow.compat.v2.__internal__).",
        evidence=[
            Evidence(
                fact="python.distributions.keras",
                found=keras_version,
                needed=f"{tf_mm[0]}.{tf_mm[1]}.*",
                note=f"to match tensorflow {tf_version}",
            )
        ],
        fixes=[InstallPackages(packages=[pin], reason="the Keras release TensorFlow requires")],
        subject="keras",
    )


@rule("DL604", "legacy-keras-without-tf-keras", "error", "keras")
def legacy_keras_without_tf_keras(s: Snapshot) -> Iterator[Finding]:
    """What it checks: TF_USE_LEGACY_KERAS=1 with TensorFlow 2.16 or newer but no tf-keras.

    Why it matters: TensorFlow then cannot provide tf.keras at all: "ModuleNotFoundError: No
    module named 'tf_keras'" on the first use of tf.keras.

    Example: TF_USE_LEGACY_KERAS=1 exported in ~/.bashrc, tensorflow 2.17 in a fresh venv.

    A pasted log with TensorFlow's own warning "Your environment has TF_USE_LEGACY_KERAS set to
    True, but you do not have the tf_keras package installed" is the same fault, stated by
    TensorFlow (any version that prints it).

    Fix: `pip install tf-keras~=2.17.0`, or unset TF_USE_LEGACY_KERAS.
    """
    if s.env_value("TF_USE_LEGACY_KERAS") not in ("1", "true", "True"):
        yield from _legacy_keras_reported(s)
        return
    tf_version = version_of(s, "tensorflow") or version_of(s, "tensorflow-cpu")
    if not tf_version or version_at_least(tf_version, "2.16") is not True:
        return
    if installed(s, "tf-keras"):
        return
    yield finding(
        "DL604",
        title="TF_USE_LEGACY_KERAS=1 but tf-keras is not installed",
        message=f"TF_USE_LEGACY_KERAS=1 makes TensorFlow {tf_version} import tf_keras for "
        "tf.keras, and tf-keras is not installed.",
        evidence=[
            Evidence(
                fact="python.distributions.tf-keras",
                found="not installed",
                needed=_tf_keras_pin(tf_version),
                note="needed by TF_USE_LEGACY_KERAS=1",
            )
        ],
        fixes=[InstallPackages(packages=[_tf_keras_pin(tf_version)], reason="tf.keras as Keras 2")],
        subject="tf-keras",
    )


def _legacy_keras_reported(s: Snapshot) -> Iterator[Finding]:
    """DL604 on TensorFlow's own warning, when the environment itself is not in the paste."""
    tf = s.framework("tensorflow")
    said = tf.details.get("legacy_keras_missing") if tf is not None else None
    if tf is None or not said or installed(s, "tf-keras"):
        return
    pin = _tf_keras_pin(tf.version) if tf.version else "tf-keras"
    yield finding(
        "DL604",
        title="TF_USE_LEGACY_KERAS is set but tf-keras is not installed",
        message=f"{label(tf)} reports that TF_USE_LEGACY_KERAS is set to True (by the "
        "environment or a library such as transformers) and the tf_keras package is missing, "
        "so tf.keras cannot be provided.",
        evidence=[
            verdict(
                "frameworks.tensorflow.details.legacy_keras_missing",
                said,
                "TensorFlow's own warning",
            ),
            Evidence(
                fact="python.distributions.tf-keras",
                found="not installed",
                needed=pin,
                note="needed by TF_USE_LEGACY_KERAS",
            ),
        ],
        hint="Or unset TF_USE_LEGACY_KERAS where it is set, if the code does not need Keras 2.",
        fixes=[InstallPackages(packages=[pin], reason="tf.keras as Keras 2")],
        subject="tf-keras",
    )

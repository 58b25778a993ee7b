"""Rules about Keras: Keras 3 versus code that expects tf.keras 2, backends that are not
installed, tf-keras that does not match TensorFlow. Codes DL6xx.
"""

from __future__ import annotations

from collections.abc import Iterator

from dlenv.fix.actions import InstallPackages, SetEnv
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
    Keras 3 has (`module 'keras._tf_keras.keras.layers' has no attribute 'experimental'`).

    Fix: `pip install tf-keras~=2.16.0` and set TF_USE_LEGACY_KERAS=1.
    """
    tf_version = version_of(s, "tensorflow") or version_of(s, "tensorflow-cpu")
    keras3 = tensorflow_fact("keras3_since")
    if not tf_version or version_at_least(tf_version, keras3) is not True:
        yield from _keras3_reported(s, tf_version)
        return
    keras_version = version_of(s, "keras")
    if keras_version is not None and not version_at_least(keras_version, "3.0"):
        return
    users = [name for name in legacy_keras_users() if installed(s, name)]
    if not users:
        yield from _keras3_reported(s, tf_version)
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


def _keras3_reported(s: Snapshot, tf_version: str | None) -> Iterator[Finding]:
    """DL601 from a pasted message: Keras 3 refused code written for Keras 2."""
    said = next(
        (e for e in s.reported_errors if e.signature in (KERAS3_MESSAGE, KERAS3_MISSING)), None
    )
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
        + ("failing under" if said.signature == KERAS3_MISSING else "refusing")
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
        "set too. If you use transformers with PyTorch only, USE_TF=0 keeps it away from "
        "TensorFlow altogether.",
        fixes=[
            InstallPackages(packages=[pin], reason=f"Keras 2 for TensorFlow: {match}"),
            SetEnv(
                name="TF_USE_LEGACY_KERAS",
                value="1",
                reason="make tf.keras the tf-keras (Keras 2) package",
            ),
        ],
        subject="keras",
    )


@rule("DL602", "keras-backend-not-installed", "error", "keras")
def keras_backend_missing(s: Snapshot) -> Iterator[Finding]:
    """What it checks: that the backend Keras 3 is configured to use (KERAS_BACKEND or
    ~/.keras/keras.json, default tensorflow) is installed.

    Why it matters: `import keras` fails with "ModuleNotFoundError: No module named 'jax'"
    (or torch/tensorflow) before any model code runs.

    Example: KERAS_BACKEND=jax with keras 3.3.3 and only torch installed.

    Fix: install the backend, or configure one that is installed.
    """
    keras = s.framework("keras")
    if keras is None or not version_at_least(keras.version, "3.0") or not keras.backend:
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
    goes with tensorflow 2.16.x).

    Why it matters: a mismatched tf-keras imports private TensorFlow modules that moved:
    AttributeError/ImportError inside tf_keras, or subtle behaviour differences.

    Example: tensorflow 2.17.0 with tf-keras 2.15.1.

    Fix: `pip install tf-keras~=2.17.0`.
    """
    tf_version = version_of(s, "tensorflow") or version_of(s, "tensorflow-cpu")
    tk_version = version_of(s, "tf-keras")
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

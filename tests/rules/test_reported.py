"""DL901: an error quoted in a paste that no other rule explains is named, never met with
silence; known noise, explained errors and error-free reports stay quiet."""

from __future__ import annotations

import pytest

from dlenv.fix.actions import ManualStep
from dlenv.importers import import_text
from dlenv.rules import diagnose
from dlenv.snapshot.model import ReportedError, Snapshot
from tests.rules.snapshots import fired, gpu_machine, only

ILLEGAL_ACCESS = "RuntimeError: CUDA error: an illegal memory access was encountered"


def _codes(text: str) -> list[str]:
    return [f.code for f in diagnose(import_text(text).snapshot)]


def test_dl901_an_error_no_signature_knows() -> None:
    pasted = Snapshot(
        reported_errors=[
            ReportedError(
                signature="unrecognised-error",
                text=ILLEGAL_ACCESS,
                meaning="An error dlenv has no signature for: the text alone does not say its "
                "cause.",
            )
        ]
    )
    f = only(pasted, "DL901")
    assert (f.severity, f.title) == (
        "warning",
        "An error in the paste is not explained by any rule",
    )
    assert f.message == (
        f'The paste shows "{ILLEGAL_ACCESS}", and the facts it states do not show the cause.'
    )
    assert [(e.fact, e.found, e.note) for e in f.evidence] == [
        ("reported_errors.unrecognised-error", ILLEGAL_ACCESS, None)
    ]
    assert f.fixes == [
        ManualStep(
            text="Run dlenv doctor on the machine that printed the error and attach its JSON "
            "report.",
            commands=["dlenv doctor", "dlenv doctor --format json > dlenv-report.json"],
        )
    ]
    # good: a probed machine with no pasted error
    assert fired(gpu_machine(), "DL901") == []


def test_dl901_a_known_message_whose_rules_stay_silent() -> None:
    """ "Found no NVIDIA driver" without `lspci`: DL103 cannot tell a GPU is there."""
    text = (
        "UserWarning: CUDA initialization: Found no NVIDIA driver on your system. Please check "
        "that you have an NVIDIA GPU and installed a driver\n"
    )
    f = only(import_text(text).snapshot, "DL901")
    assert [(e.fact, e.note) for e in f.evidence] == [
        (
            "reported_errors.torch-no-nvidia-driver",
            "PyTorch could not load libcuda: no NVIDIA driver is installed or visible.",
        )
    ]
    # with the lspci line DL103 explains it, and DL901 says nothing
    lspci = "01:00.0 VGA compatible controller: NVIDIA Corporation GA104 [GeForce RTX 3070]\n"
    assert _codes(text + lspci) == ["DL103"]


def test_dl901_stays_quiet_on_explained_errors_noise_and_plain_reports() -> None:
    wrapped = (
        "Traceback (most recent call last):\n"
        '  File "app.py", line 3, in <module>\n'
        "RuntimeError: Failed to import transformers.models.bert.modeling_tf_bert because of "
        "the following error (look up to see its traceback):\n"
        "Your currently installed version of Keras is Keras 3, but this is not yet supported in "
        "Transformers. Please install the backwards-compatible tf-keras package with `pip "
        "install tf-keras`.\n"
    )
    assert _codes(wrapped) == ["DL601"]
    noise = (
        "E0000 00:00:1744708234.717753 1370911 cuda_dnn.cc:8579] Unable to register cuDNN "
        "factory: Attempting to register factory for plugin cuDNN when one has already been "
        "registered\n"
        "W0000 00:00:1744708236.1 gpu_device.cc:2344] TF-TRT Warning: Could not find TensorRT\n"
    )
    assert _codes(noise) == []
    # an error line beside a specific finding is taken as part of what that finding explains
    too_old = (
        "RuntimeError: The NVIDIA driver on your system is too old (found version 11040).\n"
        "torch 2.4.1+cu124\n"
        "ERROR: training aborted\n"
    )
    assert _codes(too_old) == ["DL101"]
    # two unexplained errors: both quoted, in order
    two = f"{ILLEGAL_ACCESS}\nSegmentation fault (core dumped)\n"
    f = only(import_text(two).snapshot, "DL901")
    assert f.title == "2 errors in the paste are not explained by any rule"
    assert [e.found for e in f.evidence] == [ILLEGAL_ACCESS, "Segmentation fault (core dumped)"]


def test_dl901_names_the_likely_causes_of_a_known_symptom_and_what_settles_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ "no CUDA-capable device" with nothing that settles its cause, for a message the corpus
    has too few reports of to know its usual cause: DL901 answers as a maintainer does, with the
    usual causes (the message's own rules, usual first) and the command that settles each; the
    candidates are no findings of their own."""
    import dlenv.kb.priors
    from dlenv.rules.reported import SETTLE

    monkeypatch.setattr(dlenv.kb.priors, "cause_prior", lambda signature: None)

    bare = "cudaGetDeviceCount returned 100\nno CUDA-capable device is detected\n"
    # the message alone: DL303 reads it as a probable CUDA_VISIBLE_DEVICES (a warning)
    assert [f.code for f in diagnose(import_text(bare).snapshot)] == ["DL303"]
    # beside what the reporter states, the cause stays unsettled: DL901 lists the candidates
    pasted = import_text(bare + "I trained with --train_batch_size=8 on one GPU.\n").snapshot
    findings = diagnose(pasted)
    assert [f.code for f in findings] == ["DL901"]
    [f] = findings
    assert f.title == "A recognised error whose cause the paste does not settle"
    assert "Most likely causes of this message: DL303: CUDA_VISIBLE_DEVICES hides" in f.message
    assert "DL111: the driver is installed but its kernel module is not loaded" in f.message
    steps = [a for a in f.fixes if isinstance(a, ManualStep)]
    assert [s.text.split(",")[0] for s in steps[:2]] == ["DL303", "DL111"]
    assert steps[0].commands == list(SETTLE["DL303"][2])
    assert "lsmod | grep nvidia" in steps[1].commands
    assert steps[-1].commands[0] == "dlenv doctor"
    # every candidate a signature can name is a registered cause rule
    from dlenv.rules.registry import get_rule

    assert all(get_rule(code) is not None for code in SETTLE)


def test_a_known_message_is_named_by_its_usual_cause_when_the_corpus_knows_it() -> None:
    """The same unsettled "no CUDA-capable device" beside a statement: the knowledge base counts
    how often each cause answered it in the development part of the corpus, and its usual
    cause is named as a warning under that cause's code ("Probably: ..."), saying what it rests
    on and giving the check that settles it, with the other causes; a message the corpus knows
    too little of stays DL901's."""
    from dlenv.kb.priors import cause_prior
    from dlenv.rules.reported import PRIOR_REPORTS, PRIOR_SHARE, SETTLE

    bare = "cudaGetDeviceCount returned 100\nno CUDA-capable device is detected\n"
    pasted = import_text(bare + "I trained with --train_batch_size=8 on one GPU.\n").snapshot
    [signature] = {e.signature for e in pasted.reported_errors if not e.harmless} - {
        e.signature for e in pasted.reported_errors if e.signature.startswith("said-")
    }
    prior = cause_prior(signature)
    assert prior is not None and prior.reports >= PRIOR_REPORTS and prior.share >= PRIOR_SHARE
    code, times = prior.top
    [f] = diagnose(pasted)
    assert (f.code, f.severity) == (code, "warning")
    assert f.title == f"Probably: {SETTLE[code][0]}"
    assert f"In {times} of {prior.reports} real reports with this message" in f.message
    assert [e.fact for e in f.evidence] == [f"reported_errors.{signature}", "kb.cause_priors"]
    assert f.evidence[1].found == f"{times} of {prior.reports} reports"
    steps = [a for a in f.fixes if isinstance(a, ManualStep)]
    assert steps[0].commands == list(SETTLE[code][2]) and steps[-1].commands[0] == "dlenv doctor"
    assert "from experience, not from this paste" in (f.hint or "")
    # a message with no count in the knowledge base: the candidates, as before
    rare = import_text("RuntimeError: CUDA error: misaligned address\n").snapshot
    assert all(cause_prior(e.signature) is None for e in rare.reported_errors)
    assert [x.code for x in diagnose(rare)] == ["DL901"]

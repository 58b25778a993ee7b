"""Rules about errors quoted in a pasted log or traceback (`dlenv explain`) that no other rule
explains, so that an error is never met with silence. Codes DL9xx.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from dlenv.fix.actions import Action, ManualStep
from dlenv.rules.derived import in_prose
from dlenv.rules.findings import Evidence, Finding, first_line
from dlenv.rules.registry import finding, get_rule, rule
from dlenv.snapshot.model import ReportedError, Snapshot

if TYPE_CHECKING:
    from dlenv.kb.cause_model import Reading

UNRECOGNISED = "unrecognised-error"  # dlenv.importers.signatures.UNRECOGNISED
SHOWN = 5  # error lines quoted as evidence
LIKELY = 3  # candidate causes named for a recognised message whose cause is not settled
# a message's usual cause is named ("probably") when it was the maintainers' answer in at least
# this share of at least this many development reports that showed the message
PRIOR_REPORTS = 5
PRIOR_SHARE = 0.5

# For a recognised message whose cause the paste does not settle: each candidate cause in a
# maintainer's words, and what settles it (the fact, and the command that shows it). Ordered
# by the signature's own `rules` list, which puts the usual cause first.
SETTLE: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "DL101": (
        "the driver is older than the CUDA the framework or package was built with",
        "the driver's version and the CUDA of the build",
        (
            "nvidia-smi | head -4",
            'python -c "import torch; print(torch.__version__, torch.version.cuda)"',
        ),
    ),
    "DL102": (
        "the CUDA toolkit that compiled the program is newer than the driver",
        "nvcc's version against nvidia-smi's 'CUDA Version'",
        ("nvcc --version", "nvidia-smi | head -4"),
    ),
    "DL103": (
        "no NVIDIA driver is installed for the GPU",
        "whether the GPU is on the bus and which kernel driver holds it",
        ("lspci -nnk | grep -iA3 nvidia", "nvidia-smi"),
    ),
    "DL104": (
        "the open-source nouveau driver holds the GPU",
        "whether nouveau is loaded",
        ("lsmod | grep -E 'nouveau|nvidia'",),
    ),
    "DL105": (
        "the driver was upgraded without a reboot (kernel module and libraries differ)",
        "the loaded module's version against the libraries'",
        ("cat /proc/driver/nvidia/version", "nvidia-smi"),
    ),
    "DL106": (
        "the /dev/nvidia* device nodes are missing or not accessible to this user",
        "the device nodes and their permissions",
        ("ls -l /dev/nvidia*", "id"),
    ),
    "DL108": (
        "a Linux driver installed inside WSL2 hides the Windows one",
        "which libcuda WSL loads",
        ("ldconfig -p | grep libcuda.so.1", "dpkg -l | grep -i nvidia"),
    ),
    "DL109": (
        "the container was started without the NVIDIA Container Toolkit (--gpus)",
        "the docker run command and the toolkit on the host",
        ("docker run --rm --gpus all ubuntu nvidia-smi", "nvidia-ctk --version"),
    ),
    "DL110": (
        "this is WSL 1, which has no GPU",
        "the WSL version",
        ("wsl -l -v  # from Windows",),
    ),
    "DL111": (
        "the driver is installed but its kernel module is not loaded (kernel update without a "
        "reboot, Secure Boot, DKMS)",
        "whether the nvidia module is loaded, and for which kernel it was built",
        ("lsmod | grep nvidia", "uname -r; dkms status", "mokutil --sb-state"),
    ),
    "DL112": (
        "nvidia_uvm is not loaded, or broken after suspend and resume",
        "whether nvidia_uvm is loaded and /dev/nvidia-uvm exists",
        ("lsmod | grep nvidia_uvm", "ls -l /dev/nvidia-uvm"),
    ),
    "DL113": (
        "the installed driver branch does not support this GPU (a legacy GPU needs an older "
        "branch)",
        "the GPU's model and the driver branch, and the kernel module's NVRM lines",
        ("lspci -nn | grep -i nvidia", "sudo dmesg | grep NVRM"),
    ),
    "DL114": (
        "the GPU failed (fell off the bus, memory errors, firmware hang)",
        "the kernel log's Xid events and the GPU's health",
        ("sudo dmesg | grep -E 'NVRM|Xid'", "nvidia-smi -q -d ECC,ROW_REMAPPER"),
    ),
    "DL201": (
        "a CUDA/cuDNN library the framework needs cannot be loaded",
        "which CUDA libraries are installed and on the loader's path",
        ("pip list | grep -i nvidia", "ldconfig -p | grep -E 'libcudart|libcudnn|libcublas'"),
    ),
    "DL202": (
        "the CUDA library is there, but in another major version",
        "the versions of the CUDA libraries against the build's",
        ("pip list | grep -i nvidia", "ls /usr/local/cuda*/lib64/libcudart.so*"),
    ),
    "DL203": (
        "two frameworks in one environment need different cuDNN versions",
        "the cuDNN each framework was built with",
        ("pip list | grep -iE 'cudnn|torch|tensorflow|jax'",),
    ),
    "DL206": (
        "the cuDNN loaded at run time is older than the one the build needs",
        "the cuDNN found first at run time",
        ("pip list | grep -i cudnn", "ldconfig -p | grep libcudnn", "echo $LD_LIBRARY_PATH"),
    ),
    "DL208": (
        "an older CUDA library copy shadows the framework's (undefined symbol)",
        "which copy of the library is loaded first",
        ("echo $LD_LIBRARY_PATH", "ldconfig -p | grep -E 'libnccl|libcublas|libnvJitLink'"),
    ),
    "DL209": (
        "two packages pin versions of the same dependency that no release satisfies together",
        "each package's requirement the resolver lists ('depends on …')",
        ("pip install --dry-run --report - PACKAGES", "pip check"),
    ),
    "DL301": (
        "the framework build has no code for this GPU's architecture (a GPU newer than the build)",
        "the GPU's compute capability against the build's arch list",
        (
            'python -c "import torch; print(torch.__version__, torch.cuda.get_arch_list(), '
            'torch.cuda.get_device_capability())"',
        ),
    ),
    "DL302": (
        "the GPU is too old for the framework's CUDA version",
        "the GPU's model and the build's CUDA",
        ("nvidia-smi -L", 'python -c "import torch; print(torch.__version__)"'),
    ),
    "DL303": (
        "CUDA_VISIBLE_DEVICES hides the GPUs",
        "CUDA_VISIBLE_DEVICES wherever it is set: the shell, a launch script, os.environ",
        ('echo "CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES"', "nvidia-smi -L"),
    ),
    "DL304": (
        "the program asks for a GPU index beyond the visible GPUs",
        "the number of visible GPUs against the index or process count",
        ("nvidia-smi -L", 'python -c "import torch; print(torch.cuda.device_count())"'),
    ),
    "DL305": (
        "a CUDA extension (not the framework) was built for other GPU architectures",
        "which call fails, and the GPU against the framework's arch list",
        (
            "CUDA_LAUNCH_BLOCKING=1 python your_script.py",
            'python -c "import torch; print(torch.cuda.get_arch_list(), '
            'torch.cuda.get_device_capability())"',
        ),
    ),
    "DL401": (
        "a CPU-only build of the framework is installed",
        "the build's variant",
        (
            'python -c "import torch; print(torch.__version__, torch.version.cuda)"',
            "pip list | grep -iE 'torch|tensorflow|jax'",
        ),
    ),
    "DL402": (
        "TensorFlow >= 2.11 on native Windows has no GPU support",
        "the OS and TensorFlow's version",
        ('python -c "import sys, tensorflow as tf; print(sys.platform, tf.__version__)"',),
    ),
    "DL501": (
        "no wheel for this Python version",
        "the Python version against the releases' supported range",
        ("python --version", "pip --version"),
    ),
    "DL502": (
        "a file or folder of the user's own shadows the package",
        "where the module is imported from",
        ('python -c "import MODULE; print(MODULE.__file__)"  # the module in the error',),
    ),
    "DL504": (
        "two copies or builds of a package are installed, and the wrong one is loaded",
        "the installed copies and where each lives",
        ("pip list -v | grep -iE 'torch|tensorflow|jax|numpy'", "pip check"),
    ),
    "DL505": (
        "another interpreter's packages are on the path",
        "sys.path and PYTHONPATH",
        ('python -c "import sys; print(sys.path)"', "echo $PYTHONPATH"),
    ),
    "DL506": (
        "no wheel for this platform (OS, CPU, 32-bit Python)",
        "the platform pip sees",
        ("pip debug --verbose | head -20",),
    ),
    "DL507": (
        "the system's glibc (or the libstdc++ loaded) is older than the build needs",
        "the system's glibc version against the wheel's manylinux tag",
        ("ldd --version | head -1", "pip debug --verbose | grep -m3 manylinux"),
    ),
    "DL508": (
        "the CPU (or Rosetta 2) lacks instructions the build uses (AVX)",
        "the CPU's flags, and on a Mac the Python's architecture",
        (
            "grep -o -w -E 'avx2?|sse4_2' /proc/cpuinfo | sort -u",
            'python -c "import platform; print(platform.machine())"',
        ),
    ),
    "DL601": (
        "Keras 3 breaks code written for Keras 2 / tf.keras",
        "the installed Keras and TensorFlow",
        ("pip list | grep -iE 'keras|tensorflow'",),
    ),
    "DL602": (
        "the configured Keras backend is not installed",
        "KERAS_BACKEND and the backends installed",
        ("echo $KERAS_BACKEND", "pip list | grep -iE 'keras|tensorflow|torch|jax'"),
    ),
    "DL701": (
        "TensorFlow reserved all GPU memory up front (memory growth off)",
        "memory growth and what else uses the GPU",
        ("nvidia-smi", "echo $TF_FORCE_GPU_ALLOW_GROWTH"),
    ),
    "DL702": (
        "another process holds the GPU's memory",
        "the processes on the GPU",
        ("nvidia-smi --query-compute-apps=pid,process_name,used_memory --format=csv",),
    ),
    "DL703": (
        "the GPU's memory is exhausted by the job itself (batch or model size)",
        "the GPU's memory against the job's peak",
        ("nvidia-smi --query-gpu=name,memory.total,memory.used --format=csv",),
    ),
    "DL801": (
        "/dev/shm is too small (a container's 64 MiB default)",
        "the size of /dev/shm",
        ("df -h /dev/shm",),
    ),
    "DL802": (
        "NCCL's peer-to-peer path is broken (PCIe switches, IOMMU/ACS, consumer GPUs)",
        "whether the run passes with P2P disabled, and the GPU topology",
        ("NCCL_P2P_DISABLE=1 NCCL_DEBUG=INFO python your_script.py", "nvidia-smi topo -m"),
    ),
    "DL803": (
        "NCCL or Gloo picks the wrong network interface",
        "the interfaces and NCCL's choice",
        ("NCCL_DEBUG=INFO python your_script.py", "ip -br addr"),
    ),
    "DL804": (
        "the ranks disagree (world size, rank variables, NCCL versions)",
        "each rank's world size, rank and versions",
        ("env | grep -E 'WORLD_SIZE|RANK|MASTER_|SLURM_N'",),
    ),
}


def _likely(e: ReportedError) -> list[str]:
    """The causes a maintainer weighs for a recognised message, usual first: its signature's
    cause rules that have a way to settle them (symptom rules and DL9xx left out)."""
    return _causes(e)[:LIKELY]


def _signature_rules(signature: str) -> tuple[str, ...]:
    # the catalogue is loaded only when a paste quoted something: `dlenv doctor` never pays
    from dlenv.importers.signatures import BY_ID

    known = BY_ID.get(signature)
    return known.rules if known is not None else ()


def _unexplained(s: Snapshot, others: list[Finding]) -> list[ReportedError]:
    """The quoted errors that the other rules' findings (`others`, before any was dropped as
    explained) do not explain."""
    fired = {f.code for f in others}
    any_problem = any(
        f.severity in ("error", "warning") for f in others if not f.code.startswith("DL9")
    )
    out: list[ReportedError] = []
    for e in s.reported_errors:
        # a statement in the reporter's words is no error a program printed
        if e.harmless or in_prose(e.signature):
            continue
        codes = [c for c in _signature_rules(e.signature) if not c.startswith("DL9")]
        if fired.intersection(codes):
            continue  # one of the rules that usually explain this message fired
        causes = [c for c in codes if (r := get_rule(c)) is not None and not r.symptom]
        if causes and len(causes) == len(codes):
            out.append(e)
        elif not any_problem:
            # an error line no signature knows (or a message only symptom rules cover):
            # explained by whatever else was found, since a traceback often wraps the real message
            out.append(e)
    return out


@rule("DL901", "reported-error-unexplained", "warning", "reported", final=True)
def reported_error_unexplained(s: Snapshot, others: list[Finding]) -> Iterator[Finding]:
    """What it checks: errors quoted in a pasted log or traceback (`dlenv explain`) that no
    other rule explains: a known message none of whose usual rules fires (for example "Found no
    NVIDIA driver" when the paste does not show the GPU), or an error line dlenv has no
    signature for (a Python exception, "CUDA error: …", a crash) while no other rule finds a
    problem. Known-harmless TensorFlow start-up noise is never counted.

    Why it matters: "No problems found" under a traceback reads as "your environment is fine",
    which the text alone cannot tell; the error stays unexplained, and saying so points to the
    facts that are missing.

    Example: a paste holding only `RuntimeError: CUDA error: an illegal memory access was
    encountered`; or "Found no NVIDIA driver on your system" without `lspci` or `nvidia-smi`.

    For a known message whose cause the paste does not settle, the finding names the two or
    three causes that usually produce it (the message's own rules, usual first) and, for each,
    the one fact that settles it and the command that shows it: what a maintainer replies. They
    are candidates, not findings: the code stays DL901.

    Where no rule names a cause at all (a paste of prose, an error no fact settles), the paste
    is first read as a whole, as a maintainer reads a report like many they have answered: the
    knowledge base's learned reading (`cause_model`: tf-idf over the paste's words, recognised
    messages and stated facts, a logistic regression learned on the development part of the
    corpus) names the most likely cause when it reaches its threshold, the probability at which
    it was right at least four times in five on development reports of repositories it had not
    seen. A known message is read only among its own causes and a healthy setup. It is a
    warning under the cause's code, "Probably: …", with the words that weighed most, the
    model's figures and the check that settles it. A paste in which nothing else is recognised
    is read the same way; when the reading names nothing, it is still "nothing recognised".

    Where the reading names nothing (and does not settle on a healthy setup), or a rule found
    another cause, a message that is the only one unexplained and that dlenv's corpus knows well
    (at least half of at least five development reports that showed it had the same cause: the
    knowledge base's `cause_priors` table) is named by that usual cause, as a warning under its
    own code ("Probably: …"), saying it rests on experience and not on the paste, with the check
    that settles it and the less frequent causes. The reading comes first because, on
    development reports that show such a message, it was right more often than the message's
    usual cause alone.

    Fix: run the commands that settle each candidate cause, or `dlenv doctor` on the machine that
    printed the error (its probes see the driver, libraries and packages a paste leaves out),
    and attach `dlenv doctor --format json` to the report.
    """
    doctor = ManualStep(
        text="Run dlenv doctor on the machine that printed the error and attach its JSON report.",
        commands=["dlenv doctor", "dlenv doctor --format json > dlenv-report.json"],
    )
    # a cause found by a rule (a symptom such as "torch sees no GPU" is not one)
    found = any(
        f.severity in ("error", "warning")
        and not f.code.startswith("DL9")
        and not ((r := get_rule(f.code)) is not None and r.symptom)
        for f in others
    )
    if not any(not e.harmless and not in_prose(e.signature) for e in s.reported_errors):
        # no error quoted: when no rule found anything, the paste's words may still say
        if not found:
            yield from _read_paste(_reading(s), doctor)
        return
    errors = _unexplained(s, others)
    if not errors:
        return
    first = first_line(errors[0].text, 200)
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    known = next((e for e in errors if _likely(e)), None)
    single = known if len(errors) == 1 else None
    # where no rule names a cause, the paste read as a whole comes first: on development
    # reports that show a message the cause prior knows, the reading (weighing the paste's
    # other words and facts too) was right more often than the message's usual cause alone
    # (567 against 531 of 666, each read by a model that had not seen its repository)
    reading = None if found else _reading(s, single)
    read = list(_read_paste(reading, doctor, first, single))
    if read:
        yield from read
        return
    if single is not None and not _reads_healthy(reading):
        usual = _usual_cause(single, first, doctor)
        if usual is not None:
            yield usual
            return
    message = f'The paste shows "{first}"{more}, and the facts it states do not show the cause.'
    hint = (
        "Run dlenv on the machine itself: it sees the driver, CUDA libraries and packages "
        "that the paste leaves out."
    )
    fixes: list[Action] = [doctor]
    if known is not None:
        # a known symptom: name what usually causes it and what settles each, as a maintainer
        # replies; a candidate is not a finding of its rule (the code stays DL901)
        codes = _likely(known)
        causes = "; ".join(f"{c}: {SETTLE[c][0]}" for c in codes)
        message += f" Most likely causes of this message: {causes}."
        hint = (
            "Each is settled by one fact: "
            + "; ".join(f"{c} by {SETTLE[c][1]}" for c in codes)
            + ". Add their output to the report, or run dlenv on the machine itself."
        )
        fixes = [
            *(
                ManualStep(
                    text=f"{c}, {SETTLE[c][0]}? Check {SETTLE[c][1]}.", commands=[*SETTLE[c][2]]
                )
                for c in codes
            ),
            doctor,
        ]
    yield finding(
        "DL901",
        title="A recognised error whose cause the paste does not settle"
        if known is not None and len(errors) == 1
        else "An error in the paste is not explained by any rule"
        if len(errors) == 1
        else f"{len(errors)} errors in the paste are not explained by any rule",
        message=message,
        evidence=[
            Evidence(
                fact=f"reported_errors.{e.signature}",
                found=first_line(e.text, 200),
                note=None if e.signature == UNRECOGNISED else e.meaning,
            )
            for e in errors[:SHOWN]
        ],
        hint=hint,
        fixes=fixes,
        subject="reported",
    )


def _usual_cause(e: ReportedError, first: str, doctor: ManualStep) -> Finding | None:
    """The cause a maintainer gives a known message by experience: the one its reports most
    often had (the knowledge base's count over the development part of dlenv's corpus), when
    it was the answer in at least PRIOR_SHARE of PRIOR_REPORTS or more. A warning under that
    cause's code, saying what it rests on and with the check that settles it."""
    from dlenv.kb.priors import cause_prior  # loaded only when a paste quotes such a message

    prior = cause_prior(e.signature)
    if prior is None or prior.reports < PRIOR_REPORTS or prior.share < PRIOR_SHARE:
        return None
    code, times = prior.top
    known_rule = get_rule(code)
    if code not in SETTLE or known_rule is None or known_rule.symptom:
        return None
    cause, settled_by, commands = SETTLE[code]
    others = [c for c, _ in prior.causes[1:LIKELY] if c in SETTLE]
    return finding(
        code,
        title=f"Probably: {cause}",
        message=f'The paste shows "{first}", and the facts it states do not settle its cause. '
        f"In {times} of {prior.reports} real reports with this message, the cause was this one: "
        f"{cause}."
        + (
            " Less often: " + "; ".join(f"{c}: {SETTLE[c][0]}" for c in others) + "."
            if others
            else ""
        ),
        severity="warning",
        evidence=[
            Evidence(
                fact=f"reported_errors.{e.signature}",
                found=first,
                note=e.meaning,
            ),
            Evidence(
                fact="kb.cause_priors",
                found=f"{times} of {prior.reports} reports",
                needed=f">={PRIOR_SHARE:.0%} of >={PRIOR_REPORTS}",
                note="the development part of dlenv's corpus of real reports"
                + (f", e.g. {prior.sources[0]}" if prior.sources else ""),
            ),
        ],
        hint=f"Read from experience, not from this paste: settle it by {settled_by}.",
        fixes=[
            ManualStep(text=f"Check {settled_by}: {cause}?", commands=[*commands]),
            doctor,
        ],
        subject="reported",
    )


def _causes(e: ReportedError) -> list[str]:
    """Every cause a recognised message's signature names that DL901 can settle (its symptom
    rules and DL9xx left out)."""
    return [
        c
        for c in _signature_rules(e.signature)
        if c in SETTLE and (r := get_rule(c)) is not None and not r.symptom
    ]


def _reading(s: Snapshot, known: ReportedError | None = None) -> Reading | None:
    """The knowledge base's learned reading (`cause_model`) of a paste's words, recognised
    messages and stated facts; for a known message (`known`), only among that message's own
    causes and a healthy setup (a message can be harmless noise on a healthy machine). None
    where no paste was read or it holds no word the model knows."""
    if not s.reported_words:
        return None
    # only when a paste is read
    from dlenv.kb.cause_model import HEALTHY, cause_model, snapshot_words

    among = [*_causes(known), HEALTHY] if known is not None else None
    return cause_model().read(snapshot_words(s), among)


def cause_likelihoods(s: Snapshot) -> dict[str, float]:
    """How likely each cause is for a pasted report read as a whole (the learned reading's
    probabilities); {} where no paste was read. `diagnose` puts a paste's findings in this
    order: on development reports where the rules named two causes or more, the one the reading
    found likelier was a maintainer's cause more often than the first by rule code."""
    if not s.reported_words:
        return {}
    from dlenv.kb.cause_model import cause_model, snapshot_words  # only when a paste is read

    return cause_model().likelihoods(snapshot_words(s))


def _reads_healthy(reading: Reading | None) -> bool:
    """Whether the reading settles on nothing wrong with the setup, at its threshold."""
    from dlenv.kb.cause_model import HEALTHY, cause_model

    return (
        reading is not None
        and reading.code == HEALTHY
        and reading.probability >= cause_model().threshold
    )


def _read_paste(
    reading: Reading | None,
    doctor: ManualStep,
    first: str | None = None,
    known: ReportedError | None = None,
) -> Iterator[Finding]:
    """The cause a maintainer reads from a report as a whole, when no fact in it settles one:
    the learned reading (`_reading`), where it names a cause at its threshold; for a known
    message (`known`, quoted as `first`), read among that message's own causes and a healthy
    setup. A warning under that cause's code, with the words that weighed most, how often the
    reading was right, and the check that settles it."""
    from dlenv.kb.cause_model import HEALTHY, cause_model  # only when a paste is read

    model = cause_model()
    if reading is None or reading.probability < model.threshold or reading.code not in SETTLE:
        return
    known_rule = get_rule(reading.code)
    if known_rule is None or known_rule.symptom:
        return
    cause, settled_by, commands = SETTLE[reading.code]
    shows = (
        f'The paste shows "{first}", and the facts it states do not settle its cause.'
        if first
        else "Nothing the paste states settles a cause."
    )
    evidence: list[Evidence] = []
    if known is not None:
        evidence.append(
            Evidence(fact=f"reported_errors.{known.signature}", found=first, note=known.meaning)
        )
    also = ""
    if reading.runner_up is not None:
        code, share = reading.runner_up
        named = (
            f"{code}, {SETTLE[code][0]}"
            if code in SETTLE
            else "nothing wrong with the setup"
            if code == HEALTHY
            else None
        )
        if named is not None:
            also = f" Next most likely: {named} ({share:.0%})."
    among_text = (
        ", weighed against the message's other known causes and a healthy setup"
        if known is not None
        else ""
    )
    message = (
        f"{shows} Read as a whole, it is most like the real reports whose cause was this "
        f"one: {cause} ({reading.probability:.0%}{among_text}).{also}"
    )
    examples = model.sources.get(reading.code, ())
    if reading.words:
        evidence.append(
            Evidence(
                fact="reported_words",
                found=", ".join(reading.words),
                note="the words of the paste that weighed most towards this cause",
            )
        )
    evidence.append(
        Evidence(
            fact="kb.cause_model",
            found=f"{reading.probability:.0%}",
            needed=f">={model.threshold:.0%}",
            note=f"learned from {model.reports} development reports of dlenv's corpus; at "
            f"this threshold it named the maintainers' cause in {model.precision} of them, "
            "each read by a model that had not seen its repository"
            + (f"; e.g. {examples[0]}" if examples else ""),
        )
    )
    yield finding(
        reading.code,
        title=f"Probably: {cause}",
        message=message,
        severity="warning",
        evidence=evidence,
        hint=f"Read from experience, not from a fact in this paste: settle it by {settled_by}.",
        fixes=[
            ManualStep(text=f"Check {settled_by}: {cause}?", commands=[*commands]),
            doctor,
        ],
        subject="reported",
    )

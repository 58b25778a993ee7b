"""The learned reading of a pasted report (data/cause_model.json): which cause the paste's words
and recognised messages point to, learned from the development part of dlenv's corpus of real
reports and the causes their maintainers named.

It is what a maintainer does with a report that states no fact a rule can judge ("the GPU is
not used", a screenshot's worth of prose, an error with no version in sight): read it as one of
the many they have answered before. The model is a linear one over words (tf-idf, sublinear
term frequency, L2-normalised; multinomial logistic regression), small enough to evaluate here
without any numerical library, and every weight is a word that can be shown as evidence.
Written by `scripts/learn_cause_model.py` (scikit-learn, at development time only); read here.
DL901 asks it when no rule names a cause. Loaded on first use.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from dlenv.errors import DlenvError
from dlenv.kb.tables import AsOf, read_data, read_text
from dlenv.snapshot.model import Snapshot

# lower-case words; identifiers with dots and pluses stay one word ("torch.cuda", "2.1.0+cu118"
# does not start with a letter, "cu118" does)
TOKEN = re.compile(r"[a-z_][a-z0-9_.+]{1,30}")
PARTS = re.compile(r"[._]+")  # where an identifier's parts meet
# a long log is read at its two ends, where the command and the error are (bounded cost)
HEAD = 65_536
TAIL = 65_536
MESSAGE = "sig_"  # a recognised message is one more word: "sig_" + its signature id
HEALTHY = "none"  # the class of reports whose environment was fine
FACT_WEIGHT = 3  # a stated fact counts as a word said this many times (1 or 3: 3, on dev)
# a recognised message counts as a word said this many times: a message class is worth more
# than any one of its words (cross-validated on dev: 1, 2, 5, 8 times right for 865, 888, 902,
# 903 of 1,137 reports)
MESSAGE_WEIGHT = 5


def paste_words(text: str) -> Counter[str]:
    """Every word of a paste (its first and last 64 KiB), counted; an identifier also counts
    its parts, so that a module path or a library file that no development report named still
    says what it is about ("torch.cuda.is_available" is also "torch", "cuda", "is_available")."""
    if len(text) > HEAD + TAIL:
        text = text[:HEAD] + "\n" + text[-TAIL:]
    words: Counter[str] = Counter()
    for token in TOKEN.findall(text.lower()):
        # a sentence's full stop is not part of its last word ("used." is "used")
        word = token.rstrip(".")
        if len(word) < 2:
            continue
        words[word] += 1
        if "." in word or "_" in word.strip("_"):
            for part in PARTS.split(word):
                if len(part) >= 2 and not part.isdigit():
                    words[part] += 1
    return words


def message_words(signatures: Iterable[str]) -> list[str]:
    """The words that stand for recognised messages (one per distinct message)."""
    return sorted({MESSAGE + s.lower().replace("-", "_") for s in signatures})


def fact_words(s: Snapshot) -> list[str]:
    """The facts a paste stated, as words a model can weigh across wordings: a GPU's
    architecture generation (from its name through the knowledge base: "GTX 1060" and "Tesla
    P100" are both "fact_cc_6"), the OS, the Python minor, the CUDA the driver can run, each
    toolkit's major, each framework's build (CPU or CUDA, and for which CUDA major) and major."""
    from dlenv.kb.queries import gpu_compute_capability, major_minor, max_toolkit_for_driver

    out: set[str] = set()
    for g in s.gpus:
        cc = gpu_compute_capability(g.name, g.compute_capability)
        if cc:
            out.add("fact_cc_" + cc.split(".")[0])
    host = s.host
    if host.os:
        out.add("fact_os_" + host.os.lower())
    if host.wsl:
        out.add("fact_wsl")
    if host.container:
        out.add("fact_container")
    python = major_minor(s.python.version)
    if python:
        out.add(f"fact_py_{python[0]}_{python[1]}")
    if s.driver.version:
        out.add("fact_driver")
        runs = max_toolkit_for_driver(s.driver.version, host.os)
        if runs:
            out.add("fact_driver_cuda_" + runs.split(".")[0])
    for t in s.cuda.toolkits:
        if t.version:
            out.add("fact_toolkit_" + t.version.split(".")[0])
    for f in s.frameworks:
        if f.cuda_build is False or f.variant == "cpu":
            out.add(f"fact_{f.name}_cpu")
        if f.cuda_build:
            out.add(f"fact_{f.name}_cuda")
        if f.cuda_version:
            out.add(f"fact_{f.name}_cuda_{f.cuda_version.split('.')[0]}")
        version = major_minor(f.version)
        if version:
            out.add(f"fact_{f.name}_{version[0]}")
            if f.name == "tensorflow":
                out.add("fact_tf_new" if version >= (2, 11) else "fact_tf_old")
    return sorted(out)


def snapshot_words(s: Snapshot) -> dict[str, int]:
    """Everything the model reads of a pasted report: its known words (counted), one word per
    recognised message, which weighs as a word said five times, and each stated fact, which
    weighs as a word said three times."""
    words = dict(s.reported_words)
    for w in message_words(e.signature for e in s.reported_errors):
        words[w] = MESSAGE_WEIGHT
    for w in fact_words(s):
        words[w] = FACT_WEIGHT
    return words


@dataclass(frozen=True)
class Reading:
    """What the model reads in a paste: the most likely cause, how likely, what came next, and
    the words that weighed most towards it."""

    code: str
    probability: float  # among the causes weighed
    runner_up: tuple[str, float] | None
    words: tuple[str, ...]
    weighed: int  # how many causes were weighed (all the model knows, or a message's own)


@dataclass(frozen=True)
class CauseModel:
    classes: tuple[str, ...]
    intercepts: tuple[float, ...]
    idf: dict[str, float]
    weights: dict[str, dict[int, float]]  # word -> {class index: weight}
    threshold: float  # the least probability at which the reading names a cause
    precision: str  # how often it was right at that threshold, cross-validated on dev: "672/800"
    reports: int  # development reports it was learned from
    repositories: int
    sources: dict[str, tuple[str, ...]]  # class -> a few development reports with that cause
    as_of: AsOf

    def knows(self, word: str) -> bool:
        return word in self.idf

    def _scores(self, words: Mapping[str, int]) -> tuple[dict[str, float], list[float]] | None:
        """The known words' tf-idf values (L2-normalised) and each cause's linear score; None
        when no word is known."""
        idf = self.idf
        x = {w: (1.0 + math.log(n)) * idf[w] for w, n in words.items() if n > 0 and w in idf}
        norm = math.sqrt(sum(v * v for v in x.values()))
        if not norm:
            return None
        x = {w: v / norm for w, v in x.items()}
        scores = list(self.intercepts)
        for w, v in x.items():
            for c, weight in self.weights.get(w, {}).items():
                scores[c] += weight * v
        return x, scores

    def likelihoods(self, words: Mapping[str, int]) -> dict[str, float]:
        """Every cause's probability for a paste's known words ({} when none is known)."""
        scored = self._scores(words)
        if scored is None:
            return {}
        scores = scored[1]
        top = max(scores)
        exp = [math.exp(v - top) for v in scores]
        total = sum(exp)
        return {c: e / total for c, e in zip(self.classes, exp, strict=True)}

    def read(self, words: Mapping[str, int], among: Iterable[str] | None = None) -> Reading | None:
        """The reading of a paste's known words (counts), or None when it knows none of them;
        with `among`, only those causes are weighed (a known message's own causes), their
        probabilities renormalised over them."""
        scored = self._scores(words)
        if scored is None:
            return None
        x, scores = scored
        kept = list(range(len(scores)))
        if among is not None:
            wanted = set(among)
            kept = [c for c in kept if self.classes[c] in wanted]
            if not kept:
                return None
        top = max(scores[c] for c in kept)
        inside = set(kept)
        exp = [math.exp(scores[c] - top) if c in inside else 0.0 for c in range(len(scores))]
        total = sum(exp)
        ranked = sorted(kept, key=lambda c: -scores[c])
        best, second = ranked[0], ranked[1] if len(ranked) > 1 else None
        # the words that set this cause apart from the others weighed: their weight towards it
        # above their mean weight over those causes
        pull = sorted(
            (
                (row.get(best, 0.0) - sum(row.get(c, 0.0) for c in kept) / len(kept)) * v,
                w,
            )
            for w, v in x.items()
            if (row := self.weights.get(w)) is not None
        )
        pull.reverse()
        return Reading(
            code=self.classes[best],
            probability=exp[best] / total,
            runner_up=(self.classes[second], exp[second] / total) if second is not None else None,
            words=tuple(w for p, w in pull[:5] if p > 0),
            weighed=len(kept),
        )


@cache
def known_words() -> frozenset[str]:
    """The words the model knows (data/cause_model_words.txt, written beside it): what an
    importer keeps of a paste. Nothing else of the paste's words is kept, so no name, path or
    secret of the reporter's can be among them."""
    try:
        return frozenset(read_text("cause_model_words.txt").split())
    except OSError as exc:
        raise DlenvError(
            f"knowledge base file cause_model_words.txt is unreadable: {exc}"
        ) from None


def known_paste_words(text: str) -> dict[str, int]:
    """The paste's words that the model knows, counted."""
    known = known_words()
    return {w: n for w, n in paste_words(text).items() if w in known}


@cache
def cause_model() -> CauseModel:
    try:
        data = read_data("cause_model")
        classes = tuple(str(c) for c in data["classes"])
        model = CauseModel(
            classes=classes,
            intercepts=tuple(float(b) for b in data["intercepts"]),
            idf=dict(data["idf"]),
            weights={w: dict(row) for w, row in data["weights"].items()},
            threshold=float(data["threshold"]),
            precision=str(data["precision"]),
            reports=int(data["reports"]),
            repositories=int(data["repositories"]),
            sources={str(c): tuple(v) for c, v in data["sources"].items()},
            as_of=AsOf(**data["as_of"]),
        )
        if len(model.intercepts) != len(classes) or not all(
            isinstance(c, int) and 0 <= c < len(classes) and isinstance(x, float)
            for row in model.weights.values()
            for c, x in row.items()
        ):
            raise ValueError("classes, intercepts and weights disagree")
        if not all(isinstance(v, float) for v in model.idf.values()):
            raise ValueError("an idf is not a number")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DlenvError(f"knowledge base file cause_model.json is unreadable: {exc}") from None
    return model

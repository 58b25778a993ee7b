"""A Snapshot flattened to the facts it states, for exact comparisons in importer tests."""

from __future__ import annotations

from typing import Any

from dlenv.snapshot.model import Snapshot
from dlenv.snapshot.serde import to_data

_SKIP = {"schema_version", "dlenv_version", "created_at", "origin"}
# fields whose default is False: False there says nothing
_DEFAULT_FALSE = {"library_mismatch", "sources_disagree", "editable", "redacted", "harmless"}


def _walk(prefix: str, key: str, data: Any, out: dict[str, Any]) -> None:
    if isinstance(data, dict):
        for k, value in data.items():
            _walk(f"{prefix}.{k}" if prefix else k, k, value, out)
        return
    if isinstance(data, list):
        if data and all(not isinstance(v, (dict, list)) for v in data):
            out[prefix] = data
            return
        for i, value in enumerate(data):
            _walk(f"{prefix}[{i}]", key, value, out)
        return
    if data is None or data == "" or (data is False and key in _DEFAULT_FALSE):
        return
    if key == "distribution_count" and data == 0:
        return
    out[prefix] = data


def flat_facts(snapshot: Snapshot) -> dict[str, Any]:
    """Every stated fact as {"driver.version": "535.104.05", "gpus[0].name": …}."""
    data = to_data(snapshot)
    for key in _SKIP:
        data.pop(key, None)
    for gpu in data["gpus"]:
        # "pasted": a table of the machine's GPUs lists it; "mentioned": named in passing
        assert gpu.pop("source") in ("pasted", "mentioned")
    data.pop("reported_errors")  # compared on their own
    data.pop("reported_words")  # what the learned reading reads, not a stated fact
    out: dict[str, Any] = {}
    _walk("", "", data, out)
    return out

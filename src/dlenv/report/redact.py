"""Redaction for reports that leave the machine: secrets always; user and host names on request.

Secrets are already redacted when environment variables are collected; this pass runs again on
every rendered report, so that a report loaded with `--from` from elsewhere is safe too.
"""

from __future__ import annotations

import re
from typing import Any

from dlenv.probes.envvars import is_secret_name, redact_value
from dlenv.report.model import Report
from dlenv.snapshot.serde import from_data, to_data

REDACTED = "<redacted>"


def _walk(data: Any, fn: Any) -> Any:
    if isinstance(data, dict):
        return {k: _walk(v, fn) for k, v in data.items()}
    if isinstance(data, list):
        return [_walk(v, fn) for v in data]
    if isinstance(data, str):
        return fn(data)
    return data


def redact_report(report: Report, mode: str = "secrets") -> Report:
    """A copy of the report with secrets (and with mode "all", user and host names) hidden."""
    data = to_data(report)
    for var in data["snapshot"]["env"]:
        if is_secret_name(var["name"]):
            var["value"], var["redacted"] = REDACTED, True
        else:
            var["value"] = redact_value(var["value"])
    if mode == "all":
        host = data["snapshot"]["host"]
        patterns: list[tuple[re.Pattern[str], str]] = []
        user, hostname = host.get("user"), host.get("hostname")
        if user:
            # a user name as a path component or a word, not inside other words
            patterns.append((re.compile(rf"(?<![\w.-]){re.escape(user)}(?![\w-])"), "<user>"))
        if hostname:
            patterns.append((re.compile(rf"(?<![\w.-]){re.escape(hostname)}(?![\w-])"), "<host>"))

        def scrub(text: str) -> str:
            for pattern, repl in patterns:
                text = pattern.sub(repl, text)
            return text

        data = _walk(data, scrub)
    return from_data(Report, data)

"""Redaction for reports that leave the machine: secrets always; user and host names on request.

Secrets are already redacted when environment variables are collected; this pass runs again on
every rendered report, so that a report loaded with `--from` from elsewhere is safe too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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
    secrets: list[str] = []
    for var in data["snapshot"]["env"]:
        if is_secret_name(var["name"]):
            if var["value"] != REDACTED and len(var["value"]) >= 8:
                secrets.append(var["value"])
            var["value"], var["redacted"] = REDACTED, True
    host = data["snapshot"]["host"]
    scrub = text_scrubber(
        mode,
        user=host.get("user") if mode == "all" else None,
        hostname=host.get("hostname") if mode == "all" else None,
        secrets=secrets,
    )
    return from_data(Report, _walk(data, scrub))


def text_scrubber(
    mode: str,
    *,
    user: str | None = None,
    hostname: str | None = None,
    secrets: list[str] | None = None,
) -> Callable[[str], str]:
    """The redaction of one string of a report or a paste: credentials in URLs, secret query
    parameters, `NAME=value` where NAME looks secret, the values of secret variables wherever
    they are quoted; with mode "all" also the user and host names."""
    patterns: list[tuple[re.Pattern[str], str]] = []
    for value in sorted(set(secrets or ()), key=len, reverse=True):
        patterns.append((re.compile(re.escape(value)), REDACTED))
    if mode == "all":
        # a user or host name as a path component or a word, not inside other words
        if user:
            patterns.append((re.compile(rf"(?<![\w.-]){re.escape(user)}(?![\w-])"), "<user>"))
        if hostname:
            patterns.append((re.compile(rf"(?<![\w.-]){re.escape(hostname)}(?![\w-])"), "<host>"))

    def scrub(text: str) -> str:
        text = redact_value(_redact_assignments(text))
        for pattern, repl in patterns:
            text = pattern.sub(repl, text)
        return text

    return scrub


# NAME=value in a paste (an `env` dump, a shell line, a .env file) whose NAME looks secret
_SECRET_ASSIGNMENT = re.compile(r"(?<![A-Za-z0-9_])(?P<name>[A-Za-z0-9_]+)=(?P<quote>['\"]?)")
_VALUE = re.compile(r"[^\s'\"]+")


def _redact_assignments(text: str) -> str:
    """Every NAME=value whose NAME looks secret gets its value hidden.

    Only `NAME=` is matched, never a value, so a harmless assignment cannot swallow the secret
    one glued after it (`a=b==HF_TOKEN=x`, an escape sequence before the name); each run of name
    characters is tried once, so the pass stays linear on hostile lines.
    """
    if "=" not in text:
        return text
    out: list[str] = []
    pos = 0
    for match in _SECRET_ASSIGNMENT.finditer(text):
        if match.start() < pos or not is_secret_name(match.group("name")):
            continue
        value = _VALUE.match(text, match.end())
        if value is None or value.group() == REDACTED:  # nothing to hide, or hidden already
            continue
        out.append(text[pos : match.end()])
        out.append(REDACTED)
        pos = value.end()
    out.append(text[pos:])
    return "".join(out)


def redact_text(text: str, mode: str = "secrets") -> str:
    """Pasted text with the secrets in it hidden (what `dlenv explain --redact` applies)."""
    return text_scrubber(mode)(text)

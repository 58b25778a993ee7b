"""What every renderer checks first: names that are names, values that a target can say exactly.

A report is someone else's data, and its values end up in shell code, a .env file or
$GITHUB_ENV. Each renderer quotes values so that they stay data; what no quoting can carry is
refused here with the reason, never written approximately: NUL (no environment variable can hold
it), bytes that are not UTF-8, control characters (a terminal would act on them when the script
is shown), and line breaks where the target has no way to write one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dlenv.errors import DlenvError
from dlenv.fix.actions import EnvAction, PrependPath, RemoveFromPath, SetEnv
from dlenv.report.visible import visible

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# TAB is the only control character written; LF only where the target allows (`newline=True`)
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_name(name: str, target: str) -> None:
    if not NAME.match(name):
        raise DlenvError(
            f"{visible(name, newlines=False)!s}: not a variable name dlenv writes into {target} "
            "(letters, digits and _ only)"
        )


def check_value(name: str, value: str, target: str, *, newline: bool) -> None:
    """Refuse `value` for `target` when it cannot be written exactly and harmlessly."""
    shown = visible(value, newlines=False)
    if "\0" in value:
        raise DlenvError(
            f"{name}: value '{shown}' holds NUL, which no environment variable can hold"
        )
    if _SURROGATE.search(value):
        raise DlenvError(
            f"{name}: value '{shown}' holds bytes that are not UTF-8; dlenv does not write "
            f"them into {target}"
        )
    bad = [c for c in dict.fromkeys(_CONTROL.findall(value)) if not (newline and c == "\n")]
    if bad:
        what = ", ".join(visible(c, newlines=False) for c in bad)
        raise DlenvError(
            f"{name}: value '{shown}' holds the control character(s) {what}, which dlenv does "
            f"not write into {target}; set it by hand if it is really meant"
        )


def check_actions(actions: Sequence[EnvAction], target: str, *, newline: bool) -> None:
    """Every name and value of `actions` checked for `target` before anything is rendered."""
    for action in actions:
        check_name(action.name, target)
        if isinstance(action, SetEnv):
            check_value(action.name, action.value, target, newline=newline)
        elif isinstance(action, PrependPath | RemoveFromPath):
            for entry in action.entries:
                check_value(action.name, entry, target, newline=newline)

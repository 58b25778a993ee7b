"""Every renderer treats a report's values as data: property tests with hostile values.

For each target the rendered text is read back the way its consumer reads it: bash, zsh and
fish really source it and report their whole environment (`env -0`); PowerShell, cmd.exe (not
installed here), dotenv (python-dotenv's rules) and $GITHUB_ENV (the runner's heredoc rules) are
parsed by strict readers below. The variable must come back exactly, with nothing else changed
and no command run, or the renderer must refuse the value with a DlenvError.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dlenv.errors import DlenvError
from dlenv.fix.actions import EnvAction, PrependPath, RemoveFromPath, SetEnv
from dlenv.fix.render import render_env
from dlenv.fix.render.conda import activate_sh, deactivate_sh
from dlenv.fix.render.dotenv import render_dotenv
from dlenv.fix.render.github import render_github

FRAGMENTS = [
    "\n",
    "\r",
    "\r\n",
    "\0",
    "\t",
    "'",
    '"',
    "$(touch PWNED)",
    "`touch PWNED`",
    "; touch PWNED",
    "(touch PWNED)",
    "${HOME}",
    "$HOME",
    "\\",
    "\\\\",
    "\\'",
    "\x1b]52;c;ZWNobyBwd25lZA==\x07",
    "\x1b[31m",
    "\x9b",
    "\x85",
    "\u2028",
    "\u202e",
    "\udcff",
    "\ud800",
    "&",
    "|",
    "%PATH%",
    "!x!",
    "\u2018",
    "\u2019",
    "::error::x",
    "\nLD_PRELOAD=/tmp/evil.so",
    "#",
    " ",
    "~",
    "*",
    "?",
    "[a]",
    "{a,b}",
    "=",
    "-",
    "--%",
    "/usr/local/cuda",
    "é",
]
VALUES = st.lists(
    st.one_of(
        st.sampled_from(FRAGMENTS),
        st.text(st.characters(exclude_categories=()), max_size=3),
    ),
    max_size=6,
).map("".join)
QUICK = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
BASE = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "DLENV_P": "/base"}


def _environment(shell: str, script: str, tmp: Path) -> dict[str, str]:
    """The environment after `shell` sources `script` (in a fresh directory)."""
    path = tmp / "patch"
    path.write_bytes(script.encode("utf-8"))  # a surrogate here is a renderer bug: it raises
    out = tmp / "env.out"
    argv = {
        "bash": ["bash", "--norc", "--noprofile", "-c", '. "$1" && env -0 > "$2"', "-"],
        "zsh": ["zsh", "-f", "-c", '. "$1" && env -0 > "$2"', "-"],
        "fish": ["fish", "--no-config", "-c", "source $argv[1]; and env -0 > $argv[2]"],
    }[shell]
    env = {**BASE, "HOME": str(tmp)}
    done = subprocess.run(
        [*argv, str(path), str(out)], cwd=tmp, env=env, capture_output=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert not (tmp / "PWNED").exists(), "the script ran a command from a value"
    pairs = out.read_bytes().decode("utf-8").split("\0")[:-1]
    return dict(p.split("=", 1) for p in pairs)


def _changes(shell: str, actions: Sequence[EnvAction], tmp: Path) -> dict[str, str] | None:
    """What sourcing the rendered actions changed, or None when the renderer refused."""
    try:
        script = render_env(actions, shell)
    except DlenvError:
        return None
    before = _environment(shell, "", tmp)
    after = _environment(shell, script, tmp)
    assert set(before) - set(after) == set(), "a variable was removed"
    return {k: v for k, v in after.items() if before.get(k) != v}


def _accepts(value: str) -> bool:
    """What every target must be able to write: no NUL, no surrogate, no control character."""
    return not re.search(
        "[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\ud800-\udfff]", value
    )


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
@QUICK
@given(value=VALUES)
@example(value="==")  # zsh's `=cmd` expansion: found by this test on CI
@example(value="=python3")
def test_a_set_value_comes_back_exactly(
    shell: str, value: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp(shell)
    changes = _changes(shell, [SetEnv(name="DLENV_T", value=value)], tmp)
    if changes is None:
        assert not _accepts(value) or "\n" in value
        return
    assert changes == {"DLENV_T": value}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
@QUICK
@given(value=VALUES)
def test_a_path_entry_is_added_and_removed_exactly(
    shell: str, value: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp(shell)
    added = _changes(shell, [PrependPath(name="DLENV_P", entries=[value])], tmp)
    if added is None:
        return  # refused: NUL, a control character, the separator, or empty
    assert added == {"DLENV_P": f"{value}:/base"}
    removed = _changes(
        shell,
        [
            PrependPath(name="DLENV_P", entries=[value]),
            RemoveFromPath(name="DLENV_P", entries=[value]),
        ],
        tmp,
    )
    assert removed == {}


@QUICK
@given(value=VALUES)
def test_conda_activation_sets_and_deactivation_restores(
    value: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp("conda")
    actions: list[EnvAction] = [SetEnv(name="DLENV_T", value=value)]
    try:
        script = activate_sh(actions) + deactivate_sh(actions)
        on = activate_sh(actions)
    except DlenvError:
        return
    assert _environment("bash", on, tmp)["DLENV_T"] == value
    assert "DLENV_T" not in _environment("bash", script, tmp)


# -- structural readers for what cannot run here -------------------------------------------
_PWSH_QUOTES = "'\u2018\u2019\u201a\u201b"


def _pwsh_literal(text: str) -> tuple[str, str]:
    """A single-quoted PowerShell literal at the start of `text`: (its value, what follows)."""
    assert text[0] in _PWSH_QUOTES
    out, i = [], 1
    while True:
        assert i < len(text), "unterminated string"
        c = text[i]
        if c in _PWSH_QUOTES:
            if i + 1 < len(text) and text[i + 1] in _PWSH_QUOTES:
                out.append(c)
                i += 2
                continue
            return "".join(out), text[i + 1 :]
        out.append(c)
        i += 1


@QUICK
@given(value=VALUES)
def test_powershell_reads_one_literal(value: str) -> None:
    try:
        text = render_env([SetEnv(name="DLENV_T", value=value)], "pwsh")
    except DlenvError:
        assert not _accepts(value.replace("\n", ""))
        return
    assert text.startswith("$env:DLENV_T = ")
    parsed, rest = _pwsh_literal(text[len("$env:DLENV_T = ") :])
    assert (parsed, rest) == (value, "\n")
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", text)


@QUICK
@given(value=VALUES)
def test_cmd_reads_one_set(value: str) -> None:
    try:
        text = render_env([SetEnv(name="DLENV_T", value=value)], "cmd")
    except DlenvError:
        assert not _accepts(value) or set(value) & set('%!"\n')
        return
    match = re.fullmatch(r'set "DLENV_T=([^%!"\r\n]*)"\r\n', text)
    assert match is not None and match.group(1) == value
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", text[:-2])


def _dotenv(lines: Sequence[str], environ: dict[str, str]) -> dict[str, str]:
    """python-dotenv's reading of the lines dlenv writes; anything else is an error."""
    out: dict[str, str] = {}
    for line in "\n".join(lines).splitlines():  # python-dotenv ends lines at \r, \n and \r\n
        if line.startswith("#") or not line.strip():
            continue
        m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", line)
        assert m, f"not a dotenv line: {line!r}"
        name, raw = m.groups()
        if single := re.fullmatch(r"'((?:\\'|[^'])*)'", raw):
            out[name] = re.sub(r"\\([\\'])", r"\1", single.group(1))
        elif double := re.fullmatch(r'"((?:\\"|[^"])*)"', raw):
            assert "\\" not in double.group(1), "escapes in double quotes are not written"
            out[name] = re.sub(
                r"\$\{([^}:]*)\}", lambda v: environ.get(v.group(1), ""), double.group(1)
            )
        else:
            raise AssertionError(f"an unquoted value: {line!r}")
    return out


@QUICK
@given(value=VALUES)
def test_dotenv_reads_the_value_or_a_comment(value: str) -> None:
    try:
        lines = render_dotenv([SetEnv(name="DLENV_T", value=value)])
    except DlenvError:
        assert not _accepts(value) or set(value) & set("'\n") or "\\" in value
    else:
        assert _dotenv(lines, {}) == {"DLENV_T": value}
    try:
        lines = render_dotenv([PrependPath(name="DLENV_P", entries=[value])])
    except DlenvError:
        pass
    else:
        assert _dotenv(lines, {"DLENV_P": "/base"}) == {"DLENV_P": f"{value}:/base"}
    comment = render_dotenv([RemoveFromPath(name="DLENV_P", entries=[value])])
    assert len(comment) == 1 and _dotenv(comment, {}) == {}
    assert not re.search("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]", comment[0])


def _github_env(text: str) -> dict[str, str]:
    """The runner's reading of $GITHUB_ENV: NAME=value, or NAME<<DELIMITER ... DELIMITER."""
    out: dict[str, str] = {}
    lines = text.split("\n")
    assert lines[-1] == ""
    lines.pop()
    i = 0
    while i < len(lines):
        head = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)<<(\S+)", lines[i])
        assert head, f"not an env file line: {lines[i]!r}"
        end = lines.index(head.group(2), i + 1)
        out[head.group(1)] = "\n".join(lines[i + 1 : end])
        i = end + 1
    return out


@QUICK
@given(value=VALUES)
def test_github_env_reads_the_value(value: str) -> None:
    try:
        env_text, path_text = render_github(
            [SetEnv(name="DLENV_T", value=value), PrependPath(name="PATH", entries=[value or "x"])],
            {"PATH": "/usr/bin"},
        )
    except DlenvError:
        assert not _accepts(value.replace("\n", "")) or "\n" in value
        return
    assert "\r" not in env_text and "\r" not in path_text
    assert _github_env(env_text) == {"DLENV_T": value}
    assert path_text.split("\n")[:-1] == [value or "x"]


def test_names_are_names() -> None:
    for shell in ("bash", "fish", "pwsh", "cmd"):
        with pytest.raises(DlenvError, match="not a variable name"):
            render_env([SetEnv(name="X=1\nLD_PRELOAD", value="a")], shell)
    with pytest.raises(DlenvError, match="not a variable name"):
        render_dotenv([SetEnv(name="X Y", value="a")])


def test_the_reported_dotenv_injection_stays_a_comment() -> None:
    """The reproducer: a PYTHONPATH entry holding a line break and an LD_PRELOAD line."""
    lines = render_dotenv(
        [RemoveFromPath(name="PYTHONPATH", entries=["/nonexistent/x\nLD_PRELOAD=/tmp/evil.so"])]
    )
    assert lines == [
        "# dlenv: a .env file cannot remove entries from PYTHONPATH: "
        "/nonexistent/x\\nLD_PRELOAD=/tmp/evil.so"
    ]
    assert _dotenv(lines, {}) == {}


def test_refusals_say_why() -> None:
    with pytest.raises(DlenvError, match="holds NUL"):
        render_env([SetEnv(name="X", value="a\0b")], "bash")
    with pytest.raises(DlenvError, match=r"control character\(s\) \\x1b"):
        render_env([SetEnv(name="X", value="a\x1b]52;c;eA==\x07")], "fish")
    with pytest.raises(DlenvError, match="not UTF-8"):
        render_env([SetEnv(name="X", value="a\udcff")], "pwsh")

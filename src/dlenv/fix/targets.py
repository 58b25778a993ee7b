"""Where `dlenv fix --apply` writes, per target: the files and their new content.

shell: an env script dlenv owns plus one guarded source line in the rc file(s); conda: the
environment's activate.d/deactivate.d; dotenv: a block in .env; github: $GITHUB_ENV/$GITHUB_PATH.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from dlenv.errors import DlenvError
from dlenv.fix.actions import EnvAction, PrependPath, RemoveFromPath, SetEnv, UnsetEnv
from dlenv.fix.apply import (
    OWNED_HEADER,
    FileChange,
    Journal,
    home_dir,
    put_block,
    read_target,
    resolve,
    xdg_dir,
)
from dlenv.fix.planner import merge_env
from dlenv.snapshot.serde import from_data, to_data

TARGETS = ("shell", "conda", "dotenv", "github")
BLOCK_NOTE = "# Added by `dlenv fix --apply`; `dlenv fix --undo` removes it."
OWNED_NOTE = (
    f"{OWNED_HEADER}: written by `dlenv fix --apply`, removed by `dlenv fix --undo`; "
    "edits here are overwritten."
)


@dataclass(frozen=True)
class Target:
    kind: str  # one of TARGETS
    shell: str = "bash"
    rc_file: Path | None = None  # instead of the shell's usual start-up file(s)
    env_file: Path | None = None  # the dotenv file
    conda_prefix: Path | None = None

    @property
    def key(self) -> str:
        if self.kind == "shell":
            return "shell:fish" if self.shell == "fish" else f"shell:{self.shell}"
        if self.kind == "conda":
            return f"conda:{self.conda_prefix}"
        if self.kind == "dotenv":
            return f"dotenv:{self.env_file}"
        return "github"


def named_file(path: Path, option: str) -> Path:
    """A file named with --rc-file or --env-file, made absolute and refused before anything is
    read if --apply cannot sensibly edit it: a device or FIFO (read forever, and never to be
    replaced), or a link whose target's directory is missing (dlenv would create directories
    wherever the link points). A directory is refused later, with its own message."""
    try:
        path = path.absolute()
    except OSError:
        raise DlenvError(
            f"{option} {path}: the working directory no longer exists; give an absolute path"
        ) from None
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if not path.parent.is_dir() or (path.is_symlink() and not _link_parent_exists(path)):
            raise DlenvError(f"{option} {path}: its directory does not exist") from None
        return path
    except OSError as exc:
        raise DlenvError(f"{option} {path}: cannot read ({exc.strerror})") from None
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        raise DlenvError(f"{option} {path}: not a regular file")
    return path


def _link_parent_exists(link: Path) -> bool:
    target = Path(os.path.join(link.parent, os.readlink(link)))
    return target.parent.is_dir()


def default_target(environ: Mapping[str, str]) -> str:
    return "conda" if environ.get("CONDA_PREFIX") else "shell"


def config_home() -> Path:
    """$XDG_CONFIG_HOME when it is an absolute path, else ~/.config."""
    return xdg_dir("XDG_CONFIG_HOME", ".config")


def accumulate(prior: Sequence[EnvAction], new: Sequence[EnvAction]) -> list[EnvAction]:
    """What the target holds after this apply: earlier dlenv fixes stay unless a new one overrides.

    A later run whose findings are already fixed must not take the fixes back out.
    """
    kept: list[EnvAction] = []
    for old in prior:
        same = [a for a in new if a.name == old.name]
        if not same:
            kept.append(old)
        elif any(isinstance(a, SetEnv | UnsetEnv) for a in same) or isinstance(
            old, SetEnv | UnsetEnv
        ):
            continue
        else:
            assert isinstance(old, PrependPath | RemoveFromPath)
            opposite = {
                e
                for a in same
                if isinstance(a, PrependPath | RemoveFromPath) and type(a) is not type(old)
                for e in a.entries
            }
            entries = [e for e in old.entries if e not in opposite]
            if entries:
                kept.append(type(old)(name=old.name, entries=entries))
    conflicts: list[str] = []
    merged = merge_env([("", a) for a in [*new, *kept]], conflicts)
    return [a for _, a in merged]


def load_applied(journal: Journal, key: str) -> list[EnvAction]:
    data = journal.applied.get(key, [])
    try:
        return cast(list[EnvAction], from_data(cast(Any, list[EnvAction]), data))
    except ValueError as exc:
        raise DlenvError(f"dlenv's journal: damaged entry for {key} ({exc})") from None


def prepare_apply(
    new: Sequence[EnvAction], target: Target, journal: Journal, environ: Mapping[str, str]
) -> tuple[list[FileChange], dict[str, list[Any]]]:
    """The file changes for `target` (only those that change something) and the new state."""
    if target.kind == "github":
        return _github(new, environ), dict(journal.applied)
    actions = accumulate(load_applied(journal, target.key), new)
    applied = dict(journal.applied)
    applied[target.key] = [to_data(a) for a in actions]
    if not actions:
        return [], applied
    if target.kind == "conda":
        changes = _conda(actions, target, journal)
    elif target.kind == "dotenv":
        changes = _dotenv(actions, target, journal)
    elif target.kind == "shell":
        changes = _shell(actions, target, journal)
    else:
        raise DlenvError(f"unknown target {target.kind!r} (choose one of {', '.join(TARGETS)})")
    return [c for c in changes if c.before != c.after], applied


def owned_change(path: Path, content: str, journal: Journal) -> FileChange:
    real = resolve(path)
    before = read_target(path, real, make_parents=True)
    if (
        before is not None
        and str(path) not in journal.files
        and not before.startswith(OWNED_HEADER.encode())
    ):
        raise DlenvError(f"{path}: exists and was not written by dlenv; nothing was changed")
    return FileChange(path, real, before, content.encode(), "owned", make_parents=True)


def block_change(
    path: Path, inner: Sequence[str], journal: Journal, *, make_parents: bool = False
) -> FileChange:
    """`path` with dlenv's block put in. Its directory must exist unless `make_parents` (a
    start-up file in a config directory that may not exist yet: PowerShell's profile)."""
    real = resolve(path)
    before = read_target(path, real, make_parents=make_parents)
    record = journal.files.get(str(path))
    known = record.known_blocks if record else []
    after, prefix = put_block(before, inner, known, path)
    return FileChange(
        path, real, before, after, "block", "\n".join(inner), prefix, make_parents=make_parents
    )


def rc_files(target: Target) -> list[Path]:
    if target.rc_file is not None:
        return [target.rc_file]
    home = home_dir()
    if target.shell == "zsh":
        return [Path(os.environ.get("ZDOTDIR") or home) / ".zshrc"]
    if target.shell == "pwsh":
        if sys.platform == "win32":
            return [home / "Documents" / "PowerShell" / "Microsoft.PowerShell_profile.ps1"]
        return [config_home() / "powershell" / "Microsoft.PowerShell_profile.ps1"]
    # interactive shells read ~/.bashrc; login shells the first of these that exists
    login = next(
        (home / n for n in (".bash_profile", ".bash_login", ".profile") if (home / n).exists()),
        home / ".profile",
    )
    return [home / ".bashrc", login]


def _shell(actions: list[EnvAction], target: Target, journal: Journal) -> list[FileChange]:
    from dlenv.fix.render import render_env

    if target.shell == "cmd":
        raise DlenvError(
            "cmd.exe has no start-up file dlenv edits; use `--format script` and `call` it, "
            "or --shell pwsh"
        )
    header = OWNED_NOTE + "\n"
    if target.shell == "fish":
        path = config_home() / "fish" / "conf.d" / "dlenv.fish"
        return [owned_change(path, header + render_env(actions, "fish"), journal)]
    if target.shell == "pwsh":
        from dlenv.fix.render.pwsh import quote as pq

        script = config_home() / "dlenv" / "env.ps1"
        line = f"if (Test-Path -LiteralPath {pq(str(script))}) {{ . {pq(str(script))} }}"
    else:
        from dlenv.fix.render.posix import quote as sq

        script = config_home() / "dlenv" / "env.sh"
        line = f"if [ -f {sq(str(script))} ]; then . {sq(str(script))}; fi"
    changes = [owned_change(script, header + render_env(actions, target.shell), journal)]
    for rc in rc_files(target):
        parents = target.shell == "pwsh" and target.rc_file is None
        changes.append(block_change(rc, [BLOCK_NOTE, line], journal, make_parents=parents))
    return changes


def conda_prefix(environ: Mapping[str, str], given: Path | None) -> Path:
    prefix = given or (Path(environ["CONDA_PREFIX"]) if environ.get("CONDA_PREFIX") else None)
    if prefix is None:
        raise DlenvError("--target conda needs an active conda environment ($CONDA_PREFIX)")
    if not (prefix / "conda-meta").is_dir():
        raise DlenvError(f"{prefix}: not a conda environment (no conda-meta directory)")
    return prefix


def _conda(actions: list[EnvAction], target: Target, journal: Journal) -> list[FileChange]:
    from dlenv.fix.render import conda

    assert target.conda_prefix is not None
    base = target.conda_prefix / "etc" / "conda"
    return [
        owned_change(base / "activate.d" / "dlenv.sh", conda.activate_sh(actions), journal),
        owned_change(base / "deactivate.d" / "dlenv.sh", conda.deactivate_sh(actions), journal),
        owned_change(base / "activate.d" / "dlenv.fish", conda.activate_fish(actions), journal),
        owned_change(base / "deactivate.d" / "dlenv.fish", conda.deactivate_fish(actions), journal),
    ]


def _dotenv(actions: list[EnvAction], target: Target, journal: Journal) -> list[FileChange]:
    from dlenv.fix.render.dotenv import render_dotenv

    path = (target.env_file or Path(".env")).absolute()
    note = "# Added by `dlenv fix --apply --target dotenv`; `dlenv fix --undo` removes it."
    return [block_change(path, [note, *render_dotenv(actions, os.pathsep)], journal)]


def _github(new: Sequence[EnvAction], environ: Mapping[str, str]) -> list[FileChange]:
    from dlenv.fix.render.github import render_github

    env_text, path_text = render_github(new, environ, os.pathsep)
    changes = []
    for var, text in (("GITHUB_ENV", env_text), ("GITHUB_PATH", path_text)):
        if not text:
            continue
        if not environ.get(var):
            raise DlenvError(
                f"--target github needs ${var} (it is set inside a GitHub Actions job)"
            )
        path = Path(environ[var])
        if not path.is_absolute():
            raise DlenvError(f"${var} is a relative path ({path}); the runner sets an absolute one")
        before = read_target(path, resolve(path), make_parents=False)
        if before is not None and text.encode() in before:
            continue  # already written by an earlier run in this step
        sep = b"" if not before or before.endswith(b"\n") else b"\n"
        after = (before or b"") + sep + text.encode()
        changes.append(FileChange(path, resolve(path), before, after, "append"))
    return changes


def apply_now(
    actions: Sequence[EnvAction], target: Target, environ: Mapping[str, str]
) -> list[FileChange]:
    """Apply without asking (the caller has asked); the changes made. See `dlenv.fix.operations`."""
    from dlenv.fix.operations import apply_actions

    return apply_actions(actions, target, environ=environ).changes


def undo_now() -> list[FileChange]:
    """Undo everything `dlenv fix --apply` wrote, without asking; the changes made."""
    from dlenv.fix.operations import undo_all

    return undo_all().changes

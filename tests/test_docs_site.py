"""The documentation site: `mkdocs build --strict` passes, every rule has its page at a stable
URL with what the code says, and `dlenv rules CODE --open` opens that page.

The generated pages are not checked in: scripts/gen_site.py makes them from the code on every
build (through scripts/mkdocs_hooks.py), and these tests build the site and compare."""

from __future__ import annotations

import html
import importlib.util
import os
import re
import subprocess
import sys
import webbrowser
from pathlib import Path
from types import ModuleType

import pytest

from dlenv.cli.app import main
from dlenv.rules import all_rules, get_rule
from dlenv.rules.docs import sections
from dlenv.rules.registry import DOCS_BASE

ROOT = Path(__file__).resolve().parents[1]


def _load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


gen_site = _load_script("gen_site")


def _text(page: str) -> str:
    """An HTML page's visible text, whitespace folded (enough to find a paragraph in it)."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("mkdocs", reason="the docs extra: pip install '.[docs]' (scripts/test.sh)")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr
    return out


def test_every_rule_has_its_page_with_what_the_code_says(site: Path) -> None:
    for r in all_rules():
        page = site / "rules" / r.code.lower() / "index.html"
        assert page.is_file(), r.code
        text = _text(page.read_text(encoding="utf-8"))
        assert f"{r.code} {r.name}" in text
        assert r.severity in text
        for name, body in sections(r).items():
            # compared without spaces: inline code closes with a tag the text keeps a space for
            plain = "".join(body.replace("`", "").split())
            assert plain in "".join(text.split()), f"{r.code}: {name} is not on its page"
        # the docstring's Example is the bad case and its Fix the good one
        assert "Bad: a machine where it fires" in text
        assert "Good: the fix" in text


def test_rule_pages_show_their_relations_and_messages(site: Path) -> None:
    from dlenv.importers.signatures import SIGNATURES

    for r in all_rules():
        text = _text((site / "rules" / r.code.lower() / "index.html").read_text("utf-8"))
        for sig in SIGNATURES:
            if r.code in sig.rules:
                assert sig.id in text, f"{r.code}: message {sig.id} is not listed"
        for code in r.explained_by:
            if len(code) == 5:
                assert "Not shown when" in text and code in text, r.code
    # DL101's checks read the driver table; the nouveau check reads none
    dl101 = (site / "rules" / "dl101" / "index.html").read_text("utf-8")
    assert 'href="../../kb/driver/"' in dl101
    assert gen_site.kb_tables_used(get_rule("DL104").fn) == []  # type: ignore[union-attr]


def test_the_tool_links_to_pages_that_exist(site: Path) -> None:
    assert DOCS_BASE == "https://dlenv.github.io/dlenv/rules"
    for r in all_rules():
        assert r.docs_url == f"https://dlenv.github.io/dlenv/rules/{r.code.lower()}/"
        path = r.docs_url.removeprefix("https://dlenv.github.io/dlenv/")
        assert (site / path / "index.html").is_file(), r.docs_url
    # the site's own base is the one the links are built on
    assert "site_url: https://dlenv.github.io/dlenv/" in (ROOT / "mkdocs.yml").read_text("utf-8")


def test_the_site_has_every_section(site: Path) -> None:
    from dlenv.kb.views import TABLES

    for path in (
        "index.html",
        "getting-started/index.html",
        "guide/index.html",
        "security/index.html",
        "schema/index.html",
        "changelog/index.html",
        "fleet/index.html",
        "validating-gpu-runners/index.html",
        "report.schema.json",
        "search/search_index.json",
    ):
        assert (site / path).is_file(), path
    for name in TABLES:
        assert (site / "kb" / name / "index.html").is_file(), name
    for command in ("doctor", "check", "explain", "fix", "kb", "rules"):
        assert (site / "commands" / command / "index.html").is_file(), command
    # the rules index keeps an anchor per code, so old `rules.md#dl101` links still land
    index = (site / "rules" / "index.html").read_text("utf-8")
    for r in all_rules():
        assert f'id="{r.code.lower()}"' in index


def test_generated_pages_are_made_from_the_code_each_time() -> None:
    first = gen_site.generated_pages()
    assert first == gen_site.generated_pages()
    assert {f"rules/{r.code.lower()}.md" for r in all_rules()} <= set(first)
    for r in all_rules():
        assert gen_site.rule_page(r) == first[f"rules/{r.code.lower()}.md"]
    # the command pages carry the options the Typer app has now
    doctor = first["commands/doctor.md"]
    for option in ("--python", "--format", "--from", "--quick", "--live-timeout"):
        assert f"`{option}`" in doctor
    assert "`DLENV_QUICK`" in doctor


def test_command_pages_show_the_real_help() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "dlenv", "kb", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": str(gen_site.HELP_WIDTH), "NO_COLOR": "1"},
        check=True,
    ).stdout
    page = gen_site.command_pages()["commands/kb.md"]
    block = page.split("```console\n$ dlenv kb --help\n", 1)[1].split("\n```", 1)[0]
    assert block == "\n".join(line.rstrip() for line in out.splitlines()).strip("\n")


def test_a_written_fleet_page_replaces_the_stub(tmp_path: Path) -> None:
    assert "fleet.md" in gen_site.generated_pages(tmp_path)
    (tmp_path / "fleet.md").write_text("# Fleets\n", encoding="utf-8")
    assert "fleet.md" not in gen_site.generated_pages(tmp_path)


def test_links_out_of_docs_go_to_github() -> None:
    text = "[envs](environments/) and [the changelog](docs/guide.md#x) [a](https://x.org)"
    assert gen_site.github_links(text) == (
        "[envs](https://github.com/dlenv/dlenv/tree/main/environments) and "
        "[the changelog](guide.md#x) [a](https://x.org)"
    )


# ---- `dlenv rules CODE --open`


def test_rules_open_starts_the_browser_named_by_BROWSER(tmp_path: Path) -> None:
    seen = tmp_path / "url"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\nprintf %s "$1" > {seen}\n', encoding="utf-8")
    browser.chmod(0o755)
    env = {**os.environ, "BROWSER": f"{browser} %s", "DISPLAY": "", "WAYLAND_DISPLAY": ""}
    proc = subprocess.run(
        [sys.executable, "-m", "dlenv", "rules", "dl101", "--open"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert seen.read_text(encoding="utf-8") == "https://dlenv.github.io/dlenv/rules/dl101/"
    assert proc.stdout == "Opening https://dlenv.github.io/dlenv/rules/dl101/\n"


def test_rules_open_without_a_code_opens_the_index(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url) or True)
    with pytest.raises(SystemExit) as exc:
        main(["rules", "--open"])
    assert exc.value.code == 0
    assert opened == ["https://dlenv.github.io/dlenv/rules/"]


def test_rules_open_without_a_browser_says_where_to_go(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(webbrowser, "open", lambda url: False)
    with pytest.raises(SystemExit) as exc:
        main(["rules", "DL303", "--open"])
    assert exc.value.code == 2
    assert capsys.readouterr().err == (
        "dlenv: error: no web browser could be started: open "
        "https://dlenv.github.io/dlenv/rules/dl303/ yourself\n"
    )


def test_rules_open_an_unknown_rule_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["rules", "DL999", "--open"])
    assert exc.value.code == 2
    assert "unknown rule 'DL999'" in capsys.readouterr().err

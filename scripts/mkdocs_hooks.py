"""MkDocs hooks (mkdocs.yml `hooks:`): the generated pages, and links that work on GitHub and
on the site alike.

* on_config: the nav's "Commands", "Rules" and "Knowledge base" entries grow one item per
  command, rule and table (scripts/gen_site.py NAV_SECTIONS), so a new rule needs no nav edit.
* on_files: the pages of scripts/gen_site.py are added in memory (nothing is written to docs/);
  a hand-written file of the same path wins (docs/fleet.md replaces the fleet stub).
* on_page_markdown: docs/rules.md (the one-file reference kept for GitHub readers) is served as
  the index of the rule pages; `rules.md#dl101` links go to `rules/dl101.md`; links that leave
  docs/ (`../environments/`) go to the repository on GitHub.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen_site

_RULE_LINK = re.compile(r"\]\((?P<up>(?:\.\./)*)rules\.md#(?P<code>dl\d{3})\)")
_OUTSIDE = re.compile(r"\]\((?P<target>(?:\.\./)+[^)\s#]*)(?P<anchor>#[^)\s]*)?\)")


def _expand(nav: Any) -> Any:
    if isinstance(nav, list):
        return [_expand(item) for item in nav]
    if isinstance(nav, dict):
        out = {}
        for title, value in nav.items():
            if isinstance(value, str) and value in gen_site.NAV_SECTIONS:
                out[title] = gen_site.NAV_SECTIONS[value]()
            else:
                out[title] = _expand(value)
        return out
    return nav


def on_config(config: Any) -> Any:
    config["nav"] = _expand(config["nav"])
    return config


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    docs_dir = Path(config["docs_dir"])
    generated = {**gen_site.generated_pages(docs_dir), **gen_site.extra_files()}
    for path, text in generated.items():
        if files.get_file_from_path(path) is None:
            files.append(File.generated(config, path, content=text))
    return files


def _outside_docs(page_uri: str, match: re.Match[str]) -> str:
    target = match.group("target")
    depth = page_uri.count("/")
    ups = target.count("../")
    if ups <= depth:  # still inside docs/
        return match.group(0)
    rel = target.replace("../", "")
    kind = "tree" if not rel or rel.endswith("/") else "blob"
    return f"]({gen_site.REPO_URL}/{kind}/main/{rel.rstrip('/')}{match.group('anchor') or ''})"


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    uri = page.file.src_uri
    if uri == "rules.md":
        return gen_site.rules_index()
    markdown = _RULE_LINK.sub(lambda m: f"]({m.group('up')}rules/{m.group('code')}.md)", markdown)
    return _OUTSIDE.sub(lambda m: _outside_docs(uri, m), markdown)

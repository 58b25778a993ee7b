"""Add every corpus repository that is in no part yet to the part its hash names.

python scripts/corpus_split.py         # rewrite tests/corpus/split.toml in place
python scripts/corpus_split.py --check # exit 1 (and list them) when a repository is missing

The rule is the one `split.toml` states and tests/corpus/test_corpus.py checks: a repository is
"test" when int(sha256(owner/name)) % 3 == 0, else "dev". Repositories already listed keep
their place; the header comment is kept as it is.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.corpus.corpus import SPLIT, reports, split


def part_of(repo: str) -> str:
    return "test" if int(hashlib.sha256(repo.encode()).hexdigest(), 16) % 3 == 0 else "dev"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report missing repositories")
    args = parser.parse_args()
    where = split()
    missing = sorted({r.repo.lower() for r in reports()} - set(where))
    if args.check:
        for repo in missing:
            print(f"{repo}: in no part (belongs to {part_of(repo)})")
        return 1 if missing else 0
    for repo in missing:
        where[repo] = part_of(repo)
    text = SPLIT.read_text("utf-8")
    header = text[: text.index("[dev]")]
    out = [header.rstrip("\n") + "\n"]
    for part in ("dev", "test"):
        out.append(f"\n[{part}]\nrepos = [\n")
        out.extend(f'  "{repo}",\n' for repo in sorted(r for r, p in where.items() if p == part))
        out.append("]\n")
    SPLIT.write_text("".join(out).lstrip("\n") if not header else "".join(out), "utf-8")
    print(f"{len(missing)} repositories added: {sum(part_of(r) == 'dev' for r in missing)} dev, "
          f"{sum(part_of(r) == 'test' for r in missing)} test")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

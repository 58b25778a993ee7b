"""Which CUDA and cuDNN major the non-framework programs that load CUDA themselves are built
for (data/library_majors.json): CTranslate2 (faster-whisper, whisperX), ONNX Runtime's CUDA
provider. A maintainer's arithmetic: "ctranslate2 4.5 needs cuDNN 9, torch 2.3 brings cuDNN 8".

Loaded on first use, not with the rest of the knowledge base: only the cuDNN rules ask for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from dlenv.errors import DlenvError
from dlenv.kb.tables import AsOf, read_data


@dataclass(frozen=True)
class ProgramMajors:
    """One release range of a program and the CUDA/cuDNN majors it is built for."""

    package: str  # "ctranslate2", "onnxruntime-gpu"
    versions: str  # PEP 440 specifier: ">=4.5"
    cuda: int  # CUDA major: 12
    cudnn: int  # cuDNN major: 9
    source: str
    note: str


@dataclass(frozen=True)
class LibraryMajors:
    programs: tuple[ProgramMajors, ...]
    as_of: AsOf


@cache
def library_majors() -> LibraryMajors:
    try:
        data = read_data("library_majors")
        return LibraryMajors(
            programs=tuple(
                ProgramMajors(
                    package=r["package"],
                    versions=r["versions"],
                    cuda=int(r["cuda"]),
                    cudnn=int(r["cudnn"]),
                    source=r["source"],
                    note=r["note"],
                )
                for r in data["programs"]
            ),
            as_of=AsOf(**data["as_of"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DlenvError(f"knowledge base file library_majors.json is unreadable: {exc}") from None


def program_majors(package: str, version: str | None) -> ProgramMajors | None:
    """The row for `package` at `version` ("4.5.0", "4.4"; a local tag is ignored), or None
    when the version is unparsable or no range holds it."""
    if not version:
        return None
    try:
        wanted = Version(version.split("+", 1)[0])
    except InvalidVersion:
        return None
    name = package.lower().replace("_", "-")
    for row in library_majors().programs:
        try:
            spec = SpecifierSet(row.versions)
        except InvalidSpecifier:
            continue
        if row.package == name and spec.contains(wanted, prereleases=True):
            return row
    return None

"""The minimum NVIDIA driver per Video Codec SDK (NVENC/NVDEC) API version
(data/video_codec_sdk.json, from NVIDIA's Video Codec SDK release notes).

Loaded on first use, not with the rest of the knowledge base: only the NVENC rules ask for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from dlenv.errors import DlenvError
from dlenv.kb.tables import read_data


@dataclass(frozen=True)
class CodecApiDriver:
    """A Video Codec SDK API version and the oldest drivers that offer it."""

    api: str  # "12.0"
    windows: str  # "522.25"
    linux: str  # "520.56.06"
    source: str


def _key(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split(".") if p.isdigit())


@cache
def codec_api_drivers() -> tuple[CodecApiDriver, ...]:
    """Every row, oldest API first."""
    try:
        rows = read_data("video_codec_sdk")["api_versions"]
        out = tuple(CodecApiDriver(**r) for r in rows)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DlenvError(f"knowledge base file video_codec_sdk.json is unreadable: {exc}") from None
    return tuple(sorted(out, key=lambda r: _key(r.api)))


def codec_api_driver(api: str) -> CodecApiDriver | None:
    """The row of an API version ("12.0", "12", "12.0.16"), or None when the table lacks it."""
    want = _key(api)[:2]
    if len(want) == 1:
        want = (want[0], 0)
    return next((r for r in codec_api_drivers() if _key(r.api) == want), None)


def codec_api_for_driver(driver: str, windows: bool) -> str | None:
    """The newest API version in the table that a driver offers, or None (older than all)."""
    have = _key(driver)
    best = None
    for r in codec_api_drivers():
        if _key(r.windows if windows else r.linux) <= have:
            best = r.api
    return best

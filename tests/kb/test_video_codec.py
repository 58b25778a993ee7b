"""The Video Codec SDK API -> minimum driver table (data/video_codec_sdk.json)."""

from __future__ import annotations

from dlenv.kb.video_codec import codec_api_driver, codec_api_drivers, codec_api_for_driver


def test_every_row_is_sourced_and_the_minimums_rise_with_the_api() -> None:
    rows = codec_api_drivers()
    assert [r.api for r in rows] == ["11.1", "12.0", "12.1", "12.2", "13.0"]
    assert all(r.source.startswith("https://") for r in rows)
    linux = [tuple(int(p) for p in r.linux.split(".")) for r in rows]
    assert linux == sorted(linux)


def test_an_api_maps_to_its_drivers_and_a_driver_to_its_newest_api() -> None:
    row = codec_api_driver("12.0")
    assert row is not None and (row.windows, row.linux) == ("522.25", "520.56.06")
    assert codec_api_driver("12") == row
    assert codec_api_driver("9.9") is None
    assert codec_api_for_driver("470.256.02", windows=False) == "11.1"
    assert codec_api_for_driver("531.79", windows=True) == "12.1"
    assert codec_api_for_driver("460.1", windows=True) is None

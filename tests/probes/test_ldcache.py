"""Tests for dlenv.probes.ldcache on hostile machines: unreadable, garbled or truncated caches."""

from __future__ import annotations

import struct

from dlenv.probes.ldcache import LD_SO_CACHE, LdCache, LdCacheEntry, read_ld_cache
from dlenv.system.fake import Command, FakeSystem

HEADER = struct.Struct("<20sIIB3xI12x")
ENTRY = struct.Struct("<iIIIQ")


def _cache(nlibs: int, entries: list[tuple[int, int]], strings: bytes) -> bytes:
    """A glibc-ld.so.cache1.1 file whose header claims `nlibs` entries (key/value offsets)."""
    head = HEADER.pack(b"glibc-ld.so.cache1.1", nlibs, len(strings), 2, 0)
    body = b"".join(ENTRY.pack(0x0303, key, value, 0, 0) for key, value in entries)
    return head + body + strings


def test_unreadable_cache_is_an_error_not_an_exception() -> None:
    system = FakeSystem(files={LD_SO_CACHE: b"x"}, unreadable={LD_SO_CACHE})
    assert read_ld_cache(system) == LdCache(
        source=LD_SO_CACHE, error="/etc/ld.so.cache is missing or unreadable"
    )
    assert system.calls == []


def test_garbled_cache_and_no_ldconfig_on_path() -> None:
    system = FakeSystem(files={LD_SO_CACHE: b"\x00\xff" * 64}, env_vars={"PATH": "/nowhere"})
    assert read_ld_cache(system) == LdCache(
        source=LD_SO_CACHE,
        error="/etc/ld.so.cache: not a glibc ld.so.cache (bad magic); ldconfig: not found",
    )


def test_header_that_claims_more_entries_than_the_file_holds() -> None:
    system = FakeSystem(files={LD_SO_CACHE: _cache(1_000_000, [], b"")})
    system.add_command("ldconfig -p", Command(hang=True))
    cache = read_ld_cache(system, timeout=0.01)
    assert cache.entries == ()
    assert cache.error == (
        "/etc/ld.so.cache: header claims 1000000 entries, file too short; "
        "ldconfig timed out after 0.0 s"
    )


def test_string_offset_outside_the_file_falls_back_to_ldconfig() -> None:
    strings = b"libz.so.1\0/lib/libz.so.1\0"
    data = _cache(1, [(10_000, 10)], strings)
    system = FakeSystem(files={LD_SO_CACHE: data, "/sbin/ldconfig": "#!/bin/sh\n"})
    system.env_vars["PATH"] = "/sbin"
    system.add_command(
        "ldconfig -p",
        Command(stdout="1 libs found in cache\n\tlibz.so.1 (libc6,x86-64) => /lib/libz.so.1\n"),
    )
    cache = read_ld_cache(system)
    assert cache.source == "ldconfig -p"
    assert cache.entries == (LdCacheEntry("libz.so.1", "/lib/libz.so.1", 0x0303),)

"""The dynamic loader's cache, /etc/ld.so.cache, read directly (no `ldconfig -p` subprocess).

Parses glibc's "glibc-ld.so.cache1.1" format (alone, or after the old "ld.so-1.7.0" table) and
falls back to `ldconfig -p` only when the file is there but cannot be parsed.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field

from dlenv.system.base import System

LD_SO_CACHE = "/etc/ld.so.cache"
_OLD_MAGIC = b"ld.so-1.7.0"
_NEW_MAGIC = b"glibc-ld.so.cache1.1"
# struct cache_file_new: magic[17] version[3] nlibs len_strings flags pad[3] ext_offset unused[3]
_NEW_HEADER = struct.Struct("<20sIIB3xI12x")
_NEW_ENTRY = struct.Struct("<iIIIQ")  # flags, key, value, osversion, hwcap
_OLD_ENTRY_SIZE = 12  # flags, key, value (int32 each)

# Library type bits of an entry's flags (glibc sysdeps/generic/ldconfig.h, FLAG_*_LIB64 etc.:
# https://sourceware.org/git/?p=glibc.git;a=blob;f=sysdeps/generic/ldconfig.h).
FLAG_TYPE_MASK = 0x00FF
FLAG_ARCH_MASK = 0xFF00
FLAG_ELF_LIBC6 = 0x0003
ARCH_FLAGS: dict[str, int] = {
    "x86_64": 0x0300,  # FLAG_X8664_LIB64, printed "x86-64"
    "ppc64le": 0x0500,  # FLAG_POWERPC_LIB64, printed "64bit"
    "ppc64": 0x0500,
    "s390x": 0x0400,  # FLAG_S390_LIB64
    "aarch64": 0x0A00,  # FLAG_AARCH64_LIB64, printed "AArch64"
}
# how `ldconfig -p` spells the same arch bits, for the fallback parser
_LDCONFIG_ARCH_WORDS: dict[str, int] = {"x86-64": 0x0300, "64bit": 0x0500, "AArch64": 0x0A00}


@dataclass(frozen=True)
class LdCacheEntry:
    soname: str  # "libcudart.so.12"
    path: str  # "/usr/local/cuda-12.2/targets/x86_64-linux/lib/libcudart.so.12"
    flags: int = FLAG_ELF_LIBC6


@dataclass(frozen=True)
class LdCache:
    """What the loader's cache holds; `error` says why it could not be read (empty entries)."""

    source: str  # "/etc/ld.so.cache", "ldconfig -p", or the missing path
    entries: tuple[LdCacheEntry, ...] = ()
    error: str | None = None
    by_soname: dict[str, tuple[LdCacheEntry, ...]] = field(default_factory=dict)

    def lookup(self, soname: str, machine: str | None = None) -> list[LdCacheEntry]:
        """Entries for `soname` in cache order, only those of the machine's architecture."""
        found = self.by_soname.get(soname, ())
        wanted = ARCH_FLAGS.get(machine or "")
        if wanted is None:
            return list(found)
        return [e for e in found if e.flags & FLAG_ARCH_MASK == wanted]


def parse_ld_so_cache(data: bytes) -> list[LdCacheEntry]:
    """Entries of a binary ld.so.cache, in file order. Raises ValueError when it is not one."""
    base = 0
    if data.startswith(_OLD_MAGIC):
        # old format first: header is magic (11 bytes, padded to 12) + nlibs, then 12-byte
        # entries; the new table follows, aligned to 8 bytes.
        if len(data) < 16:
            raise ValueError("truncated old-format header")
        (nlibs_old,) = struct.unpack_from("<I", data, 12)
        base = 16 + nlibs_old * _OLD_ENTRY_SIZE
        base = (base + 7) & ~7
        if not data[base:].startswith(_NEW_MAGIC):
            raise ValueError("old-format cache without a glibc-ld.so.cache1.1 table")
    elif not data.startswith(_NEW_MAGIC):
        raise ValueError("not a glibc ld.so.cache (bad magic)")
    if len(data) < base + _NEW_HEADER.size:
        raise ValueError("truncated header")
    _magic, nlibs, _len_strings, _endian, _ext = _NEW_HEADER.unpack_from(data, base)
    table = base + _NEW_HEADER.size
    if table + nlibs * _NEW_ENTRY.size > len(data):
        raise ValueError(f"header claims {nlibs} entries, file too short")
    entries: list[LdCacheEntry] = []
    for i in range(nlibs):
        flags, key, value, _osv, _hwcap = _NEW_ENTRY.unpack_from(data, table + i * _NEW_ENTRY.size)
        # string offsets are relative to the start of the new-format header
        entries.append(LdCacheEntry(_cstr(data, base + key), _cstr(data, base + value), flags))
    return entries


def _cstr(data: bytes, offset: int) -> str:
    if not 0 <= offset < len(data):
        raise ValueError(f"string offset {offset} outside the file")
    end = data.find(b"\0", offset)
    if end < 0:
        raise ValueError("unterminated string")
    return data[offset:end].decode("utf-8", errors="replace")


_LDCONFIG_LINE = re.compile(r"^\s+(\S+)\s+\(([^)]*)\)(?:\s+OS ABI:[^=]*)?\s+=>\s+(\S.*)$")


def parse_ldconfig_p(text: str) -> list[LdCacheEntry]:
    """Entries from `ldconfig -p` output ("\\tlibz.so.1 (libc6,x86-64) => /lib/.../libz.so.1")."""
    entries = []
    for line in text.splitlines():
        match = _LDCONFIG_LINE.match(line)
        if not match:
            continue
        words = match.group(2).split(",")
        flags = FLAG_ELF_LIBC6 if "libc6" in words else 0
        for word in words:
            flags |= _LDCONFIG_ARCH_WORDS.get(word.strip(), 0)
        entries.append(LdCacheEntry(match.group(1), match.group(3).strip(), flags))
    return entries


def read_ld_cache(system: System, path: str = LD_SO_CACHE, timeout: float = 5.0) -> LdCache:
    """The machine's loader cache; a missing file is an empty cache, as it is for ld.so."""
    data = system.read_bytes(path, limit=64 << 20)
    if data is None:
        reason = f"{path} is missing or unreadable" if system.exists(path) else f"no {path}"
        return LdCache(source=path, error=reason)
    try:
        return _index(path, parse_ld_so_cache(data))
    except (ValueError, struct.error) as exc:
        parse_error = f"{path}: {exc}"
    result = system.run(["ldconfig", "-p"], timeout=timeout)
    if not result.ok:
        return LdCache(source=path, error=f"{parse_error}; {result.describe_failure()}")
    return _index("ldconfig -p", parse_ldconfig_p(result.stdout))


def _index(source: str, entries: list[LdCacheEntry]) -> LdCache:
    by_soname: dict[str, list[LdCacheEntry]] = {}
    for entry in entries:
        by_soname.setdefault(entry.soname, []).append(entry)
    return LdCache(
        source=source,
        entries=tuple(entries),
        by_soname={k: tuple(v) for k, v in by_soname.items()},
    )

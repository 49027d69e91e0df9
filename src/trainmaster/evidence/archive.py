"""The bundle's container: a canonical `.tar.gz`, written and read entirely in memory.

Canonical means one byte sequence per set of files: sorted names, fixed metadata (mtime 0,
root-owned, 0644) and a gzip header without name or time. Verification rebuilds the canonical
archive from what it read, so a change to any byte of the bundle — a member's content, a tar
header, the padding, the gzip header or trailer — is detected, not only changes to contents.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zlib
from collections.abc import Mapping

MAX_BUNDLE_BYTES = 512 * 1024 * 1024  # uncompressed; a bundle is evidence, not a disk image
MAX_MEMBERS = 10_000  # a train's bundle holds a few dozen files


class ArchiveError(ValueError):
    """The archive cannot be read, or is not in the canonical form trainmaster writes."""


def pack(files: Mapping[str, bytes]) -> bytes:
    return gzip.compress(tar_bytes(files), compresslevel=9, mtime=0)


def tar_bytes(files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            data = files[name]
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def gunzip(blob: bytes) -> bytes:
    """One gzip member, CRC and length checked, nothing after it."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        data = inflater.decompress(blob, MAX_BUNDLE_BYTES)
    except zlib.error as e:
        raise ArchiveError(f"corrupt gzip stream ({e})") from e
    if inflater.unconsumed_tail:
        raise ArchiveError("larger than the 512 MiB a bundle may hold")
    if not inflater.eof:
        raise ArchiveError("truncated gzip stream")
    if inflater.unused_data:
        raise ArchiveError(f"{len(inflater.unused_data)} unexpected bytes after the gzip stream")
    return data


def unpack(tar_data: bytes) -> dict[str, bytes]:
    """Regular files by name. Links, devices, absolute or `..` names and duplicates are refused:
    nothing is extracted to disk, but a bundle with such members is not one trainmaster made."""
    files: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(tar_data), mode="r:") as tar:
            for count, member in enumerate(tar, start=1):
                if count > MAX_MEMBERS:  # counted as headers are read, before any content
                    raise ArchiveError(f"more than {MAX_MEMBERS} members")
                name = member.name
                if not member.isfile():
                    raise ArchiveError(f"{name}: not a regular file")
                if name.startswith("/") or ".." in name.split("/"):
                    raise ArchiveError(f"{name}: unsafe path")
                if name in files:
                    raise ArchiveError(f"{name}: appears twice")
                handle = tar.extractfile(member)
                assert handle is not None  # regular files always have data
                files[name] = handle.read()
    except tarfile.TarError as e:
        raise ArchiveError(f"corrupt tar archive ({e})") from e
    return files


def canonical_header_ok(blob: bytes) -> bool:
    """The gzip header bytes zlib does not check (flags, mtime, extra flags, OS)."""
    return blob[:10] == gzip.compress(b"", compresslevel=9, mtime=0)[:10]

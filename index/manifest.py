"""A version's manifest (``manifest.json``: format, settings, papers, file sizes and checksums):
reading it, and checking that the files it lists are whole."""

from __future__ import annotations

import json
from pathlib import Path

from .errors import IndexCorrupt

FORMAT = 1
MANIFEST = "manifest.json"


# Up to this many bytes of files, the manifest records each file's CRC-32 and opening checks
# them all (a few milliseconds for the corpus): damage that keeps a file's size is found too.
# Past it, opening checks sizes only, so that it stays fast at any size.
CHECKSUM_MAX_BYTES = 256 * 2**20


def _crc32(path: Path) -> int:
    import zlib

    crc = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            crc = zlib.crc32(chunk, crc)
    return crc


def file_checksums(version: Path, sizes: dict[str, int]) -> dict[str, int] | None:
    """CRC-32 of every file listed in ``sizes``, or None when they add up past CHECKSUM_MAX_BYTES."""
    if sum(sizes.values()) > CHECKSUM_MAX_BYTES:
        return None
    return {name: _crc32(version / name) for name in sizes}


def file_sizes(version: Path) -> dict[str, int]:
    return {
        str(p.relative_to(version)): p.stat().st_size
        for p in sorted(version.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def read_manifest(version: Path) -> dict:
    try:
        manifest = json.loads((version / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise IndexCorrupt(version, f"{MANIFEST} is unreadable ({type(e).__name__})") from e
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexCorrupt(version, f"{MANIFEST} has an unknown format")
    papers, settings = manifest.get("papers"), manifest.get("settings")
    if (
        not isinstance(papers, list) or not isinstance(settings, dict) or "embedder" not in settings
        or not isinstance(manifest.get("files", {}), dict)
        or not all(isinstance(p, dict) and _safe_doc_id(p.get("doc_id")) for p in papers)
    ):
        raise IndexCorrupt(version, f"{MANIFEST} is incomplete")
    return manifest


def _safe_doc_id(doc_id) -> bool:
    """A doc id names files in papers/: no path separators, no hidden names."""
    return (
        isinstance(doc_id, str) and bool(doc_id) and not doc_id.startswith(".")
        and not any(c in doc_id for c in "/\\\x00")
    )


def check_files(version: Path, manifest: dict) -> None:
    """Every file the manifest lists is there with its recorded size, and its CRC-32 where the
    manifest has checksums (indexes up to CHECKSUM_MAX_BYTES)."""
    for name, size in manifest.get("files", {}).items():
        try:
            actual = (version / name).stat().st_size
        except OSError:
            raise IndexCorrupt(version.parent, f"{name} is missing") from None
        if actual != size:
            raise IndexCorrupt(version.parent, f"{name} has {actual} bytes, expected {size}")
    checksums = manifest.get("checksums")
    if isinstance(checksums, dict):
        for name, crc in checksums.items():
            try:
                ok = _crc32(version / name) == crc
            except OSError:
                ok = False
            if not ok:
                raise IndexCorrupt(version.parent, f"{name} is damaged (its checksum changed)")

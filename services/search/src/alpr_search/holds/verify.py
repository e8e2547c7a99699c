"""Checking an evidence package (``alpr search verify-export``): every file against the SHA-256
its manifest lists. The package comes from outside (a court, a defence expert, a partner), so
anything in it may be hostile: a manifest of the wrong shape, an encrypted or unsupported member,
a corrupt stream, or a member that inflates far beyond its stored size (a zip bomb). Each is a
line saying what is wrong, never a traceback; files are hashed in chunks, never held whole."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
# A member may inflate to this many times its stored size (JPEGs and JSON stay far below; a
# deflate bomb reaches about 1,000); members smaller than MIN_CHECKED_BYTES are not held to it.
MAX_EXPANSION = 200
MIN_CHECKED_BYTES = 1024 * 1024
_CHUNK = 1024 * 1024


class PackageError(ValueError):
    """The file is not an evidence package this command can check."""


def _listed_files(zf: zipfile.ZipFile) -> dict[str, str]:
    """The manifest's ``files``: name -> SHA-256 (hex)."""
    try:
        info = zf.getinfo(MANIFEST)
    except KeyError:
        raise PackageError(f"it has no {MANIFEST}") from None
    if info.file_size > MAX_MANIFEST_BYTES:
        raise PackageError(f"its {MANIFEST} is larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        manifest = json.loads(zf.read(MANIFEST))
    except (ValueError, RecursionError) as exc:
        raise PackageError(f"its {MANIFEST} is not JSON ({exc})") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not all(
        isinstance(name, str) and isinstance(digest, str) for name, digest in files.items()
    ):
        raise PackageError(f'its {MANIFEST} has no "files" object of file name to SHA-256')
    return files


def _sha256(zf: zipfile.ZipFile, name: str) -> str:
    info = zf.getinfo(name)
    if info.file_size > MIN_CHECKED_BYTES and info.file_size > MAX_EXPANSION * max(info.compress_size, 1):
        raise PackageError(f"{name} inflates {info.file_size} bytes from {info.compress_size} (a zip bomb?)")
    digest = hashlib.sha256()
    with zf.open(name) as member:  # zipfile stops at the size the header gives, and checks the CRC
        while chunk := member.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_package(source: bytes | Path | BinaryIO) -> list[str]:
    """Problems found in an evidence package: empty when every file matches its manifest, one
    line per file that does not, or one line saying why it is not a package that can be checked."""
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as zf:
            listed = _listed_files(zf)
            present = {name for name in zf.namelist() if not name.endswith("/")} - {MANIFEST}
            problems = []
            for name in sorted(set(listed) | present):
                if name not in listed:
                    problems.append(f"{name}: not in the manifest")
                elif name not in present:
                    problems.append(f"{name}: missing")
                elif _sha256(zf, name) != listed[name].lower():
                    problems.append(f"{name}: SHA-256 does not match the manifest")
            return problems
    except PackageError as exc:
        return [f"not an evidence package: {exc}"]
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        return [f"not an evidence package: it is not a readable zip file ({exc})"]
    except (NotImplementedError, RuntimeError) as exc:  # an unsupported compression, an encrypted member
        return [f"not an evidence package: a member cannot be read ({exc})"]

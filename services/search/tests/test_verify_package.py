"""``alpr search verify-export`` on packages from outside: a good one passes, a changed byte is
named, and a package that is not one (wrong manifest, not a zip, truncated, encrypted, a zip bomb)
is one line saying why, never a traceback, and a bomb is refused without inflating it."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

from alpr_devstack.alpr_command import run_alpr
from alpr_search.holds.verify import verify_package

FILES = {
    "detections.json": b'[{"plate": "HELD001"}]',
    "images/crop.jpg": b"\xff\xd8\xff" + bytes(range(256)) * 40,
}


def _package(files: dict[str, bytes], manifest: object | None = None) -> bytes:
    if manifest is None:
        manifest = {
            "format": "alpr-evidence/v1",
            "files": {n: hashlib.sha256(d).hexdigest() for n, d in files.items()},
        }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


def test_a_good_package_passes_and_a_changed_file_is_named() -> None:
    assert verify_package(_package(FILES)) == []
    listed = {n: hashlib.sha256(d).hexdigest() for n, d in FILES.items()}
    changed = _package({**FILES, "detections.json": b'[{"plate": "HELD002"}]'}, {"files": listed})
    assert verify_package(changed) == ["detections.json: SHA-256 does not match the manifest"]
    extra = _package({**FILES, "notes.txt": b"x"}, {"files": listed})
    assert verify_package(extra) == ["notes.txt: not in the manifest"]
    assert verify_package(_package({}, {"files": listed})) == [
        "detections.json: missing",
        "images/crop.jpg: missing",
    ]


def test_what_is_not_a_package_is_one_line() -> None:
    good = _package(FILES)
    cases = {
        "a list": _package(FILES, [1, 2]),
        "files a list": _package(FILES, {"files": ["detections.json"]}),
        "a digest a number": _package(FILES, {"files": {"detections.json": 7}}),
        "not a zip": b"garbage",
        "truncated": good[: len(good) // 2],
        "no manifest": _zip_without_manifest(),
        "encrypted member": _marked_encrypted(good, "detections.json"),
    }
    for case, data in cases.items():
        problems = verify_package(data)
        assert len(problems) == 1, (case, problems)
        assert problems[0].startswith("not an evidence package: "), (case, problems)


def test_a_zip_bomb_is_refused_without_inflating_it() -> None:
    bomb = {"images/crop.jpg": bytes(64 * 1024 * 1024)}  # 64 MiB of zeros: about 64 KiB deflated
    data = _package(bomb)
    assert len(data) < 1024 * 1024
    problems = verify_package(data)  # the header's sizes refuse it: no byte of it is inflated
    assert problems == [f"not an evidence package: images/crop.jpg inflates {64 * 1024 * 1024} bytes"
                        f" from {zipfile.ZipFile(io.BytesIO(data)).getinfo('images/crop.jpg').compress_size}"
                        " (a zip bomb?)"]  # fmt: skip


def test_the_command_answers_in_lines(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.zip", tmp_path / "bad.zip"
    good.write_bytes(_package(FILES))
    bad.write_bytes(_package(FILES, [1]))
    assert run_alpr("search", "verify-export", str(good)).returncode == 0
    refused = run_alpr("search", "verify-export", str(bad))
    assert (refused.returncode, refused.stderr.strip()) == (
        1,
        'not an evidence package: its manifest.json has no "files" object of file name to SHA-256',
    )
    missing = run_alpr("search", "verify-export", str(tmp_path / "none.zip"))
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr


def _zip_without_manifest() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("detections.json", b"[]")
    return out.getvalue()


def _marked_encrypted(data: bytes, name: str) -> bytes:
    """The package with ``name``'s headers saying it is encrypted (bit 0 of its flags), as a
    package made with a password would; Python's zipfile cannot write one."""
    out = bytearray(data)
    for signature, name_length_at, name_at, flags_at in (
        (b"PK\x03\x04", 26, 30, 6),
        (b"PK\x01\x02", 28, 46, 8),
    ):
        start = out.find(signature)
        while start >= 0:
            length = int.from_bytes(out[start + name_length_at : start + name_length_at + 2], "little")
            if out[start + name_at : start + name_at + length] == name.encode():
                out[start + flags_at] |= 0x1
            start = out.find(signature, start + 4)
    return bytes(out)

"""Small workspace files for the unit tests, listed as a local storage would list them."""

import dataclasses
import struct
import zlib
from pathlib import Path

from workspace.blends import SequenceIndex
from workspace.storage import LocalStorage, ScannedFile

RETENTION = {"temporary": 7, "log": 30, "default": 365}
BVH = (
    "HIERARCHY\nROOT Hips\n{\n\tOFFSET 0 0 0\n\tCHANNELS 6 Xposition Yposition Zposition "
    "Zrotation Xrotation Yrotation\n\tEnd Site\n\t{\n\t\tOFFSET 0 1 0\n\t}\n}\n"
    "MOTION\nFrames: 4\nFrame Time: 0.0333333\n" + "0 0 0 0 0 0\n" * 4
)


def write(path: Path, data: bytes | str = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def scanned(path: Path, rel: str, root: str = "seed", **changes) -> ScannedFile:
    """The entry LocalStorage lists for the file at `path` (`changes` override its fields)."""
    info = path.stat()
    file = ScannedFile(
        rel,
        str(path),
        root,
        info.st_size,
        info.st_mtime_ns,
        info.st_mtime_ns,
        info.st_mtime,
        LocalStorage(str(path.parent)),
    )
    return dataclasses.replace(file, **changes)


def index_of(tmp_path: Path, *rels: str) -> SequenceIndex:
    files = []
    for rel in rels:
        root = {"project": "project_seed", "seed_motions": "seed", "build": "build"}[
            rel.split("/")[0]
        ]
        if rel.startswith("build/blend_snn"):
            root = "blend"
        files.append(scanned(write(tmp_path / rel), rel, root))
    return SequenceIndex(files, str(tmp_path))


def png(width: int, height: int) -> bytes:
    def chunk(tag, data):
        return (
            struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")

"""workspace.scan: one sorted listing of the six roots, and files read by their path."""

import io
import os

import pytest

from tests.motionblend.files import write
from workspace.scan import WorkspaceScan, scan_workspace
from workspace.storage import LocalStorage, ScannedFile


def test_scan_lists_regular_files_of_the_roots_in_order(tmp_path):
    write(tmp_path / "seed_motions/b.bvh")
    write(tmp_path / "seed_motions/a.bvh")
    write(tmp_path / "project/seed_motions/z.bvh")
    write(tmp_path / "build/ui_analytics/x.jsonl")
    write(tmp_path / "elsewhere/ignored.bvh")
    os.mkfifo(tmp_path / "seed_motions/fifo.bvh")
    scan = scan_workspace(LocalStorage(str(tmp_path)))
    assert [f.rel for f in scan.files] == [
        "project/seed_motions/z.bvh",
        "seed_motions/a.bvh",
        "seed_motions/b.bvh",
        "build/ui_analytics/x.jsonl",
    ]
    assert scan.complete and scan.get("seed_motions/a.bvh").size == 1


class _MemoryStorage:
    """A storage that is not a folder: what `open` returns is all the scan may read."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files

    def open(self, file, start=0, end=None):  # the seam's signature (workspace.storage)
        return io.BytesIO(self.files[file.rel][start:end])


def test_metrics_read_their_inputs_through_the_storage_seam():
    storage = _MemoryStorage({"seed_motions/a.bvh": b"HIERARCHY", "seed_motions/big.npy": b"x"})

    def entry(rel, size):
        return ScannedFile(rel, "gs://bucket/" + rel, "seed", size, 1, 1, 0.0, storage)

    scan = WorkspaceScan([entry("seed_motions/a.bvh", 9), entry("seed_motions/big.npy", 10_000)])
    assert scan.read("seed_motions/a.bvh", max_bytes=1000) == b"HIERARCHY"
    with pytest.raises(OSError, match="over max_file_size_mb"):
        scan.read("seed_motions/big.npy", max_bytes=1000)
    with pytest.raises(FileNotFoundError, match="not in the workspace"):
        scan.read("seed_motions/gone.trc", max_bytes=1000)

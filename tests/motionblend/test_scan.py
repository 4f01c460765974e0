"""workspace.scan: one sorted listing of the six roots."""

import os

from tests.motionblend.files import write
from workspace.scan import scan_workspace
from workspace.storage import LocalStorage


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

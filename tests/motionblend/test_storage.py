"""workspace.storage: LocalStorage lists safely (symlinks, odd names, unreadable folders)."""

import os

import pytest

from tests.motionblend.files import write
from workspace.scan import scan_workspace
from workspace.storage import LocalStorage, WorkspaceError


def test_names_that_are_not_utf8_are_skipped_with_a_warning(tmp_path):
    write(tmp_path / "seed_motions/ok.bvh")
    os.makedirs(os.path.join(os.fsencode(tmp_path), b"seed_motions"), exist_ok=True)
    with open(os.path.join(os.fsencode(tmp_path), b"seed_motions", b"caf\xe9.bvh"), "wb") as f:
        f.write(b"x")
    scan = scan_workspace(LocalStorage(str(tmp_path)))
    assert [f.rel for f in scan.files] == ["seed_motions/ok.bvh"]
    assert scan.warnings == ["seed_motions/caf\\xe9.bvh: the name is not valid UTF-8: skipped"]


def test_scan_refuses_links_leaving_the_workspace_and_survives_loops(tmp_path):
    workspace, outside = tmp_path / "ws", tmp_path / "outside"
    write(outside / "secret.bvh")
    write(workspace / "seed_motions/real/a.bvh")
    (workspace / "seed_motions/out.bvh").symlink_to(outside / "secret.bvh")
    (workspace / "seed_motions/out_dir").symlink_to(outside)
    (workspace / "seed_motions/loop").symlink_to(workspace / "seed_motions")
    (workspace / "seed_motions/again").symlink_to("real")
    (workspace / "seed_motions/dangling.bvh").symlink_to(workspace / "missing.bvh")
    write(workspace / "shared_takes/b.bvh")
    (workspace / "seed_motions/takes").symlink_to(workspace / "shared_takes")
    scan = scan_workspace(LocalStorage(str(workspace)))
    assert [f.rel for f in scan.files] == ["seed_motions/real/a.bvh", "seed_motions/takes/b.bvh"]
    text = "\n".join(scan.warnings)
    assert "seed_motions/out.bvh is a symlink to" in text and "out_dir" in text
    assert "loop links to a folder already scanned" in text
    assert "again links to a folder already scanned" in text
    assert "dangling.bvh is a broken symlink" in text
    assert scan.complete


def test_a_root_linked_outside_is_not_scanned(tmp_path):
    write(tmp_path / "outside/x.bvh")
    write(tmp_path / "ws/seed_motions/a.bvh")
    (tmp_path / "ws/project").mkdir()
    (tmp_path / "ws/project/seed_motions").symlink_to(tmp_path / "outside")
    scan = scan_workspace(LocalStorage(str(tmp_path / "ws")))
    assert [f.rel for f in scan.files] == ["seed_motions/a.bvh"]
    assert "outside the workspace" in scan.warnings[0]


def test_an_unlisted_folder_marks_the_scan_incomplete(tmp_path, monkeypatch):
    write(tmp_path / "seed_motions/locked/a.bvh")
    write(tmp_path / "seed_motions/b.bvh")
    real_scandir = os.scandir

    def scandir(path):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    scan = scan_workspace(LocalStorage(str(tmp_path)))
    assert [f.rel for f in scan.files] == ["seed_motions/b.bvh"]
    assert not scan.complete and scan.unlisted == ["seed_motions/locked"]


def test_local_storage_explains_what_is_wrong_with_the_folder(tmp_path):
    with pytest.raises(WorkspaceError, match="does not exist"):
        LocalStorage(str(tmp_path / "missing"))
    with pytest.raises(WorkspaceError, match="is not a folder"):
        LocalStorage(str(write(tmp_path / "file")))
    with pytest.raises(WorkspaceError, match="not an absolute path"):
        LocalStorage("relative/workspace")
    assert LocalStorage(str(tmp_path)).root == os.path.realpath(tmp_path)

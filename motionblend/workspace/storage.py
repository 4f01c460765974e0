"""The one seam between the connector and where a workspace lives: list files, open them.

A storage lists the files under the workspace's root folders (`list`) as `ScannedFile` entries,
each with its workspace-relative POSIX path, size and `version` (a value that changes whenever
the content may have changed), and opens an entry for reading (`ScannedFile.open`). Nothing is
opened while listing.

`LocalStorage` is a folder on this machine: one `os.scandir` per folder, sorted by name, regular
files only. Symlinks: a link (to a file or a folder) is followed only when its real path lies
inside the workspace; anything else is skipped with a warning. Real folders are walked first;
linked folders afterwards, each real folder at most once (tracked by `(st_dev, st_ino)`), so a
link loop or a link to a folder already walked is skipped, and the result does not depend on
name order. Sockets, FIFOs and devices are never listed (opening a FIFO would block the sync),
nor is a file or folder whose name is not valid UTF-8 (a warning names it). Its `version` is
the mtime in nanoseconds.

A folder that cannot be listed is reported in `Listing.unlisted`: the caller must not treat the
files it could not see as deleted.
"""

import os
import stat
from dataclasses import dataclass, field
from typing import BinaryIO

from workspace.roots import ROOT_ORDER


class WorkspaceError(Exception):
    """The workspace root itself is missing or unreadable: the sync cannot start."""


@dataclass(frozen=True)
class ScannedFile:
    """One file as the listing saw it, and how to open it."""

    rel: str  # workspace-relative POSIX path (of the link, for a followed symlink)
    path: str  # where the storage finds it (an absolute path for a local folder)
    root: str  # label of the root it was found under (see workspace.roots)
    size: int
    version: int  # changes whenever the content may have: the mtime in ns for a local file
    modified_ns: int  # last modification, ns since the epoch
    created: float  # creation time where the storage has it, else the modification (seconds)
    storage: "LocalStorage | None" = field(default=None, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.rel.rsplit("/", 1)[-1]

    def open(self) -> BinaryIO:
        """The content, as a binary file object (seekable)."""
        return self.storage.open(self)


@dataclass
class Listing:
    """The files under the roots, with what was skipped and why."""

    files: list[ScannedFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)  # folders that could not be listed


def open_storage(workspace_path: str) -> "LocalStorage":
    """The storage of `workspace_path`; WorkspaceError says clearly what is wrong with it."""
    return LocalStorage(workspace_path)


class LocalStorage:
    """A workspace folder on this machine."""

    def __init__(self, path: str):
        self.root = _real_folder(str(path))
        self.location = self.root  # what logs and absolute references in the workspace use

    def list(self, roots) -> Listing:
        """Every regular file under the `(folder, label)` roots that exist."""
        return _Walker(self).run(roots)

    def open(self, file: ScannedFile) -> BinaryIO:
        return open(file.path, "rb")


def _real_folder(path: str) -> str:
    """The real path of the workspace root folder."""
    expanded = os.path.expanduser(path)
    if not os.path.isabs(expanded):
        raise WorkspaceError(
            f"motionblend: workspace_path {path!r} is not an absolute path; "
            "give the full path of the workspace folder"
        )
    real = os.path.realpath(expanded)
    if not os.path.exists(real):
        raise WorkspaceError(f"motionblend: workspace_path {path} does not exist")
    if not os.path.isdir(real):
        raise WorkspaceError(f"motionblend: workspace_path {path} is not a folder")
    try:
        with os.scandir(real) as entries:
            next(entries, None)
    except OSError as error:
        raise WorkspaceError(
            f"motionblend: workspace_path {path} cannot be read ({error.strerror or error}); "
            "give the connector read access to it"
        ) from error
    return real


def is_utf8(name: str) -> bool:
    """False for a name with bytes that are not UTF-8 (kept by Python as lone surrogates): it
    could be neither hashed into an id nor written to the destination."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def is_inside(real: str, root: str) -> bool:
    """True when the real path `real` is `root` or lies below it."""
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


class _Walker:
    def __init__(self, storage: LocalStorage):
        self.storage = storage
        self.root = storage.root
        self.result = Listing()
        self.visited: set[tuple[int, int]] = set()
        # Linked folders wait until every real folder is walked: (abs path, rel, label, real).
        self.deferred: list[tuple[str, str, str, str]] = []

    def run(self, roots) -> Listing:
        for rel, label in roots:
            self._root(rel, label)
        while self.deferred:
            self.deferred.sort(key=lambda item: (ROOT_ORDER[item[2]], item[1]))
            path, rel, label, real = self.deferred.pop(0)
            self._enter(path, rel, label, real, linked=True)
        return self.result

    def _root(self, rel: str, label: str) -> None:
        path = os.path.join(self.root, *rel.split("/"))
        if not os.path.lexists(path):
            return
        real = os.path.realpath(path)
        if not is_inside(real, self.root):
            self._warn(f"{rel} is a symlink to {real}, outside the workspace: not followed")
            return
        if not os.path.isdir(real):
            self._warn(f"{rel} is not a folder: skipped")
            return
        if os.path.islink(path):
            self.deferred.append((path, rel, label, real))
        else:
            self._enter(path, rel, label, real, linked=False)

    def _enter(self, path: str, rel: str, label: str, real: str, linked: bool) -> None:
        """Walk the tree under `path` (iteratively: any depth), each real folder once."""
        pending = [(path, rel, real, linked)]
        while pending:
            path, rel, real, linked = pending.pop()
            try:
                info = os.stat(real)
            except OSError as error:
                self._unlisted(rel, error)
                continue
            identity = (info.st_dev, info.st_ino)
            if identity in self.visited:
                if linked:
                    self._warn(f"{rel} links to a folder already scanned (or a loop): skipped")
                continue
            self.visited.add(identity)
            for folder, child in self._list(path, rel, label):
                pending.append((folder, child, folder, False))

    def _list(self, path: str, rel: str, label: str) -> list[tuple[str, str]]:
        """Record the files of one folder; return its real sub-folders (path, rel)."""
        try:
            with os.scandir(path) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            self._unlisted(rel, error)
            return []
        folders = []
        for entry in entries:
            if not is_utf8(entry.name):
                shown = os.fsencode(entry.name).decode("utf-8", "backslashreplace")
                self._warn(f"{rel}/{shown}: the name is not valid UTF-8: skipped")
                continue
            child = f"{rel}/{entry.name}"
            try:
                if entry.is_symlink():
                    self._link(entry, child, label)
                elif entry.is_dir(follow_symlinks=False):
                    folders.append((entry.path, child))
                elif entry.is_file(follow_symlinks=False):
                    self._add(entry.path, child, label, entry.stat(follow_symlinks=False))
            except OSError as error:  # vanished or unreadable between listing and stat
                self._warn(f"{child} cannot be read ({error.strerror or error}): skipped")
        return folders

    def _link(self, entry: os.DirEntry, rel: str, label: str) -> None:
        real = os.path.realpath(entry.path)
        if not is_inside(real, self.root):
            self._warn(f"{rel} is a symlink to {real}, outside the workspace: not followed")
            return
        try:
            info = os.stat(real)
        except OSError:
            self._warn(f"{rel} is a broken symlink (or a symlink loop): skipped")
            return
        if stat.S_ISDIR(info.st_mode):
            self.deferred.append((entry.path, rel, label, real))
        elif stat.S_ISREG(info.st_mode):
            self._add(real, rel, label, info)

    def _add(self, path: str, rel: str, label: str, info: os.stat_result) -> None:
        created = getattr(info, "st_birthtime", None) or info.st_mtime
        self.result.files.append(
            ScannedFile(
                rel,
                path,
                label,
                info.st_size,
                info.st_mtime_ns,
                info.st_mtime_ns,
                created,
                self.storage,
            )
        )

    def _unlisted(self, rel: str, error: OSError) -> None:
        self.result.unlisted.append(rel)
        self._warn(f"folder {rel} cannot be listed ({error.strerror or error}): skipped")

    def _warn(self, message: str) -> None:
        self.result.warnings.append(message)

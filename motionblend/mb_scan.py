"""List the files of a MotionBlend workspace with one stat each, safely and in a stable order.

Six roots are scanned, all optional (`ROOTS`). The walk uses `os.scandir`, sorts every folder by
name, and yields only regular files, each with its workspace-relative POSIX path, size, mtime and
creation time; nothing is opened.

Symlinks: a link (to a file or a folder) is followed only when its real path lies inside the
workspace; anything else is skipped with a warning. Real folders are walked first; linked folders
afterwards, each real folder at most once (tracked by `(st_dev, st_ino)`), so a link loop or a
link to a folder already walked is skipped, and the result does not depend on name order.
Sockets, FIFOs and devices are never listed (opening a FIFO would block the sync), nor is a
file or folder whose name is not valid UTF-8 (a warning names it).

A folder that cannot be listed is reported in `WorkspaceScan.unlisted`: the caller must not
treat the files it could not see as deleted.
"""

import os
import stat
from dataclasses import dataclass, field

# (workspace-relative folder, label); the order is the scan order and the name-lookup priority.
ROOTS = (
    ("project/seed_motions", "project_seed"),
    ("seed_motions", "seed"),
    ("build/build_motions", "build"),
    ("build/blend_snn", "blend"),
    ("build/demo_artifacts", "artifacts"),
    ("build/ui_analytics", "ui"),
)
ROOT_ORDER = {label: position for position, (_, label) in enumerate(ROOTS)}


class WorkspaceError(Exception):
    """The workspace root itself is missing or unreadable: the sync cannot start."""


@dataclass(frozen=True)
class ScannedFile:
    """One regular file: where it is and its stat, as the scan saw it."""

    rel: str  # workspace-relative POSIX path (of the link, for a followed symlink)
    path: str  # absolute path to open
    root: str  # label of the root it was found under (see ROOTS)
    size: int
    mtime_ns: int
    created: float  # st_birthtime where the OS has it, else the mtime (seconds)

    @property
    def name(self) -> str:
        return self.rel.rsplit("/", 1)[-1]


@dataclass
class WorkspaceScan:
    """Every file found, sorted by root then path, with what was skipped and why."""

    root: str  # real path of the workspace
    files: list[ScannedFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)  # folders that could not be listed

    def __post_init__(self):
        self._by_rel: dict[str, ScannedFile] | None = None

    @property
    def complete(self) -> bool:
        """True when every folder could be listed (deletions can be trusted)."""
        return not self.unlisted

    def get(self, rel: str) -> ScannedFile | None:
        if self._by_rel is None:
            self._by_rel = {file.rel: file for file in self.files}
        return self._by_rel.get(rel)

    def in_root(self, label: str) -> list[ScannedFile]:
        return [file for file in self.files if file.root == label]


def open_workspace(path: str) -> str:
    """The real path of the workspace root; WorkspaceError says clearly what is wrong."""
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


def scan_workspace(path: str) -> WorkspaceScan:
    """Stat every regular file under the six roots of the workspace at `path`."""
    scan = _Scanner(open_workspace(path))
    return scan.run()


def _is_utf8(name: str) -> bool:
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


class _Scanner:
    def __init__(self, root: str):
        self.result = WorkspaceScan(root=root)
        self.root = root
        self.visited: set[tuple[int, int]] = set()
        # Linked folders wait until every real folder is walked: (abs path, rel, label, real).
        self.deferred: list[tuple[str, str, str, str]] = []

    def run(self) -> WorkspaceScan:
        for rel, label in ROOTS:
            self._root(rel, label)
        while self.deferred:
            self.deferred.sort(key=lambda item: (ROOT_ORDER[item[2]], item[1]))
            path, rel, label, real = self.deferred.pop(0)
            self._enter(path, rel, label, real, linked=True)
        self.result.files.sort(key=lambda file: (ROOT_ORDER[file.root], file.rel))
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
            if not _is_utf8(entry.name):
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
            ScannedFile(rel, path, label, info.st_size, info.st_mtime_ns, created)
        )

    def _unlisted(self, rel: str, error: OSError) -> None:
        self.result.unlisted.append(rel)
        self._warn(f"folder {rel} cannot be listed ({error.strerror or error}): skipped")

    def _warn(self, message: str) -> None:
        self.result.warnings.append(message)

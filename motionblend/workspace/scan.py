"""One listing of the workspace per sync, sorted by root then path, with lookups by path.

The storage (see `workspace.storage`) lists the six roots of `workspace.roots`, all optional;
this module keeps what it found in a stable order, says whether deletions can be trusted, and
reads a listed file by its path (what the blend quality metrics read through).
"""

from dataclasses import dataclass

from workspace.roots import ROOT_ORDER, ROOTS
from workspace.storage import Listing, ScannedFile


@dataclass
class WorkspaceScan(Listing):
    """Every file found, sorted by root then path, with what was skipped and why."""

    root: str = ""  # where the workspace is (a real path or gs://bucket/prefix), for messages

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

    def read(self, rel: str, max_bytes: int) -> bytes:
        """A listed file's content through its storage; OSError when it is absent, over the
        size cap (`max_bytes`), or unreadable."""
        file = self.get(rel)
        if file is None:
            raise FileNotFoundError(f"{rel} is not in the workspace")
        if file.size > max_bytes:
            raise OSError(f"{rel} is {file.size} bytes, over max_file_size_mb: not read")
        with file.open() as handle:
            return handle.read()


def scan_workspace(storage) -> WorkspaceScan:
    """List every file under the six roots of the workspace in `storage`."""
    listing = storage.list(ROOTS)
    files = sorted(listing.files, key=lambda file: (ROOT_ORDER[file.root], file.rel))
    return WorkspaceScan(files, listing.warnings, listing.unlisted, root=storage.location)

"""Stable row ids and the connector's bounded state.

Ids: `sequence_id`, `artifact_id` and the default `job_id` are the first 16 hex digits of the
SHA-256 of a prefix and a workspace-relative POSIX path (`"sequence:project/seed_motions/a.bvh"`),
so the same file gets the same id on any machine and under any workspace location.

State (a JSON object; every tracked file costs about 25 bytes)::

    {"v": 1,
     "files": {"<key>": "<kind><fingerprint>"},      # one per row in motion_sequences or
                                                      # processing_artifacts
     "jobs": {"<blend stem inside build/blend_snn>": "<fingerprint>[<metrics>]<m><job_id>"},
     "ui": {"<jsonl path>": [<offset consumed>, "<digest of the first line>"]},
     "downloads": {"<artifact key>": [<count>, "<last download, UTC>"]}}

- `<key>` is the row id (8 bytes) in unpadded base64url: 11 characters instead of 16 hex, and
  the hex id comes back from it (`hex_id`), so a vanished file can still be deleted by id.
- `<kind>` says which table holds the row: `m` motion_sequences, `a` processing_artifacts.
- `<fingerprint>` is 6 base64url characters (36 bits) of a hash of what the row was made from
  (size, mtime in ns, and the settings that change the row); a different fingerprint means the
  file must be read again.
- jobs: `<m>` is `d` (the job id is the default hash of the stem path), `c` (a custom id from the
  manifest follows) or `n` (no job row: e.g. a JSON file that is not a manifest).
- `<metrics>` (29 characters, once the blend's quality metrics are written) is `~`, the
  fingerprint of everything its blend_quality_metrics row is made from (the blend's files, both
  sources' files, the metrics configuration and version), then the sources' sequence ids as
  keys (`...........` for an unresolved side): an unchanged blend is recognised without
  reading its manifest. Its row's blend_id is the job id.
"""

import base64
import hashlib
from dataclasses import dataclass, field

from workspace.roots import BLEND, FOLDER_OF

STATE_VERSION = 1
KIND_MOTION = "m"
KIND_ARTIFACT = "a"
ID_HEX_DIGITS = 16
FINGERPRINT_CHARS = 6
JOB_DEFAULT, JOB_CUSTOM, JOB_NONE = "d", "c", "n"
METRICS_MARK = "~"  # starts the metrics block of a jobs entry (not base64url, not a job mark)
NO_KEY = "." * 11  # an unresolved source in the metrics block
_KEY_CHARS = 11
_METRICS_CHARS = 1 + FINGERPRINT_CHARS + 2 * _KEY_CHARS
BLEND_FOLDER = FOLDER_OF[BLEND] + "/"


def _job_key(stem_rel: str) -> str:
    """A blend's key in `jobs`: its stem path inside build/blend_snn."""
    if not stem_rel.startswith(BLEND_FOLDER):
        raise ValueError(f"{stem_rel} is not in {BLEND_FOLDER}")
    return stem_rel[len(BLEND_FOLDER) :]


def _split_job(value: str) -> tuple[str, str, str]:
    """(fingerprint, metrics block or "", job mark and id) of a jobs entry."""
    fp, rest = value[:FINGERPRINT_CHARS], value[FINGERPRINT_CHARS:]
    if rest.startswith(METRICS_MARK):
        return fp, rest[:_METRICS_CHARS], rest[_METRICS_CHARS:]
    return fp, "", rest


def stable_id(prefix: str, rel: str) -> str:
    """16 hex digits of sha256("<prefix>:<rel>")."""
    # surrogatepass: a path taken from a UI event may hold a lone surrogate (JSON "\udce9").
    text = f"{prefix}:{rel}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(text).hexdigest()[:ID_HEX_DIGITS]


def sequence_id(rel: str) -> str:
    """Primary key of a motion file's row in motion_sequences."""
    return stable_id("sequence", rel)


def artifact_id(rel: str) -> str:
    """Primary key of a file's row in processing_artifacts."""
    return stable_id("artifact", rel)


def default_job_id(stem_rel: str) -> str:
    """Job id of a blend without a manifest job_id: hash of its output path without suffix."""
    return stable_id("job", stem_rel)


def state_key(hex_id_value: str) -> str:
    """The compact state key of a 16-hex-digit row id."""
    return base64.urlsafe_b64encode(bytes.fromhex(hex_id_value)).rstrip(b"=").decode()


def hex_id(key: str) -> str:
    """The row id a state key stands for (inverse of `state_key`)."""
    return base64.urlsafe_b64decode(key + "=" * (-len(key) % 4)).hex()


def fingerprint(*parts) -> str:
    """6 base64url characters of a hash of `parts` (compared, never decoded)."""
    digest = hashlib.sha256(repr(parts).encode()).digest()
    return base64.urlsafe_b64encode(digest[:6]).decode()[:FINGERPRINT_CHARS]


@dataclass
class SyncState:
    """The decoded state; `as_dict()` is the live dict to checkpoint (never copied here)."""

    files: dict[str, str] = field(default_factory=dict)
    jobs: dict[str, str] = field(default_factory=dict)
    ui: dict[str, list] = field(default_factory=dict)
    downloads: dict[str, list] = field(default_factory=dict)

    def __post_init__(self):
        self._raw = {
            "v": STATE_VERSION,
            "files": self.files,
            "jobs": self.jobs,
            "ui": self.ui,
            "downloads": self.downloads,
        }

    @classmethod
    def load(cls, state: dict | None) -> tuple["SyncState", str | None]:
        """The state to continue from, and why it was discarded (None when it was used)."""
        if not state:
            return cls(), None
        if not isinstance(state, dict):
            return cls(), "saved state is malformed"
        if state.get("v") != STATE_VERSION:
            return cls(), f"saved state has version {state.get('v')!r}, expected {STATE_VERSION}"
        parts = {name: state.get(name, {}) for name in ("files", "jobs", "ui", "downloads")}
        if not all(isinstance(part, dict) for part in parts.values()):
            return cls(), "saved state is malformed"
        return cls(**{name: dict(part) for name, part in parts.items()}), None

    def as_dict(self) -> dict:
        return self._raw

    # -- files -----------------------------------------------------------------------------------
    def file_entry(self, row_id: str) -> str | None:
        return self.files.get(state_key(row_id))

    def set_file(self, row_id: str, kind: str, fp: str) -> None:
        self.files[state_key(row_id)] = kind + fp

    def tracks(self, row_id: str) -> bool:
        return state_key(row_id) in self.files

    # -- blend jobs ------------------------------------------------------------------------------
    def job_stems(self) -> list[str]:
        """Workspace-relative stem paths of every tracked blend."""
        return [BLEND_FOLDER + key for key in self.jobs]

    def job_entry(self, stem_rel: str) -> tuple[str, str | None] | None:
        """(group fingerprint, job id or None) saved for a blend stem, or None if untracked."""
        value = self.jobs.get(_job_key(stem_rel))
        if value is None:
            return None
        fp, _, rest = _split_job(value)
        mark = rest[:1]
        if mark == JOB_CUSTOM:
            return fp, rest[1:]
        if mark == JOB_DEFAULT:
            return fp, default_job_id(stem_rel)
        return fp, None

    def set_job(self, stem_rel: str, fp: str, job_id: str | None) -> None:
        """Save a blend's job; its metrics block, if any, is kept (its own fingerprint covers
        the blend's files, so it goes stale by itself when the job changes)."""
        key = _job_key(stem_rel)
        metrics = _split_job(self.jobs[key])[1] if key in self.jobs else ""
        if job_id is None:
            self.jobs[key] = fp + JOB_NONE  # no job, no metrics
        elif job_id == default_job_id(stem_rel):
            self.jobs[key] = fp + metrics + JOB_DEFAULT
        else:
            self.jobs[key] = fp + metrics + JOB_CUSTOM + job_id

    def metrics_entry(self, stem_rel: str) -> tuple[str, str | None, str | None] | None:
        """(fingerprint, left sequence_id, right sequence_id) of a blend's metrics, or None."""
        value = self.jobs.get(_job_key(stem_rel))
        metrics = _split_job(value)[1] if value else ""
        if not metrics:
            return None
        left, right = metrics[1 + FINGERPRINT_CHARS :][:_KEY_CHARS], metrics[-_KEY_CHARS:]
        sides = (None if key == NO_KEY else hex_id(key) for key in (left, right))
        return (metrics[1 : 1 + FINGERPRINT_CHARS], *sides)

    def set_metrics(self, stem_rel: str, fp: str, left: str | None, right: str | None) -> None:
        """Save the metrics fingerprint and sources of a blend whose job is saved."""
        key = _job_key(stem_rel)
        job_fp, _, rest = _split_job(self.jobs[key])
        sides = "".join(NO_KEY if side is None else state_key(side) for side in (left, right))
        self.jobs[key] = job_fp + METRICS_MARK + fp + sides + rest

    def forget_job(self, stem_rel: str) -> None:
        del self.jobs[_job_key(stem_rel)]

    # -- downloads -------------------------------------------------------------------------------
    def downloads_of(self, rel: str) -> tuple[int, str | None]:
        count, last = self.downloads.get(state_key(artifact_id(rel)), (0, None))
        return count, last

    def add_download(self, rel: str, timestamp: str | None) -> tuple[int, str | None]:
        """Count one download of the artifact at `rel`; returns the new (count, last)."""
        count, last = self.downloads_of(rel)
        if timestamp is not None and (last is None or timestamp > last):
            last = timestamp
        self.downloads[state_key(artifact_id(rel))] = [count + 1, last]
        return count + 1, last

    def reset_ui(self) -> None:
        """Forget every log offset and download count (a full sync re-reads the logs)."""
        self.ui.clear()
        self.downloads.clear()

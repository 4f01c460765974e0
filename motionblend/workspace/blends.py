"""Blend jobs: group the files of build/blend_snn, read manifests, resolve the blended pair.

A blend is the group of files in build/blend_snn sharing a stem: the output `<name>.<motion ext>`
and its manifest `<name>.json` (either may be missing). The pair comes from the manifest's
`left` / `right` (a workspace-relative path, a file name or a sequence name); without a manifest
it comes from the name: `<left>__<right>` (a double underscore), or `blend_<left>_<right>` split
only where both sides are known sequence names, preferring the longest left name. A single `_`
is never split on blindly: a side that does not resolve stays null and `metadata` says why.
"""

import hashlib
import math
import os
from dataclasses import dataclass, field

from shared.timewindows import format_utc, parse_utc
from workspace.artifacts import describe_json
from workspace.jsonutil import clean, load_json
from workspace.mocap import STATUS_OK
from workspace.motions import NPY_SIDECAR_SUFFIX, MotionResult, is_motion_file, stem_and_format
from workspace.roots import BLEND, MOTION_ROOTS, ROOT_ORDER
from workspace.state import default_job_id, fingerprint, sequence_id
from workspace.storage import ScannedFile

MANIFEST_SUFFIX = ".json"
MAX_MANIFEST_BYTES = 4 << 20
BLEND_PREFIX = "blend_"
PAIR_SEPARATOR = "__"


@dataclass
class BlendGroup:
    """The output(s) and manifest of one blend stem (`build/blend_snn/<name>`)."""

    stem_rel: str
    outputs: list[ScannedFile] = field(default_factory=list)
    manifest: ScannedFile | None = None

    @property
    def output(self) -> ScannedFile | None:
        return self.outputs[0] if self.outputs else None

    @property
    def name(self) -> str:
        return self.stem_rel.rsplit("/", 1)[-1]

    def members(self) -> list[ScannedFile]:
        return self.outputs + ([self.manifest] if self.manifest else [])


def blend_groups(files: list[ScannedFile]) -> list[BlendGroup]:
    """Blend groups of the build/blend_snn files, sorted by stem path."""
    groups: dict[str, BlendGroup] = {}
    for file in files:
        if file.root != BLEND:
            continue
        stem_rel, _, suffix = file.rel.rpartition(".")
        if is_motion_file(file.rel):
            groups.setdefault(stem_rel, BlendGroup(stem_rel)).outputs.append(file)
        elif "." + suffix.lower() == MANIFEST_SUFFIX:
            groups.setdefault(stem_rel, BlendGroup(stem_rel)).manifest = file
    return [groups[stem] for stem in sorted(groups)]


@dataclass
class Resolution:
    """A blend side: the sequence it names, or why it could not be resolved."""

    ref: str | None
    sequence_id: str | None = None
    path: str | None = None
    reason: str | None = None


class SequenceIndex:
    """Known motion files by path, file name, stem and sequence_id, in root priority order."""

    def __init__(self, files: list[ScannedFile], workspace_root: str):
        self.workspace_root = workspace_root
        motions = sorted(
            (f for f in files if f.root in MOTION_ROOTS and is_motion_file(f.rel)),
            key=lambda f: (ROOT_ORDER[f.root], f.rel),
        )
        self.paths = {f.rel for f in motions}
        self.by_id = {sequence_id(f.rel): f.rel for f in motions}
        self.by_name: dict[str, list[str]] = {}
        for f in motions:
            stem, _ = stem_and_format(f.rel)
            for key in {stem, f.name, stem.casefold(), f.name.casefold()}:
                self.by_name.setdefault(key, []).append(f.rel)

    def knows(self, name: str) -> bool:
        return name in self.by_name or name.casefold() in self.by_name

    def resolve(self, ref) -> Resolution:
        """The sequence a manifest or UI event refers to: a sequence_id, a path or a name."""
        if isinstance(ref, int | float) and not isinstance(ref, bool):
            ref = str(ref)
        if not isinstance(ref, str) or not ref.strip():
            return Resolution(None, reason="no reference given")
        text = ref.strip().replace("\\", "/")
        if text in self.by_id:
            return Resolution(ref, text, self.by_id[text])
        if "/" in text:
            rel = self._relative(text)
            if rel in self.paths:
                return Resolution(ref, sequence_id(rel), rel)
            return Resolution(ref, reason=f"{ref!r} is not a motion file in the workspace")
        hits = self.by_name.get(text) or self.by_name.get(text.casefold())
        if not hits:
            return Resolution(ref, reason=f"no motion file named {ref!r} in the workspace")
        resolution = Resolution(ref, sequence_id(hits[0]), hits[0])
        if len(hits) > 1:
            resolution.reason = f"{len(hits)} motion files named {ref!r}; chose {hits[0]}"
        return resolution

    def _relative(self, text: str) -> str:
        if os.path.isabs(text):
            real = os.path.realpath(text)
            if real.startswith(self.workspace_root.rstrip("/") + "/"):
                return os.path.relpath(real, self.workspace_root).replace(os.sep, "/")
            return text
        if text.startswith(self.workspace_root.rstrip("/") + "/"):  # gs://bucket/prefix/...
            return text[len(self.workspace_root.rstrip("/")) + 1 :]
        while text.startswith("./"):
            text = text[2:]
        return text


def sides_from_name(name: str, index: SequenceIndex) -> tuple[str, str | None, str | None]:
    """(naming, left name, right name) encoded in a blend name without a manifest."""
    body = name[len(BLEND_PREFIX) :] if name.startswith(BLEND_PREFIX) else name
    if PAIR_SEPARATOR in body:
        splits = []
        start = body.find(PAIR_SEPARATOR)
        while start > 0:
            splits.append((body[:start], body[start + len(PAIR_SEPARATOR) :]))
            start = body.find(PAIR_SEPARATOR, start + 1)
        splits = splits or [("", body.lstrip("_"))]
        best = max(splits, key=lambda s: (index.knows(s[0]) + index.knows(s[1]), -len(s[0])))
        return "double_underscore", best[0] or None, best[1] or None
    if not name.startswith(BLEND_PREFIX):
        return "unrecognised_name", None, None
    cuts = [i for i, char in enumerate(body) if char == "_" and 0 < i < len(body) - 1]
    both = [i for i in cuts if index.knows(body[:i]) and index.knows(body[i + 1 :])]
    if both:
        cut = max(both)
        return "blend_prefix", body[:cut], body[cut + 1 :]
    if index.knows(body):
        return "blend_prefix", body, None
    lefts = [i for i in cuts if index.knows(body[:i])]
    if lefts:
        return "blend_prefix", body[: max(lefts)], body[max(lefts) + 1 :]
    rights = [i for i in cuts if index.knows(body[i + 1 :])]
    if rights:
        return "blend_prefix", body[: min(rights)], body[min(rights) + 1 :]
    return "blend_prefix", None, None


def metrics_fingerprint(
    group: BlendGroup, sources, scan, index: SequenceIndex, max_bytes: int, settings
) -> str:
    """What a blend's quality metrics row is made from: the blend's files, each source's file
    (`sources`: its two sequence ids, None when unresolved) with its JSON sidecar (an NPY's
    fps), the size cap and the metrics `settings` (blend_quality.config.metrics_settings)."""
    files = [(f.rel, f.size, f.version) for f in group.members()]
    for sequence in sources:
        rel = index.by_id.get(sequence) if sequence else None
        for path in (rel, rel and rel.rsplit(".", 1)[0] + NPY_SIDECAR_SUFFIX):
            found = scan.get(path) if path else None
            files.append(found and (found.rel, found.size, found.version))
    return fingerprint(*files, max_bytes, settings)


@dataclass
class Manifest:
    """A blend manifest as read: the object, or why it could not be used."""

    document: dict | None
    error: str | None = None
    content: tuple[dict, str] | None = None  # (artifact metadata, SHA-256) when it was read
    unreadable: bool = False  # an OS error (permission, I/O): worth reading again next sync


def read_manifest(file: ScannedFile) -> Manifest:
    """Parse a manifest; a bad one gives its error, never an exception."""
    if file.size > MAX_MANIFEST_BYTES:
        return Manifest(None, f"manifest is {file.size} bytes, over {MAX_MANIFEST_BYTES}")
    try:
        with file.open() as handle:
            raw = handle.read()
    except OSError as error:
        return Manifest(None, f"cannot read manifest: {error.strerror or error}", unreadable=True)
    content = describe_json(raw), hashlib.sha256(raw).hexdigest()  # its artifact row's
    try:
        document = load_json(raw)
    except ValueError as error:
        return Manifest(None, f"manifest is not valid JSON: {error}", content)
    if not isinstance(document, dict):
        return Manifest(
            None, f"manifest is a JSON {type(document).__name__}, not an object", content
        )
    return Manifest(document, content=content)


def blend_job_row(
    group: BlendGroup, manifest: Manifest | None, output: MotionResult | None, index
) -> dict | None:
    """The blend_jobs row of a group, or None when it holds no blend (a stray non-manifest)."""
    doc = manifest.document if manifest and manifest.document is not None else None
    if doc is None and group.output is None:
        return None
    notes: list[str] = []
    if manifest and manifest.error:
        notes.append(manifest.error)
    if doc is not None and ("left" in doc or "right" in doc):
        naming, left_ref, right_ref = "manifest", doc.get("left"), doc.get("right")
    else:
        if doc is not None:
            notes.append("manifest has no left/right: pair taken from the name")
        naming, left_ref, right_ref = sides_from_name(group.name, index)
    left, right = index.resolve(left_ref), index.resolve(right_ref)
    if naming == "unrecognised_name":
        left.reason = right.reason = (
            f"no manifest, and {group.name!r} is neither <left>__<right> nor blend_<left>_<right>"
        )
    doc = doc or {}
    started, completed = (_timestamp(doc, key, notes) for key in ("started_at", "completed_at"))
    status, error = _status(doc, group, output)
    row = {
        "job_id": _job_id(doc, group),
        "sequence_a_id": left.sequence_id,
        "sequence_b_id": right.sequence_id,
        "blend_weight": _number(doc, "blend_ratio", float, notes),
        "blend_method": _text(doc.get("method")),
        "status": status,
        "started_at": None if started is None else format_utc(started),
        "completed_at": None if completed is None else format_utc(completed),
        "duration_ms": _duration_ms(started, completed, notes),
        "output_file_path": group.output.rel if group.output else None,
        "output_file_size_bytes": group.output.size if group.output else None,
        "output_frame_count": output.frame_count
        if output and output.status == STATUS_OK
        else None,
        "error_message": error,
        "initiated_by": _text(doc.get("initiated_by")),
        "processing_config": _object(doc, "processing_config", notes),
        "performance_metrics": _object(doc, "performance_metrics", notes),
        "transition_start_frame": _number(doc, "transition_start_frame", int, notes),
        "transition_end_frame": _number(doc, "transition_end_frame", int, notes),
    }
    row["metadata"] = {
        "name": group.name,
        "naming": naming,
        "manifest_path": group.manifest.rel if group.manifest else None,
        "left_ref": left.ref,
        "right_ref": right.ref,
        "left_path": left.path,
        "right_path": right.path,
        "resolution_notes": {
            side: r.reason for side, r in (("left", left), ("right", right)) if r.reason
        },
        "other_outputs": [f.rel for f in group.outputs[1:]],
        "notes": notes,
    }
    return row


def _job_id(doc: dict, group: BlendGroup) -> str:
    value = doc.get("job_id")
    if isinstance(value, int | str) and not isinstance(value, bool) and str(value).strip():
        return clean(str(value).strip())  # it is also kept in the state, which must encode
    return default_job_id(group.stem_rel)


def _status(doc: dict, group: BlendGroup, output: MotionResult | None) -> tuple[str, str | None]:
    """completed when the output extracts; failed when the manifest says so or it is corrupt."""
    said = _text(doc.get("status"))
    said = said.lower() if said else None
    message = _text(doc.get("error_message"))
    if said == "failed":
        return "failed", message or (output.error if output and output.error else None)
    if group.output is None:
        if said and said != "completed":
            return said, message  # e.g. running, queued: the job has not produced output yet
        return "failed", message or "no output file beside the manifest"
    if output is None or output.status != STATUS_OK:
        reason = output.error if output else "output was not read"
        return "failed", message or f"output {group.output.rel}: {reason}"
    return "completed", message


def _text(value) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _number(doc: dict, key: str, kind, notes: list[str]):
    value = doc.get(key)
    if value is None:
        return None
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or (kind is int and number != int(number)):
        notes.append(f"{key} {value!r} is not a valid {'integer' if kind is int else 'number'}")
        return None
    return kind(number)


def _object(doc: dict, key: str, notes: list[str]) -> dict | None:
    value = doc.get(key)
    if value is None or isinstance(value, dict):
        return value
    notes.append(f"{key} is not an object: kept out of the row")
    return None


def _timestamp(doc: dict, key: str, notes: list[str]):
    value = doc.get(key)
    if value in (None, ""):
        return None
    try:
        return parse_utc(str(value))
    except ValueError:
        notes.append(f"{key} {value!r} is not an ISO 8601 timestamp")
        return None


def _duration_ms(started, completed, notes: list[str]) -> int | None:
    if started is None or completed is None:
        return None
    milliseconds = round((completed - started).total_seconds() * 1000)
    if milliseconds < 0:
        notes.append("completed_at is before started_at: no duration")
        return None
    return milliseconds

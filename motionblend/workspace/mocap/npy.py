"""Metadata of NumPy (.npy) motion arrays.

Two layouts are recognised: (T, J, 3) joint positions (T frames, J joints) and (T, D) feature
vectors (T frames of D numbers each, e.g. rotations or SMPL parameters; joints unknown). The array
is opened memory-mapped with pickles refused, so only the header is read and an object (pickled)
array is rejected, never unpickled. A .npy file carries no frame rate: it comes from an optional
sidecar `<stem>.json` holding `{"fps": <positive number>}`, else from the `default_fps` argument.
`load_array` and `sidecar_fps` also serve the blend metrics, which read whole arrays from bytes.
"""

import json
import math
from pathlib import Path

import numpy as np

from workspace.mocap.base import MotionFileError, MotionMetadata

FILE_FORMAT = "npy"
DEFAULT_FPS = 30


def read_metadata(path: Path, *, default_fps: float = DEFAULT_FPS, **kw) -> MotionMetadata:
    """Read frames, joints, fps and duration of a .npy motion array.

    frame_count = T; joint_count = J for a (T, J, 3) array, None for (T, D); duration = T / fps.
    details: `shape`, `dtype`, `dims` (D, only for (T, D)), `fps_source` ("sidecar" or "default"),
    `sidecar` (the sidecar file name when one exists) and `warnings` (a list, e.g. a sidecar that
    is not valid JSON or has no positive fps, in which case default_fps is used).
    Extra keyword arguments are accepted and ignored.

    Raises MotionFileError for an empty, truncated or non-.npy file, a pickled/object array, a
    non-numeric dtype, or a shape other than (T, J, 3) or (T, D). Raises ValueError when
    default_fps is not a positive number (a caller bug, not a file problem).
    """
    path = Path(path)
    if not _is_positive_number(default_fps):
        raise ValueError(f"default_fps must be a positive number, got {default_fps!r}")
    try:
        if path.stat().st_size == 0:
            raise MotionFileError("empty file")
    except OSError as exc:
        raise MotionFileError(f"cannot read NPY file: {exc}") from exc
    array = load_array(path, mmap_mode="r")
    shape, dtype = tuple(int(n) for n in array.shape), array.dtype
    del array  # release the memory map; only the header was needed

    if not (np.issubdtype(dtype, np.number) or np.issubdtype(dtype, np.bool_)):
        raise MotionFileError(f"array dtype {dtype} is not numeric")
    details: dict = {"shape": list(shape), "dtype": str(dtype)}
    if len(shape) == 3 and shape[2] == 3:
        frames, joints = shape[0], shape[1]
    elif len(shape) == 2:
        frames, joints = shape[0], None
        details["dims"] = shape[1]
    else:
        raise MotionFileError(f"unsupported array shape {shape}: expected (T, J, 3) or (T, D)")

    warnings: list[str] = []
    fps, source = _sidecar_fps(path, warnings)
    if fps is None:
        fps, source = float(default_fps), "default"
    details["fps_source"] = source
    sidecar = path.with_suffix(".json")
    if sidecar.is_file():
        details["sidecar"] = sidecar.name
    details["warnings"] = warnings
    return MotionMetadata(
        file_format=FILE_FORMAT,
        frame_count=frames,
        joint_count=joints,
        fps=fps,
        duration_seconds=frames / fps,
        details=details,
    )


def load_array(file, *, mmap_mode=None) -> np.ndarray:
    """The array of a .npy file: a path (memory-mapped with `mmap_mode="r"`) or a binary file.

    Pickles are refused, never loaded. Raises MotionFileError when the file cannot be read or
    its content is not one .npy array (a .npz archive, a pickle, a cut header).
    """
    try:
        array = np.load(file, allow_pickle=False, mmap_mode=mmap_mode)
    except OSError as exc:
        raise MotionFileError(f"cannot read NPY file: {exc}") from exc
    except (ValueError, EOFError, TypeError) as exc:
        raise MotionFileError(f"not a loadable .npy array: {exc}") from exc
    if not isinstance(array, np.ndarray):  # np.load returns an NpzFile for a zip archive
        close = getattr(array, "close", None)
        if close is not None:
            close()
        raise MotionFileError("not a .npy array (an .npz archive or other container)")
    return array


def sidecar_fps(content: bytes) -> float:
    """The `fps` of a JSON sidecar's content (or a blend manifest's): a positive number.

    Raises ValueError saying why there is none, worded to follow "sidecar <name>".
    """
    try:
        document = json.loads(content.decode("utf-8"))
    except ValueError as exc:  # UnicodeDecodeError is a ValueError
        raise ValueError(f"is unreadable ({exc})") from None
    if not isinstance(document, dict) or "fps" not in document:
        raise ValueError("has no 'fps' key")
    fps = document["fps"]
    if not _is_positive_number(fps):
        raise ValueError(f"fps {fps!r} is not a positive number")
    return float(fps)


def _sidecar_fps(path: Path, warnings: list[str]) -> tuple[float | None, str | None]:
    """fps from `<stem>.json` next to the array; None (with a warning) when absent or invalid."""
    sidecar = path.with_suffix(".json")
    if not sidecar.is_file():
        return None, None
    try:
        return sidecar_fps(sidecar.read_bytes()), "sidecar"
    except OSError as exc:
        reason = f"is unreadable ({exc})"
    except ValueError as exc:
        reason = str(exc)
    warnings.append(f"sidecar {sidecar.name} {reason}; using the default fps")
    return None, None


def _is_positive_number(value) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )

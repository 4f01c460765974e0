"""Motion-file metadata readers of the motionblend connector.

`read_metadata(path)` picks the reader by the file's lower-case suffix and returns a
`base.MotionMetadata`; every reader raises `base.MotionFileError` for a file it cannot read.
Readers are imported on first use, so reading BVH files never imports numpy or pygltflib.
Each format's module is the one place that format is parsed: the blend metrics
(`blend_quality.positions`) read frames through it too (bvh.read_header/read_motion,
trc.read_header/read_coordinates, npy.load_array/sidecar_fps, gltf.load).
"""

from pathlib import Path

from workspace.mocap.base import STATUS_OK, STATUS_UNSUPPORTED, MotionFileError, MotionMetadata

__all__ = [
    "STATUS_OK",
    "STATUS_UNSUPPORTED",
    "SUPPORTED_SUFFIXES",
    "MotionFileError",
    "MotionMetadata",
    "read_metadata",
]

SUPPORTED_SUFFIXES = (".bvh", ".fbx", ".glb", ".gltf", ".npy", ".trc")


def read_metadata(path, *, default_fps: float = 30) -> MotionMetadata:
    """Read the metadata of one motion file, dispatching on its lower-case suffix.

    `default_fps` is the frame rate of .npy arrays without a `<stem>.json` sidecar (other formats
    carry their own rate). Raises MotionFileError for an unsupported suffix, a missing or
    unreadable file, an empty (zero-byte) file, and whatever the format's reader rejects.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise MotionFileError(
            f"unsupported file type {suffix or '(no suffix)'!r}: "
            f"expected one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise MotionFileError(f"cannot read file: {exc}") from exc
    if size == 0:
        raise MotionFileError("empty file")

    if suffix == ".bvh":
        from workspace.mocap import bvh

        return bvh.read_metadata(path)
    if suffix == ".trc":
        from workspace.mocap import trc

        return trc.read_metadata(path)
    if suffix == ".npy":
        from workspace.mocap import npy

        return npy.read_metadata(path, default_fps=default_fps)
    if suffix in (".glb", ".gltf"):
        from workspace.mocap import gltf

        return gltf.read_metadata(path)
    from workspace.mocap import (
        fbx,
    )  # provided by the FBX reader module (imported only when needed)

    return fbx.read_metadata(path)

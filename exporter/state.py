"""The exporter's state file: per target (cluster, alias, source), the watermark reached.

Written atomically (temporary file, then rename), so a crash leaves the old state or the new
one, never half of either. It holds no secret: the cluster is named by its URL without
credentials.
"""

import json
import os
import tempfile
from pathlib import Path

from shared.masking import mask_url

DEFAULT_DIRECTORY = Path(__file__).resolve().parent / "state"


def target_key(es_url: str, alias: str, source: str) -> str:
    """One state entry per (cluster, alias, source table); the URL's credentials are masked."""
    return f"{mask_url(es_url)} {alias} <- {source}"


class StateFile:
    def __init__(self, path: str | Path, key: str):
        self.path = Path(path)
        self.key = key

    def _all(self) -> dict:
        try:
            document = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        if not isinstance(document, dict):
            raise ValueError(f"{self.path} is not an exporter state file")
        return document

    def load(self) -> dict:
        """This target's entry: {"watermark_us": int, "index": str, ...} or {}."""
        entry = self._all().get(self.key, {})
        return entry if isinstance(entry, dict) else {}

    def save(self, entry: dict) -> None:
        document = self._all()
        document[self.key] = entry
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".state-")
        try:
            with os.fdopen(handle, "w") as stream:
                json.dump(document, stream, indent=2, sort_keys=True)
                stream.write("\n")
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

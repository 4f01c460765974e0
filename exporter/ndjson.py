"""`--output FILE.ndjson`: the exact `_bulk` body, for a cluster this machine cannot reach.

Replay it with
`curl -H 'Content-Type: application/x-ndjson' --data-binary @FILE $ES/_bulk`: every action
carries its external version, so replaying twice, or after the exporter ran, changes nothing.
"""

from collections.abc import Iterator
from pathlib import Path

from exporter.bulk import Batch, Counts
from exporter.documents import is_delete


def write_bulk_file(path: str | Path, source_batches: Iterator[Batch]) -> Counts:
    counts = Counts()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".partial")
    with temporary.open("wb") as stream:
        for batch in source_batches:
            counts.read += len(batch.lines) + batch.invalid
            counts.dead_lettered += batch.invalid
            stream.write(b"".join(batch.lines))
            deleted = sum(map(is_delete, batch.lines))
            counts.deleted += deleted
            counts.indexed += len(batch.lines) - deleted
    temporary.replace(path)  # a crash never leaves a truncated file under the final name
    return counts

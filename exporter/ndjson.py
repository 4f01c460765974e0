"""`--output FILE.ndjson`: the exact `_bulk` body, for a cluster this machine cannot reach.

Replay it with
`curl -H 'Content-Type: application/x-ndjson' --data-binary @FILE $ES/_bulk`: every action
carries its external version, so replaying twice, or after the exporter ran, changes nothing.
"""

from collections.abc import Iterator
from pathlib import Path

from exporter.bulk import Batch, Counts


def write_bulk_file(path: str | Path, source_batches: Iterator[Batch], index: str) -> Counts:
    counts = Counts()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".partial")
    with temporary.open("wb") as stream:
        for batch in source_batches:
            counts.read += len(batch.actions) + batch.invalid
            counts.dead_lettered += batch.invalid
            for action in batch.actions:
                stream.write(action.lines(index))
                if action.source is not None:
                    counts.indexed += 1
                else:
                    counts.deleted += 1
    temporary.replace(path)  # a crash never leaves a truncated file under the final name
    return counts

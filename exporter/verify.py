"""`--verify`: the alias holds exactly the warehouse's active rows, and a sample matches."""

from exporter.clients import Cluster
from exporter.documents import DocumentBuilder
from exporter.index import body

SAMPLE_SIZE = 50


def verify(cluster: Cluster, alias: str, source, builder: DocumentBuilder) -> list[str]:
    """Problems found ([] when the index matches the warehouse)."""
    cluster.client.indices.refresh(index=alias)
    problems = []
    expected = source.count_active()
    actual = body(cluster.client.count(index=alias))["count"]
    if expected != actual:
        problems.append(f"{alias} holds {actual} documents, the warehouse {expected} active rows")
    sample = []
    for page in source.read(active_only=True, page_size=SAMPLE_SIZE):
        sample = [builder.action(row) for row in page]
        break
    if not sample:
        return problems
    found = body(cluster.client.mget(index=alias, body={"ids": [a.id for a in sample]}))["docs"]
    for action, document in zip(sample, found, strict=True):
        if not document.get("found"):
            problems.append(f"blend {action.id} is missing from {alias}")
            continue
        stored = document["_source"]
        for field, value in action.source.items():
            if stored.get(field) != value:
                problems.append(
                    f"blend {action.id}: {field} is {stored.get(field)!r} in {alias}, "
                    f"{value!r} in the warehouse"
                )
    return problems

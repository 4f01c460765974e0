"""Versioned indices behind an alias: the template, creation, the atomic swap, pruning.

Every index `<prefix>_v<N>` gets its settings and strict mapping from one index template, so
all versions are identical. Incremental runs write through the alias; a full rebuild loads a
new version with replicas 0 and refresh off, restores the settings, refreshes, and moves the
alias in a single `_aliases` call, so readers see the old index until that instant.
"""

import re
from dataclasses import dataclass

from exporter import schema
from exporter.clients import Cluster

_VERSIONED = re.compile(r"^(?P<prefix>.+_v)(?P<number>\d+)$")


def body(response):
    """The parsed body of either client's response."""
    return getattr(response, "body", response)


@dataclass(frozen=True)
class IndexNames:
    """`--es-index mb_blends_v1` and `--es-alias mb_blends`."""

    first: str
    alias: str

    def __post_init__(self):
        if not _VERSIONED.match(self.first):
            raise ValueError(
                f"--es-index {self.first!r} must end in _v<number>, e.g. mb_blends_v1"
            )

    @property
    def prefix(self) -> str:
        return _VERSIONED.match(self.first)["prefix"]

    @property
    def pattern(self) -> str:
        return self.prefix + "*"

    def version(self, index: str) -> int | None:
        match = _VERSIONED.match(index)
        return int(match["number"]) if match and match["prefix"] == self.prefix else None


def install_template(cluster: Cluster, names: IndexNames) -> None:
    cluster.client.indices.put_index_template(
        name=names.prefix.rstrip("_") + "_template", body=schema.template_body(names.pattern)
    )


def aliased_indices(cluster: Cluster, names: IndexNames) -> list[str]:
    """The indices the alias points to now ([] when it does not exist)."""
    if not cluster.client.indices.exists_alias(name=names.alias):
        return []
    return sorted(body(cluster.client.indices.get_alias(name=names.alias)))


def versioned_indices(cluster: Cluster, names: IndexNames) -> list[str]:
    found = body(cluster.client.indices.get(index=names.pattern, allow_no_indices=True))
    return sorted((i for i in found if names.version(i) is not None), key=names.version)


def ensure_alias(cluster: Cluster, names: IndexNames) -> str:
    """The index incremental runs write to: the alias's, or the first version created now."""
    install_template(cluster, names)
    current = aliased_indices(cluster, names)
    if len(current) > 1:
        raise RuntimeError(
            f"alias {names.alias} points to {len(current)} indices ({', '.join(current)}); "
            "fix it by hand or run --mode full"
        )
    if current:
        return current[0]
    if not cluster.client.indices.exists(index=names.first):
        cluster.client.indices.create(index=names.first, body={})
    cluster.client.indices.update_aliases(
        body={"actions": [{"add": {"index": names.first, "alias": names.alias}}]}
    )
    return names.first


def create_next_version(cluster: Cluster, names: IndexNames) -> str:
    """A new, empty version with bulk-load settings (no replicas, no refresh)."""
    install_template(cluster, names)
    existing = [names.version(i) for i in versioned_indices(cluster, names)]
    number = max([*existing, names.version(names.first) - 1]) + 1
    index = f"{names.prefix}{number}"
    cluster.client.indices.create(
        index=index, body={"settings": {"index": dict(schema.BULK_LOAD_SETTINGS)}}
    )
    return index


def finish_load_and_swap(cluster: Cluster, names: IndexNames, index: str) -> list[str]:
    """Restore the template's settings, refresh, then move the alias in one call.

    Returns the indices the alias left (kept until --prune)."""
    restored = {k: schema.INDEX_SETTINGS[k] for k in schema.BULK_LOAD_SETTINGS}
    cluster.client.indices.put_settings(index=index, body={"index": restored})
    cluster.client.indices.refresh(index=index)
    previous = aliased_indices(cluster, names)
    actions = [{"remove": {"index": old, "alias": names.alias}} for old in previous]
    actions.append({"add": {"index": index, "alias": names.alias}})
    cluster.client.indices.update_aliases(body={"actions": actions})
    return [old for old in previous if old != index]


def prune(cluster: Cluster, names: IndexNames) -> list[str]:
    """Delete the versions the alias does not point to; returns their names."""
    keep = set(aliased_indices(cluster, names))
    removed = [i for i in versioned_indices(cluster, names) if i not in keep]
    for index in removed:
        cluster.client.indices.delete(index=index)
    return removed

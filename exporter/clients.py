"""Connect to the cluster with its own official client: `elasticsearch` or `opensearch-py`.

`--engine auto` reads the cluster's root document (`version.distribution` is `opensearch` on
OpenSearch and absent on Elasticsearch). Both clients get an orjson serializer and no
transport-level retries: the bulk writer retries with backoff itself, so that every retry is
logged and bounded the same way on either engine. Credentials are registered with
shared.masking before anything can print them.
"""

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import orjson
import requests

from shared.masking import mask_exception, mask_url, register_secret

ENGINES = ("elasticsearch", "opensearch")
REQUEST_TIMEOUT_SECONDS = 60


class ClusterError(RuntimeError):
    """The cluster cannot be reached or refused us; the message names its URL, never a key."""


@dataclass(frozen=True)
class Credentials:
    api_key: str | None = None
    username: str | None = None
    password: str | None = None
    ca_certs: str | None = None

    def __post_init__(self):
        register_secret(self.api_key)
        register_secret(self.password)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"ApiKey {self.api_key}"} if self.api_key else {}

    def basic(self) -> tuple[str, str] | None:
        return (self.username, self.password) if self.username and self.password else None


@dataclass
class Cluster:
    """A connected client and the engine it speaks."""

    url: str
    engine: str
    client: Any

    @property
    def where(self) -> str:
        return mask_url(self.url)

    def bulk(self, payload: bytes) -> dict:
        """POST a ready `_bulk` body through the client's own `bulk`; the parsed response."""
        if self.engine == "elasticsearch":
            return self.client.bulk(operations=payload).body
        return self.client.bulk(body=payload)


def split_credentials(url: str, credentials: Credentials) -> tuple[str, Credentials]:
    """Move `user:password@` out of the URL into the credentials (the API key still wins)."""
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url, credentials
    register_secret(parts.password)
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    clean = urlunsplit(parts._replace(netloc=host))
    if credentials.username or credentials.password:
        return clean, credentials
    return clean, replace(
        credentials, username=unquote(parts.username or ""), password=unquote(parts.password or "")
    )


def detect_engine(url: str, credentials: Credentials) -> str:
    """`elasticsearch` or `opensearch`, from the cluster's root document."""
    try:
        response = requests.get(
            url.rstrip("/") + "/",
            headers=credentials.headers(),
            auth=None if credentials.api_key else credentials.basic(),  # the key wins
            verify=credentials.ca_certs or True,
            timeout=REQUEST_TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        raise ClusterError(f"cannot reach {mask_url(url)}: {mask_exception(error)}") from None
    if response.status_code in (401, 403):
        raise ClusterError(
            f"{mask_url(url)} refused the credentials (HTTP {response.status_code}); check the "
            "API key or user name and password"
        )
    if response.status_code in (502, 503, 504):
        raise ClusterError(
            f"the cluster at {mask_url(url)} is unavailable (HTTP {response.status_code}); "
            "run the export again later"
        )
    try:
        version = response.json().get("version", {})
    except (ValueError, AttributeError):
        version = None
    if response.status_code != 200 or not isinstance(version, dict):
        raise ClusterError(
            f"{mask_url(url)} is not an Elasticsearch or OpenSearch cluster "
            f"(GET / answered HTTP {response.status_code})"
        )
    return "opensearch" if version.get("distribution") == "opensearch" else "elasticsearch"


def _elasticsearch(url: str, credentials: Credentials, connections: int):
    from elasticsearch import Elasticsearch
    from elasticsearch.serializer import OrjsonSerializer

    options: dict[str, Any] = {
        "serializer": OrjsonSerializer(),
        "max_retries": 0,
        "retry_on_status": (),
        "retry_on_timeout": False,
        "request_timeout": REQUEST_TIMEOUT_SECONDS,
        "connections_per_node": connections,
    }
    if credentials.api_key:
        options["api_key"] = credentials.api_key
    elif credentials.basic():
        options["basic_auth"] = credentials.basic()
    if credentials.ca_certs:
        options["ca_certs"] = credentials.ca_certs
    return Elasticsearch(url, **options)


def _opensearch(url: str, credentials: Credentials, connections: int):
    from opensearchpy import OpenSearch
    from opensearchpy.serializer import JSONSerializer

    class OrjsonSerializer(JSONSerializer):
        # Text and bytes (a ready `_bulk` body) are sent as they are.
        def dumps(self, data):
            if isinstance(data, str | bytes):
                return data
            return orjson.dumps(data, default=self.default).decode()

        def loads(self, s):
            return orjson.loads(s)

    options: dict[str, Any] = {
        "serializer": OrjsonSerializer(),
        "max_retries": 0,
        "retry_on_status": (),
        "retry_on_timeout": False,
        "timeout": REQUEST_TIMEOUT_SECONDS,
        "headers": credentials.headers(),
        "pool_maxsize": connections,
    }
    if credentials.basic():
        options["http_auth"] = credentials.basic()
    if credentials.ca_certs:
        options["ca_certs"] = credentials.ca_certs
    return OpenSearch([url], **options)


def connect(url: str, credentials: Credentials, engine: str = "auto", workers: int = 1) -> Cluster:
    """A client for the cluster, with one pooled connection per bulk worker (and one spare)."""
    url, credentials = split_credentials(url, credentials)
    if engine == "auto":
        engine = detect_engine(url, credentials)
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)} or auto")
    factory = _elasticsearch if engine == "elasticsearch" else _opensearch
    return Cluster(url, engine, factory(url, credentials, workers + 1))

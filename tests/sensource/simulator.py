"""Loopback simulator of the SenSource API (OAuth2 token endpoint, static lists, hourly data).

Behaviour, as issue #8 describes the vendor API:

* ``POST /oauth/token``, form-encoded ``grant_type=client_credentials``, ``client_id``,
  ``client_secret`` -> ``{"access_token", "token_type": "Bearer", "expires_in"}``; wrong
  credentials -> 401 ``{"error": "invalid_client"}``, another grant type -> 400.
* Everything under ``/api`` needs ``Authorization: Bearer <token>``; an unknown, revoked or
  expired token -> 401 ``{"error": "invalid_token"}``. A token expires ``token_lifetime`` seconds
  after it was issued (real time) or after ``token_max_calls`` API calls, whichever comes first.
* ``GET /api/location|site|zone|space|sensor`` -> a JSON array, or ``{"results": [...]}`` with
  ``wrap_static``. Objects carry their own id and their parents' (``locationId``, ``siteId``, ...),
  ``name`` and other fields (a nested ``address`` on locations).
* ``GET /api/data/traffic`` and ``/api/data/occupancy`` with ``relativeDate=custom``,
  ``startDate``/``endDate`` (``YYYY-MM-DDTHH:MM:SSZ`` or a date, meaning midnight UTC; end
  exclusive), ``dateGroupings=hour``, ``entityType=zone`` (traffic) or ``space`` (occupancy) and
  ``metrics`` (traffic: ``ins``, ``outs``, summed; occupancy: ``occupancy(max|min|avg)``);
  anything else -> 400. -> ``{"messages": [...], "results": [...]}``, one row per entity and hour
  of the history (``history_days`` before the current hour, up to and including the current
  hour), hour-major. The current hour is still filling: its values grow with the minutes elapsed.
  Nothing after the current hour exists.
* More than ``row_cap`` rows: the first ``row_cap`` are sent with the message
  ``{"type": "warning", "message": "result truncated to N rows"}``.

The clock is ``clock()`` (an aware UTC datetime; default the real time), so a test can serve the
API as it was hours ago. Values are a cheap deterministic function of (seed, entity, hour), so two
years of history cost nothing until served. Fault knobs come from ``tests.simulators.base``.

Run standalone for demos: ``python -m tests.sensource.simulator --zones 4 --spaces 3``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from tests.simulators.base import LoopbackApi, Request, Response, serve_forever_cli

DEFAULT_CLIENT_ID = "sensource-demo-client"
DEFAULT_CLIENT_SECRET = "sensource-demo-secret"
STATIC_KINDS = ("location", "site", "zone", "space", "sensor")
TRAFFIC_METRICS = ("ins", "outs")
OCCUPANCY_AGGREGATES = ("max", "min", "avg")
HOUR = dt.timedelta(hours=1)
_METRIC = re.compile(r"(?P<name>[a-z]+)(?:\((?P<aggregate>[a-z]+)\))?")


def _entity_id(seed: int, kind: str, index: int) -> str:
    digest = hashlib.blake2b(f"{seed}:{kind}:{index}".encode(), digest_size=16).digest()
    return str(uuid.UUID(bytes=digest, version=4))


def _mix(seed: int, entity: int, hour_number: int) -> int:
    """A cheap deterministic 32-bit hash (no per-row hashlib: two years of rows must be fast)."""
    x = (entity * 2654435761 + hour_number * 40503 + seed * 97 + 12345) & 0xFFFFFFFF
    x ^= x >> 13
    x = (x * 1274126177) & 0xFFFFFFFF
    return x ^ (x >> 16)


def format_hour(moment: dt.datetime) -> str:
    """The API's timestamp format: ``2025-12-01T11:00:00.000Z``."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _parse_date_parameter(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        if len(text) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.UTC)
        if not text.endswith("Z"):
            return None
        return dt.datetime.fromisoformat(text[:-1]).replace(tzinfo=dt.UTC)
    except ValueError:
        return None


class SenSourceSimulator(LoopbackApi):
    def __init__(
        self,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        zones: int = 3,
        spaces: int = 2,
        history_days: float = 7,
        token_lifetime: float = 3600,
        token_max_calls: int | None = None,
        row_cap: int | None = None,
        wrap_static: bool = False,
        clock: Callable[[], dt.datetime] | None = None,
        seed: int = 0,
        port: int = 0,
    ) -> None:
        super().__init__(port=port)
        self.client_id, self.client_secret = client_id, client_secret
        self.history_days = history_days
        self.token_lifetime = token_lifetime
        self.token_max_calls = token_max_calls
        self.row_cap = row_cap
        self.wrap_static = wrap_static
        self.clock = clock
        self.seed = seed
        self._tokens: dict[str, list[float]] = {}  # token -> [issued at (monotonic), calls]
        self.issued_tokens: list[str] = []  # every token ever issued (for secret scans)
        self._token_lock = threading.Lock()
        self.entities = self._make_entities(zones, spaces)
        self.route("POST", "/oauth/token", self._issue_token)
        for kind in STATIC_KINDS:
            self.route("GET", f"/api/{kind}", self._static_handler(kind))
        self.route("GET", "/api/data/traffic", lambda request: self._data(request, "traffic"))
        self.route("GET", "/api/data/occupancy", lambda request: self._data(request, "occupancy"))

    # -- addresses and clock ------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/oauth/token"

    def now(self) -> dt.datetime:
        return self.clock() if self.clock is not None else dt.datetime.now(dt.UTC)

    def current_hour(self) -> dt.datetime:
        return self.now().replace(minute=0, second=0, microsecond=0)

    def history_start(self) -> dt.datetime:
        return self.current_hour() - dt.timedelta(days=self.history_days)

    # -- request log helpers ------------------------------------------------------------------
    def calls(self, path: str) -> list[Request]:
        """Requests received for ``path`` (``/oauth/token``, ``/api/data/traffic``, ...)."""
        return [request for request in self.requests if request.path == path]

    @property
    def token_requests(self) -> int:
        return len(self.calls("/oauth/token"))

    # -- tokens ---------------------------------------------------------------------------------
    def revoke_tokens(self) -> None:
        """Every token issued so far is refused from now on (as after a key rotation)."""
        with self._token_lock:
            self._tokens.clear()

    def _issue_token(self, request: Request) -> Response:
        form = {key: values[-1] for key, values in parse_qs(request.body.decode()).items()}
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}, None
        if form.get("client_id") != self.client_id or form.get("client_secret") != (
            self.client_secret
        ):
            return 401, {"error": "invalid_client"}, None
        token = secrets.token_hex(20)
        with self._token_lock:
            self._tokens[token] = [time.monotonic(), 0]
            self.issued_tokens.append(token)
        lifetime = self.token_lifetime
        expires_in = int(lifetime) if float(lifetime).is_integer() else lifetime
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": expires_in}, None

    def _token_refusal(self, request: Request) -> Response | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        with self._token_lock:
            entry = self._tokens.get(token) if scheme == "Bearer" else None
            if entry is not None and time.monotonic() - entry[0] >= self.token_lifetime:
                entry = None
            if entry is not None and self.token_max_calls is not None:
                entry = entry if entry[1] < self.token_max_calls else None
            if entry is None:
                return 401, {"error": "invalid_token"}, None
            entry[1] += 1
        return None

    # -- static lists ---------------------------------------------------------------------------
    def _make_entities(self, zones: int, spaces: int) -> dict[str, list[dict[str, Any]]]:
        seed = self.seed
        location_id, site_id = _entity_id(seed, "location", 0), _entity_id(seed, "site", 0)
        parents = {"locationId": location_id, "siteId": site_id}
        zone_list = [
            {"zoneId": _entity_id(seed, "zone", i), **parents, "name": f"Entrance {i + 1}"}
            | {"zoneType": "entrance", "isActive": True}
            for i in range(zones)
        ]
        return {
            "location": [
                {
                    "locationId": location_id,
                    "name": "Flagship store",
                    "timezone": "America/New_York",
                    "address": {"city": "Columbus", "country": "US"},
                }
            ],
            "site": [{"siteId": site_id, "locationId": location_id, "name": "Main building"}],
            "zone": zone_list,
            "space": [
                {"spaceId": _entity_id(seed, "space", i), **parents, "name": f"Floor {i + 1}"}
                | {"capacity": 100 + 10 * i}
                for i in range(spaces)
            ],
            "sensor": [
                {"sensorId": _entity_id(seed, "sensor", i), "zoneId": zone["zoneId"], **parents}
                | {"name": f"Sensor {i + 1}", "serialNumber": f"SN-{1000 + i}", "firmware": "4.2"}
                for i, zone in enumerate(zone_list)
            ],
        }

    def remove(self, kind: str, entity_id: str) -> None:
        """Take an entity off its list (its data rows stop too)."""
        key = f"{kind}Id"
        self.entities[kind] = [item for item in self.entities[kind] if item[key] != entity_id]

    def _static_handler(self, kind: str) -> Callable[[Request], Response]:
        def handle(request: Request) -> Response:
            refusal = self._token_refusal(request)
            if refusal is not None:
                return refusal
            items = list(self.entities[kind])
            return 200, ({"results": items} if self.wrap_static else items), None

        return handle

    # -- hourly data ----------------------------------------------------------------------------
    def rows(
        self, kind: str, start: dt.datetime, end: dt.datetime, metrics: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """The rows the API serves for ``[start, end)`` at this moment, hour-major."""
        entity_kind, key = ("zone", "zoneId") if kind == "traffic" else ("space", "spaceId")
        metrics = metrics or (
            list(TRAFFIC_METRICS)
            if kind == "traffic"
            else [f"occupancy({a})" for a in OCCUPANCY_AGGREGATES]
        )
        now, current = self.now(), self.current_hour()
        hour = max(start, self.history_start()).replace(minute=0, second=0, microsecond=0)
        last = min(end, current + HOUR)
        # Values depend on the entity's id, not its position: removing one keeps the others'.
        entities = [(int(item[key][:8], 16), item) for item in self.entities[entity_kind]]
        rows = []
        while hour < last:
            number = int(hour.timestamp()) // 3600
            filled = min(1.0, (now - hour) / HOUR)  # < 1 for the current, still-filling hour
            for entity, item in entities:
                values = self._values(kind, entity, number)
                row = {
                    key: item[key],
                    "name": item["name"],
                    "recordDate_hour_1": format_hour(hour),
                }
                for metric in metrics:
                    name, aggregate = _split_metric(metric)
                    value = values[f"{aggregate}{name}"]
                    if aggregate == "avg":
                        row[f"{aggregate}{name}"] = round(value * filled, 2)
                    elif aggregate == "min":
                        row[f"{aggregate}{name}"] = value
                    else:
                        row[f"{aggregate}{name}"] = int(value * filled)
                rows.append(row)
            hour += HOUR
        return rows

    def _values(self, kind: str, entity: int, hour_number: int) -> dict[str, float]:
        x = _mix(self.seed, entity, hour_number)
        hour_of_day = hour_number % 24
        if kind == "traffic":
            busy = 40 if 8 <= hour_of_day <= 20 else 3
            ins = busy * (x % 100) // 50 + x % 5
            return {"sumins": ins, "sumouts": max(0, ins - (x >> 8) % 4)}
        peak = 5 + x % 60
        low = peak // 3
        return {"maxoccupancy": peak, "minoccupancy": low, "avgoccupancy": (peak + low) / 2}

    def _data(self, request: Request, kind: str) -> Response:
        refusal = self._token_refusal(request)
        if refusal is not None:
            return refusal
        query = request.query
        start = _parse_date_parameter(query.get("startDate"))
        end = _parse_date_parameter(query.get("endDate"))
        entity_type = "zone" if kind == "traffic" else "space"
        if query.get("relativeDate") != "custom":
            return 400, {"error": "relativeDate must be custom with startDate and endDate"}, None
        if start is None or end is None or end <= start:
            return 400, {"error": "startDate and endDate must be dates, end after start"}, None
        if query.get("dateGroupings") != "hour":
            return 400, {"error": "only dateGroupings=hour is simulated"}, None
        if query.get("entityType") != entity_type:
            return 400, {"error": f"entityType must be {entity_type} for {kind}"}, None
        metrics = [m.strip() for m in query.get("metrics", "").split(",") if m.strip()]
        unknown = [m for m in metrics if not _known_metric(kind, m)]
        if not metrics or unknown:
            return 400, {"error": f"unknown metrics: {', '.join(unknown) or '(none given)'}"}, None
        rows = self.rows(kind, start, end, metrics)
        messages = []
        if self.row_cap is not None and len(rows) > self.row_cap:
            rows = rows[: self.row_cap]
            messages.append(
                {"type": "warning", "message": f"result truncated to {self.row_cap} rows"}
            )
        return 200, {"messages": messages, "results": rows}, None


def _split_metric(metric: str) -> tuple[str, str]:
    match = _METRIC.fullmatch(metric)
    return match.group("name"), match.group("aggregate") or "sum"


def _known_metric(kind: str, metric: str) -> bool:
    match = _METRIC.fullmatch(metric)
    if match is None:
        return False
    name, aggregate = match.group("name"), match.group("aggregate")
    if kind == "traffic":
        return name in TRAFFIC_METRICS and aggregate in (None, "sum")
    return name == "occupancy" and aggregate in OCCUPANCY_AGGREGATES


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Loopback SenSource API simulator")
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    parser.add_argument("--zones", type=int, default=3)
    parser.add_argument("--spaces", type=int, default=2)
    parser.add_argument("--history-days", type=float, default=60)
    parser.add_argument("--token-lifetime", type=float, default=3600)
    parser.add_argument("--row-cap", type=int, default=None)
    parser.add_argument("--hours-ahead", type=float, default=0, help="serve the API as of later")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    args = parser.parse_args(argv)
    ahead = dt.timedelta(hours=args.hours_ahead)
    serve_forever_cli(
        lambda: SenSourceSimulator(
            client_id=args.client_id,
            client_secret=args.client_secret,
            zones=args.zones,
            spaces=args.spaces,
            history_days=args.history_days,
            token_lifetime=args.token_lifetime,
            row_cap=args.row_cap,
            clock=(lambda: dt.datetime.now(dt.UTC) + ahead) if args.hours_ahead else None,
            seed=args.seed,
            port=args.port,
        ),
        verbose=args.verbose,
    )


if __name__ == "__main__":
    main()

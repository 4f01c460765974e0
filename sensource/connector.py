"""SenSource connector: hourly traffic per zone, hourly occupancy per space, and reference lists.

Source: the SenSource VEA API. OAuth2 client credentials at `auth_url`, through
`shared.auth.OAuth2ClientCredentials`: the token is fetched when first needed, refreshed 60 s
before it expires (a two-year backfill outlives several tokens), and on a 401 refreshed once and
the call sent again. `{base_url}/location|site|zone|space|sensor` give the reference lists (an
array, or `{"results": [...]}`); `{base_url}/data/traffic` and `/data/occupancy` the hourly
metrics of a custom range as `{"messages": [...], "results": [...]}`.

Tables: `traffic` (zone_id, record_date_hour_1), `occupancy` (space_id, record_date_hour_1),
and `location`, `site`, `zone`, `space`, `sensor` keyed by their own id. Names are snake_case
here, so they do not depend on the destination's naming strategy.

Incremental strategy, all times UTC: for each data type the state holds a `cursor` (an hour):
every hour before it is complete and written. A sync reads from `lookback_hours` before the
cursor (first sync: `start_date` at midnight) to the end of the current hour, in windows of
`window_days`; each window is upserted, then the cursor moves to its end, but never past the
start of the current hour, and is checkpointed. So the current, still-filling hour is written
with its counts so far and corrected by the next sync, late hours within the lookback are
corrected too (upserts are idempotent), and nothing after the current hour is ever requested.
A response the API cut short ("result truncated to N rows") is never written: the window is
halved, down to one hour (the rest of the sync keeps the smaller size), and requested again; a
single truncated hour fails the sync. Reference lists are upserted every sync; ids that left a
list (the state keeps each list's ids) are soft-deleted. A killed sync resumes from its last
checkpoint and ends with the same tables.
"""

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fivetran_connector_sdk import Connector, Test
from fivetran_connector_sdk import Operations as op

from shared.auth import CredentialsRejected, OAuth2ClientCredentials
from shared.checkpoint import Checkpointer
from shared.config import ConfigSpec
from shared.http import ApiError, AuthenticationError, ClientError, RetryPolicy, make_session
from shared.masking import log
from shared.timewindows import ShrinkingWindows, floor_hour, format_utc, parse_utc, utc_now
from shared.values import InvalidValue, TableTyping

__SPEC = ConfigSpec.load(Path(__file__).resolve().parent / "spec.json")
__MAX_RETRIES = 5
__SETUP_TEST_RETRIES = 1
__TOKEN_REFRESH_MARGIN_SECONDS = 60
__HOUR = timedelta(hours=1)
__AGGREGATES = ("sum", "max", "min", "avg")
__METRIC = re.compile(r"(?P<name>[A-Za-z_]+)(?:\((?P<aggregate>[a-z]+)\))?")
# Reference lists: endpoint -> the columns every object has (its own id first).
__STATIC = {
    "location": ("location_id", "name"),
    "site": ("site_id", "location_id", "name"),
    "zone": ("zone_id", "site_id", "location_id", "name"),
    "space": ("space_id", "site_id", "location_id", "name"),
    "sensor": ("sensor_id", "zone_id", "site_id", "location_id", "name"),
}
# Hourly data: table -> (entityType, its id column, the configuration key of its metrics).
__HOURLY = {
    "traffic": ("zone", "zone_id", "traffic_metrics"),
    "occupancy": ("space", "space_id", "occupancy_metrics"),
}
__HOUR_COLUMN = "record_date_hour_1"


class SenSourceSyncError(Exception):
    """The sync cannot go on; the message says what happened and what to do."""


def validate_configuration(configuration: dict) -> dict:
    """Typed settings; ValueError names each bad key (unknown endpoints, malformed metrics)."""
    settings = __SPEC.validate(configuration)
    problems = []
    unknown = [name for name in settings["static_endpoints"] if name not in __STATIC]
    if unknown:
        problems.append(
            f"static_endpoints: unknown endpoint(s) {', '.join(unknown)} "
            f"(known: {', '.join(__STATIC)})"
        )
    for key in ("traffic_metrics", "occupancy_metrics"):
        if not settings[key]:
            problems.append(f"{key} must name at least one metric")
        for metric in settings[key]:
            try:
                metric_column(metric)
            except ValueError as error:
                problems.append(f"{key}: {error}")
    if problems:
        raise ValueError("sensource: invalid configuration:\n" + "\n".join(problems))
    return settings


def schema(configuration: dict):
    """Every table with its primary key; hour columns are UTC_DATETIME, counts LONG, averages
    DOUBLE. Fields beyond these are written too, with types inferred by Fivetran."""
    settings = validate_configuration(configuration)
    return [
        {"table": typing.table, "primary_key": typing.primary_key, "columns": typing.columns}
        for typing in [*(static_typing(kind) for kind in __STATIC), *hourly_typings(settings)]
    ]


def update(configuration: dict, state: dict):
    """Sync the reference lists, then traffic and occupancy from their cursors."""
    settings = validate_configuration(configuration)
    session, auth = api_session(settings)
    state = dict(state or {})
    checkpointer = Checkpointer()
    sync_static(session, settings, state, checkpointer)
    for typing in hourly_typings(settings):
        sync_hourly(session, settings, state, checkpointer, typing)
    log.info(f"sensource: sync done; {auth.token_requests} access token(s) fetched")


# -- tables ----------------------------------------------------------------------------------
def static_typing(kind: str) -> TableTyping:
    """The reference table `kind`: its known columns as STRING, keyed by its own id."""
    columns = __STATIC[kind]
    return TableTyping(kind, {name: "STRING" for name in columns}, primary_key=[columns[0]])


def hourly_typings(settings: dict) -> list[TableTyping]:
    """`traffic` and `occupancy` with a column per configured metric."""
    typings = []
    for table, (_, id_column, metrics_key) in __HOURLY.items():
        columns = {id_column: "STRING", "name": "STRING", __HOUR_COLUMN: "UTC_DATETIME"}
        for metric in settings[metrics_key]:
            column, aggregate = metric_column(metric)
            columns[column] = "DOUBLE" if aggregate == "avg" else "LONG"
        typings.append(TableTyping(table, columns, primary_key=[id_column, __HOUR_COLUMN]))
    return typings


def metric_column(metric: str) -> tuple[str, str]:
    """(column, aggregate) of a metric: `ins` is summed into `sumins`, `occupancy(max)` gives
    `maxoccupancy`, as the API names its keys."""
    match = __METRIC.fullmatch(metric.strip())
    aggregate = (match.group("aggregate") or "sum") if match else None
    if aggregate not in __AGGREGATES:
        raise ValueError(
            f"{metric!r} is not a metric like ins or occupancy(max) "
            f"(aggregates: {', '.join(__AGGREGATES)})"
        )
    return snake_case(aggregate + match.group("name")), aggregate


def snake_case(name: str) -> str:
    """`recordDate_hour_1` -> `record_date_hour_1`, `zoneId` -> `zone_id`; letters and digits
    are split as Fivetran's default naming does (`address2` -> `address_2`), so a second
    conversion changes nothing."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    words = re.sub(r"(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])", "_", words)
    return re.sub(r"_+", "_", words).strip("_").lower()


def typed_row(typing: TableTyping, row: dict, where: str) -> dict:
    """The row coerced to its table's columns; a key that cannot be written fails the sync."""
    try:
        return typing.row(row, key=row.get(typing.primary_key[0]))
    except InvalidValue as error:
        raise SenSourceSyncError(f"sensource: {typing.table} {where}: {error}") from error


def to_row(record: dict) -> dict:
    """A source object with snake_case keys; nested values become JSON text."""
    return {
        snake_case(key): json.dumps(value) if isinstance(value, dict | list) else value
        for key, value in record.items()
    }


# -- reference lists -------------------------------------------------------------------------
def sync_static(session, settings: dict, state: dict, checkpointer: Checkpointer) -> None:
    """Upsert each configured list; soft-delete ids that left it since the last sync."""
    known_ids = state.setdefault("static_ids", {})
    for kind in settings["static_endpoints"]:
        typing = static_typing(kind)
        id_column = typing.primary_key[0]
        rows = [to_row(item) for item in fetch_static(session, settings, kind)]
        current = {str(row[id_column]) for row in rows}
        for row in rows:
            op.upsert(kind, typed_row(typing, row, f"/{kind}"))
        typing.report(f"/{kind}")
        gone = sorted(set(known_ids.get(kind, [])) - current)
        for entity_id in gone:
            op.delete(kind, {id_column: entity_id})
        known_ids[kind] = sorted(current)
        checkpointer.checkpoint(state)
        log.info(f"sensource: {kind}: {len(rows)} upserted, {len(gone)} soft-deleted")


def fetch_static(session, settings: dict, kind: str) -> list:
    """One reference list. Raises SenSourceSyncError on any failure."""
    payload = request_json(session, settings, f"/{kind}", None, f"the {kind} list")
    return parse_static(payload, kind)


def parse_static(payload, kind: str) -> list:
    """Check a list's shape (an array or {"results": [...]}, each object with its id)."""
    items = payload.get("results") if isinstance(payload, dict) else payload
    if not isinstance(items, list):
        raise SenSourceSyncError(f"sensource: /{kind} returned neither a list nor results")
    key = f"{kind}Id"
    for position, item in enumerate(items):
        if not isinstance(item, dict) or item.get(key) in (None, ""):
            raise SenSourceSyncError(f"sensource: object {position} of /{kind} has no {key}")
    return items


# -- hourly data -----------------------------------------------------------------------------
def sync_hourly(
    session, settings: dict, state: dict, checkpointer: Checkpointer, typing: TableTyping
) -> None:
    """Upsert the table's hours window by window from its starting hour, checkpointing each."""
    table = typing.table
    current_hour = floor_hour(utc_now())
    start = starting_hour(settings, state, table)
    end = current_hour + __HOUR  # the current hour is the last that can hold data
    if start >= end:
        log.info(f"sensource: {table}: start_date {settings['start_date']} is in the future")
        return
    windows = ShrinkingWindows(start, end, timedelta(days=settings["window_days"]))
    written = 0
    for window_start, window_end in windows:
        records, truncation = fetch_window(session, settings, table, window_start, window_end)
        where = f"{format_utc(window_start)}..{format_utc(window_end)}"
        if truncation:
            if not windows.shrink():
                raise SenSourceSyncError(
                    f"sensource: {table} for the single hour {format_utc(window_start)} is "
                    f"still truncated by the API ({truncation}); lower the number of "
                    f"{'zones' if table == 'traffic' else 'spaces'} or metrics, or ask "
                    "SenSource to raise the row limit"
                )
            log.warning(
                f"sensource: {table} {where}: {truncation}; requesting windows of "
                f"{windows.step / __HOUR:g} hours instead"
            )
            continue
        for record in records:
            op.upsert(table, typed_row(typing, record, where))
        typing.report(where)
        written += len(records)
        cursor = min(window_end, current_hour)
        saved = state.get(f"{table}_cursor")
        if saved is None or parse_utc(saved) < cursor:
            state[f"{table}_cursor"] = format_utc(cursor)
        checkpointer.checkpoint(state)
    log.info(f"sensource: {table}: {written} hourly rows from {format_utc(start)}")


def starting_hour(settings: dict, state: dict, table: str) -> datetime:
    """`lookback_hours` before the saved cursor, or start_date at midnight UTC."""
    first = datetime.combine(settings["start_date"], datetime.min.time(), UTC)
    saved = state.get(f"{table}_cursor")
    if saved is None:
        return first
    return max(first, floor_hour(parse_utc(saved)) - timedelta(hours=settings["lookback_hours"]))


def fetch_window(
    session, settings: dict, table: str, start: datetime, end: datetime
) -> tuple[list, str | None]:
    """One window of hourly rows: (rows, truncation message or None)."""
    entity_type, _, metrics_key = __HOURLY[table]
    params = {
        "relativeDate": "custom",
        "startDate": format_utc(start),
        "endDate": format_utc(end),
        "dateGroupings": "hour",
        "entityType": entity_type,
        "metrics": ",".join(settings[metrics_key]),
    }
    what = f"{table} {format_utc(start)}..{format_utc(end)}"
    payload = request_json(session, settings, f"/data/{table}", params, what, metrics_key)
    return parse_window(payload, table, start, end)


def parse_window(payload, table: str, start: datetime, end: datetime) -> tuple[list, str | None]:
    """Check a window's shape and messages before anything from it is written.

    Rows come back with snake_case keys and only for hours inside the window (a row outside it,
    in the future above all, is dropped with a warning). A message about truncation is returned;
    an error message fails the sync; others are logged.
    """
    what = f"{table} {format_utc(start)}..{format_utc(end)}"
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise SenSourceSyncError(f"sensource: {what}: the response has no results list")
    truncation = None
    for message in payload.get("messages") or []:
        text = message.get("message", message) if isinstance(message, dict) else message
        kind = str(message.get("type", "")).lower() if isinstance(message, dict) else ""
        if "truncat" in str(text).lower():
            truncation = str(text)
        elif kind == "error":
            raise SenSourceSyncError(f"sensource: {what}: the API reported an error: {text}")
        else:
            log.warning(f"sensource: {what}: the API says: {text}")
    id_column = __HOURLY[table][1]
    rows, outside = [], 0
    for position, record in enumerate(payload["results"]):
        row = to_row(record) if isinstance(record, dict) else {}
        try:
            hour = parse_utc(row[__HOUR_COLUMN])
        except (KeyError, TypeError, ValueError):
            hour = None
        if hour is None or row.get(id_column) in (None, ""):
            raise SenSourceSyncError(
                f"sensource: {what}: row {position} has no {id_column} or no valid hour"
            )
        if not start <= hour < end:
            outside += 1
            continue
        rows.append(row)
    if outside:
        log.warning(f"sensource: {what}: {outside} row(s) for hours outside the window dropped")
    return rows, truncation


# -- HTTP --------------------------------------------------------------------------------------
def request_json(session, settings: dict, path: str, params, what: str, config_key=None):
    """GET `{base_url}{path}` as JSON, turning each failure into advice."""
    try:
        return session.get_json(settings["base_url"] + path, params=params)
    except CredentialsRejected as error:
        raise SenSourceSyncError(f"sensource: {error}") from error
    except AuthenticationError as error:
        raise SenSourceSyncError(
            f"sensource: {settings['base_url']} refused {what} ({error.status}) even with a "
            "freshly issued token; check that this client may read it"
        ) from error
    except ClientError as error:
        hint = f"; check {config_key}" if config_key else ""
        raise SenSourceSyncError(f"sensource: the API rejected {what}: {error}{hint}") from error
    except ApiError as error:
        raise SenSourceSyncError(f"sensource: fetching {what}: {error}") from error


def api_session(settings: dict, max_retries: int = __MAX_RETRIES):
    """(session, auth): a retrying session that sends a refreshing OAuth2 bearer token."""
    retry = RetryPolicy(max_retries=max_retries)
    auth = OAuth2ClientCredentials(
        settings["auth_url"],
        settings["client_id"],
        settings["client_secret"],
        refresh_margin=__TOKEN_REFRESH_MARGIN_SECONDS,
        token_session=make_session(retry=retry),
    )
    return make_session(auth=auth, retry=retry), auth


def check_connection(configuration: dict):
    """Setup test: obtain a token and read the location list."""
    try:
        settings = validate_configuration(configuration)
        session, _ = api_session(settings, max_retries=__SETUP_TEST_RETRIES)
        locations = fetch_static(session, settings, "location")
    except (ValueError, SenSourceSyncError) as error:
        return Test.failure(str(error))
    log.info(f"sensource: connected; {len(locations)} location(s) visible")
    return Test.success()


def configuration_form():
    """The setup form, built from spec.json, with the connection test."""
    return __SPEC.configuration_form(tests=[("Get a token and list locations", check_connection)])


connector = Connector(update=update, schema=schema, configuration_form=configuration_form)

if __name__ == "__main__":
    connector.debug()

"""Manufacturing MSO connector: material supply optimization records into `mso_records`.

Source: `GET {base_url}/mso_data?page_size=N[&cursor=C]`, API key in the `api_key` header.
The API pages with an opaque cursor through records in a stable order; new records are
appended at the end, and the cursor that fetched the last page returns that page again with
whatever was appended since.

Incremental strategy: the state holds `cursor`, the cursor of the next page to fetch after the
last page written (null: the first page). Once the last page is written it keeps the cursor
that fetched that page, so the next sync re-reads it (upserts are idempotent) and goes on with
anything appended. A pass restarts from the first page every `full_resync_hours`, so updates
to earlier records are picked up. State is checkpointed only after the rows it covers were
upserted, so a killed sync resumes without losing or duplicating a row.
"""

from datetime import timedelta
from pathlib import Path

from fivetran_connector_sdk import Connector, Test
from fivetran_connector_sdk import Operations as op

from shared.auth import ApiKeyHeader
from shared.checkpoint import Checkpointer
from shared.config import ConfigSpec
from shared.http import ApiError, AuthenticationError, ClientError, RetryPolicy, make_session
from shared.masking import log
from shared.timewindows import format_utc, parse_utc, utc_now

__SPEC = ConfigSpec.load(Path(__file__).resolve().parent / "spec.json")
__TABLE = "mso_records"
__ENDPOINT = "/mso_data"
__MAX_RETRIES = 5
__SETUP_TEST_RETRIES = 1

__DOUBLE_FIELDS = (
    "material_cost",
    "material_weight",
    "material_waste",
    "density",
    "youngs_modulus",
    "poissons_ratio",
    "material_selection_score",
    "material_optimization_score",
    "cost_savings",
    "weight_reduction",
    "performance_improvement",
    "waste_reduction",
)
__DATE_FIELDS = ("material_selection_date", "material_optimization_date")
__INT_FIELDS = ("designer_experience",)
__STRING_FIELDS = (
    "record_id",
    "material_id",
    "material_name",
    "product_id",
    "product_name",
    "product_description",
    "designer_id",
    "designer_name",
    "cad_system",
    "cad_file_name",
    "material_selection_recommendation",
    "material_optimization_recommendation",
    "product_lifecycle_stage",
    "product_lifecycle_status",
    "designer_skill_level",
)


class MsoSyncError(Exception):
    """The sync cannot go on; the message says what happened and what to do."""


def validate_configuration(configuration: dict) -> dict:
    """Typed settings from the all-strings configuration; ValueError names each bad key."""
    return __SPEC.validate(configuration)


def schema(configuration: dict):
    """`mso_records` keyed by `record_id`; every known field with its real type.

    Measurements are DOUBLE (an undeclared float would become a 32-bit FLOAT). Fields the API
    adds later are still written, with types inferred by Fivetran.
    """
    columns = {name: "STRING" for name in __STRING_FIELDS}
    columns |= {name: "DOUBLE" for name in __DOUBLE_FIELDS}
    columns |= {name: "NAIVE_DATE" for name in __DATE_FIELDS}
    columns |= {name: "INT" for name in __INT_FIELDS}
    return [{"table": __TABLE, "primary_key": ["record_id"], "columns": columns}]


def update(configuration: dict, state: dict):
    """Sync every page after the saved cursor into `mso_records`."""
    settings = validate_configuration(configuration)
    session = api_session(settings)
    sync_records(session, settings, state)


def sync_records(session, settings: dict, state: dict) -> int:
    """Page through the API from the saved position, upsert, checkpoint; return rows written."""
    cursor, pass_started_at = starting_point(settings, state)
    checkpointer = Checkpointer()
    seen_cursors = set()
    written = 0
    log.info(f"mso: syncing from {'the first page' if cursor is None else 'the saved cursor'}")
    while True:
        records, next_cursor, has_more = fetch_page(session, settings, cursor)
        if has_more:
            check_next_cursor(cursor, next_cursor, seen_cursors)
        for record in records:
            op.upsert(__TABLE, record)
        written += len(records)
        if not has_more:
            # Keep the cursor that fetched the last page: the next sync re-reads it.
            checkpointer.checkpoint({"cursor": cursor, "pass_started_at": pass_started_at})
            break
        seen_cursors.add(cursor)
        cursor = next_cursor
        checkpointer.rows_written(
            len(records), {"cursor": cursor, "pass_started_at": pass_started_at}
        )
    log.info(f"mso: wrote {written} records in {len(seen_cursors) + 1} pages")
    return written


def starting_point(settings: dict, state: dict) -> tuple[str | None, str]:
    """The cursor to start from and when the current full pass started.

    A pass starts afresh (first page) without a saved cursor, or when the saved pass began
    more than `full_resync_hours` ago.
    """
    now = utc_now()
    cursor, started = state.get("cursor"), state.get("pass_started_at")
    if cursor is None or started is None:
        return None, format_utc(now)
    hours = settings["full_resync_hours"]
    if hours and now - parse_utc(started) >= timedelta(hours=hours):
        log.info(f"mso: last full pass started {started}, over {hours} h ago; re-reading all")
        return None, format_utc(now)
    return cursor, started


def fetch_page(session, settings: dict, cursor: str | None) -> tuple[list, str | None, bool]:
    """One page: (records, next_cursor, has_more). Raises MsoSyncError on any failure."""
    url = settings["base_url"] + __ENDPOINT
    page = "the first page" if cursor is None else f"the page with cursor {cursor}"
    params = {"page_size": settings["page_size"]}
    if cursor is not None:
        params["cursor"] = cursor
    try:
        page = session.get_json(url, params=params)
    except AuthenticationError as error:
        raise MsoSyncError(
            f"mso: API key rejected by {settings['base_url']} ({error.status}); check api_key"
        ) from error
    except ClientError as error:
        if cursor is not None and error.status == 400:
            raise MsoSyncError(
                f"mso: the API rejected cursor {cursor} ({error}); if it is the cursor saved by "
                "an earlier sync and has expired, run `fivetran reset` to sync from the first page"
            ) from error
        raise MsoSyncError(f"mso: request refused: {error}") from error
    except ApiError as error:
        raise MsoSyncError(f"mso: fetching {page}: {error}") from error
    return parse_page(page, cursor)


def parse_page(page, cursor: str | None) -> tuple[list, str | None, bool]:
    """Check a page's shape before anything from it is written."""
    where = f"page fetched with cursor {cursor}"
    if not isinstance(page, dict) or not isinstance(page.get("mso_records"), list):
        raise MsoSyncError(f"mso: {where} has no mso_records list")
    records, next_cursor, has_more = (
        page["mso_records"],
        page.get("next_cursor"),
        page.get("has_more"),
    )
    if not isinstance(has_more, bool):
        raise MsoSyncError(f"mso: {where} has no boolean has_more")
    for position, record in enumerate(records):
        if not isinstance(record, dict) or not record.get("record_id"):
            raise MsoSyncError(f"mso: record {position} of the {where} has no record_id")
    return records, next_cursor, has_more


def check_next_cursor(cursor: str | None, next_cursor, seen_cursors: set) -> None:
    """Refuse pagination that cannot end: a missing next cursor, or one already fetched."""
    if not isinstance(next_cursor, str) or not next_cursor:
        raise MsoSyncError(
            f"mso: the page fetched with cursor {cursor} says has_more but gives no next_cursor"
        )
    if next_cursor == cursor or next_cursor in seen_cursors:
        raise MsoSyncError(
            f"mso: pagination loop: next_cursor {next_cursor} was already fetched in this sync"
        )


def api_session(settings: dict, max_retries: int = __MAX_RETRIES):
    """A retrying session that sends the API key header (masked in every log and error)."""
    return make_session(
        auth=ApiKeyHeader("api_key", settings["api_key"]),
        retry=RetryPolicy(max_retries=max_retries),
    )


def check_connection(configuration: dict):
    """Setup test: fetch one record with page_size=1."""
    try:
        settings = validate_configuration(configuration)
        session = api_session(settings, max_retries=__SETUP_TEST_RETRIES)
        records, _, _ = fetch_page(session, {**settings, "page_size": 1}, None)
    except (ValueError, MsoSyncError) as error:
        return Test.failure(str(error))
    return Test.success() if records else Test.failure("mso: the API returned no records")


def configuration_form():
    """The setup form, built from spec.json, with the connection test."""
    return __SPEC.configuration_form(tests=[("Fetch one MSO record", check_connection)])


connector = Connector(update=update, schema=schema, configuration_form=configuration_form)

if __name__ == "__main__":
    connector.debug()

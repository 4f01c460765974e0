"""Read the metrics table from BigQuery, page by page, with a parameterised `@since`.

The query converts timestamps to ISO 8601 UTC and the watermark to epoch microseconds in SQL,
so rows arrive exactly as from the DuckDB source. Pages come from `query_and_wait(page_size=)`;
when `google-cloud-bigquery-storage` and `pyarrow` are installed, the result is read through
the Storage Read API instead (faster for large tables). Memory stays one page.
"""

from collections.abc import Iterator
from datetime import UTC, datetime

from exporter import schema
from exporter.documents import WATERMARK
from exporter.sources import SourceError, TableSource

_ISO = "%Y-%m-%dT%H:%M:%E6SZ"


def _storage_client(credentials):
    """A Storage Read client when the optional packages are installed, else None."""
    try:
        import pyarrow  # noqa: F401
        from google.cloud import bigquery_storage
    except ImportError:
        return None
    return bigquery_storage.BigQueryReadClient(credentials=credentials)


class BigQuerySource(TableSource):
    def __init__(
        self,
        project: str | None,
        dataset: str | None,
        table: str,
        credentials_file: str | None = None,
        location: str | None = None,
        endpoint: str | None = None,
    ):
        from google.api_core import exceptions
        from google.cloud import bigquery

        if not project or not dataset:
            raise SourceError("--source bigquery needs --bq-project and --bq-dataset")
        self._bigquery = bigquery
        self._location = location
        self.description = f"BigQuery {project}.{dataset}.{table}"
        options = {}
        credentials = None
        if endpoint:  # an emulator: no Google credentials involved
            from google.auth.credentials import AnonymousCredentials

            credentials = AnonymousCredentials()
            options["client_options"] = {"api_endpoint": endpoint}
        elif credentials_file:
            from google.oauth2 import service_account

            credentials = service_account.Credentials.from_service_account_file(credentials_file)
        self._client = bigquery.Client(
            project=project, credentials=credentials, location=location, **options
        )
        self._storage = None if endpoint else _storage_client(credentials)
        try:
            fields = self._client.get_table(f"{project}.{dataset}.{table}").schema
        except exceptions.NotFound:
            raise SourceError(f"{self.description}: the table does not exist") from None
        self._from = f"`{project}.{dataset}.{table}`"
        self._select({f.name: f.field_type.upper() for f in fields})

    def _expression(self, column: str) -> str:
        kind = self._types[column]
        if kind == "TIMESTAMP":
            return f"FORMAT_TIMESTAMP('{_ISO}', `{column}`, 'UTC') AS `{column}`"
        if kind == "DATETIME":
            return f"FORMAT_DATETIME('{_ISO}', `{column}`) AS `{column}`"
        if kind in ("FLOAT64", "FLOAT"):  # NaN and infinities have no JSON form
            return f"IF(IS_NAN(`{column}`) OR IS_INF(`{column}`), NULL, `{column}`) AS `{column}`"
        return f"`{column}`"

    def _where(self, since_us: int | None, active_only: bool):
        conditions = [f"`{self.watermark_column}` IS NOT NULL"]
        parameters = []
        if since_us is not None:
            conditions.append(f"`{self.watermark_column}` >= @since")
            since = datetime.fromtimestamp(since_us / 1e6, UTC)
            parameters.append(self._bigquery.ScalarQueryParameter("since", "TIMESTAMP", since))
        if active_only:
            if self._selection.deleted:
                conditions.append(f"NOT IFNULL(`{self._selection.deleted}`, FALSE)")
            if self._selection.status:
                conditions.append(f"`{self._selection.status}` = '{schema.EXPORTED_STATUS}'")
        config = self._bigquery.QueryJobConfig(query_parameters=parameters)
        return " WHERE " + " AND ".join(conditions), config

    def read(
        self, since_us: int | None = None, *, active_only: bool = False, page_size: int = 5000
    ) -> Iterator[list[tuple]]:
        where, config = self._where(since_us, active_only)
        selected = ", ".join(self._expression(c) for c in self._selection.columns)
        sql = (
            f"SELECT UNIX_MICROS(`{self.watermark_column}`) AS {WATERMARK}, {selected} "
            f"FROM {self._from}{where} ORDER BY 1, `{self._selection.id}`"
        )
        rows = self._client.query_and_wait(
            sql, job_config=config, location=self._location, page_size=page_size
        )
        if self._storage is not None:
            for batch in rows.to_arrow_iterable(bqstorage_client=self._storage):
                columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
                yield list(zip(*columns, strict=True))
            return
        for page in rows.pages:
            yield [tuple(row.values()) for row in page]

    def count_active(self) -> int:
        where, config = self._where(None, True)
        rows = self._client.query_and_wait(
            f"SELECT count(*) FROM {self._from}{where}", job_config=config
        )
        return next(iter(rows))[0]

    def close(self) -> None:
        self._client.close()

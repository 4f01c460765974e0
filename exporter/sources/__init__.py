"""Where the exporter reads the metrics table: a DuckDB warehouse (`duckdb_table`, what
`fivetran debug` writes) or BigQuery (`bigquery_table`, production). Both read page by page in
watermark order with timestamps as ISO 8601 UTC, and check the table's columns the same way
(`TableSource`)."""

from exporter import schema
from exporter.documents import WATERMARK


class SourceError(RuntimeError):
    """The source table is missing or not the metrics table: the whole run is wrong."""


class TableSource:
    """What a source knows once it has read its table's column types."""

    description: str

    def _select(self, types: dict[str, str]) -> None:
        """Check the table's columns and pick the watermark, the exported columns, and those
        whose SQL type already matches the index (copied as they are)."""
        self._types = types
        try:
            self._selection = schema.Selection(list(types))
        except ValueError as error:
            raise SourceError(f"{self.description}: {error}") from None
        self.watermark_column = self._selection.watermark
        self.columns = [WATERMARK, *self._selection.columns]
        self.exact = self._selection.exact(types)

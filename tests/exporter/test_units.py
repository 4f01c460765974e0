"""Unit tests of the exporter's pieces: names, documents, the watermark tracker, the state file."""

from __future__ import annotations

import json

import pytest

from exporter import schema
from exporter.bulk import chunks
from exporter.documents import WATERMARK, DocumentBuilder, InvalidRow, SqlLines, action_of
from exporter.state import StateFile, target_key
from exporter.watermark import WatermarkTracker


def test_fivetran_names_and_both_spellings_map_back():
    assert schema.fivetran_name("l2_velocity_mean") == "l_2_velocity_mean"
    assert schema.fivetran_name("blend_id") == "blend_id"
    mapping = schema.column_map(["blend_id", "l_2_velocity_mean", "L2_VELOCITY_STD", "other"])
    assert mapping == {
        "blend_id": "blend_id",
        "l_2_velocity_mean": "l2_velocity_mean",
        "L2_VELOCITY_STD": "l2_velocity_std",
    }
    with pytest.raises(ValueError, match="two column names"):
        schema.column_map(["blend_id", "l2_velocity_mean", "l_2_velocity_mean"])
    with pytest.raises(ValueError, match="no 'blend_id'"):
        schema.column_map(["fid"])
    assert schema.watermark_column(["computed_at", "_fivetran_synced"]) == "_fivetran_synced"
    assert schema.watermark_column(["computed_at"]) == "computed_at"


def test_mapping_is_strict_and_typed():
    mapping = schema.mapping()
    assert mapping["dynamic"] == "strict"
    assert mapping["properties"]["computed_at"] == {"type": "date"}
    assert mapping["properties"]["has_velocity_spike"] == {"type": "boolean"}
    assert schema.template_body("mb_blends_v*")["index_patterns"] == ["mb_blends_v*"]


COLUMNS = [
    WATERMARK,
    "blend_id",
    "fid",
    "transition_start_frame",
    "has_velocity_spike",
    "metrics_status",
    "_fivetran_deleted",
]


def test_documents_convert_values_and_choose_the_operation():
    builder = DocumentBuilder(COLUMNS)
    action = builder.action((5, "b1", float("nan"), 12.0, False, "ok", False))
    assert (action.op, action.id, action.version) == ("index", "b1", 5)
    assert action.source == {
        "blend_id": "b1",
        "fid": None,
        "transition_start_frame": 12,
        "has_velocity_spike": False,
    }
    assert builder.action((6, "b1", float("inf"), 1, True, "ok", None)).source["fid"] is None
    assert builder.action((7, "b1", 1.0, 1, True, "ok", True)).op == "delete"
    assert builder.action((7, "b1", 1.0, 1, True, "error", False)).op == "delete"
    assert action.bulk("ix")["version_type"] == "external"


@pytest.mark.parametrize(
    "row, message",
    [
        ((5, "b1", "1.5", 1, True, "ok", False), "fid = '1.5' is not a number"),
        ((5, "b1", True, 1, True, "ok", False), "not a number"),
        ((5, "b1", 1.0, 1.5, True, "ok", False), "not an integer"),
        ((5, "b1", 1.0, 1, 1, "ok", False), "not a boolean"),
        ((5, None, 1.0, 1, True, "ok", False), "blend_id is empty"),
        ((None, "b1", 1.0, 1, True, "ok", False), "not a timestamp"),
    ],
)
def test_a_value_that_does_not_fit_is_refused_with_its_reason(row, message):
    with pytest.raises(InvalidRow, match=message):
        DocumentBuilder(COLUMNS).action(row)


def test_watermark_waits_for_the_earliest_unfinished_batch():
    tracker = WatermarkTracker(100)
    for batch, last in enumerate([110, 120, 130, 140]):
        tracker.started(batch, last)
    assert tracker.finished(1, True) is False and tracker.safe_us == 100
    assert tracker.finished(0, True) is True and tracker.safe_us == 120
    assert tracker.finished(3, True) is False and tracker.safe_us == 120
    assert tracker.finished(2, False) is False and tracker.safe_us == 120
    assert tracker.blocked_at == 2


def test_state_file_is_per_target_atomic_and_holds_no_credentials(tmp_path):
    key = target_key("https://user:hunter22@es.example:9200", "mb_blends", "DuckDB x")
    assert "hunter22" not in key
    state = StateFile(tmp_path / "s" / "state.json", key)
    assert state.load() == {}
    state.save({"watermark_us": 1})
    StateFile(tmp_path / "s" / "state.json", "other").save({"watermark_us": 2})
    assert state.load() == {"watermark_us": 1}
    assert len(json.loads((tmp_path / "s" / "state.json").read_text())) == 2
    assert [p.name for p in (tmp_path / "s").iterdir()] == ["state.json"]  # no temporaries


def test_exact_columns_are_copied_and_the_others_checked():
    builder = DocumentBuilder(COLUMNS, frozenset({"fid", "has_velocity_spike"}))
    action = builder.action((5, "b1", 0.5, 12.0, True, "ok", False))
    assert action.source == {"fid": 0.5, "has_velocity_spike": True, "blend_id": "b1",
                             "transition_start_frame": 12}  # fmt: skip
    with pytest.raises(InvalidRow, match="transition_start_frame"):
        builder.action((5, "b1", 0.5, "12", True, "ok", False))
    assert schema.Selection(["blend_id", "fid", "computed_at"]).exact(
        {"blend_id": "VARCHAR", "fid": "VARCHAR", "computed_at": "TIMESTAMP WITH TIME ZONE"}
    ) == {"blend_id", "computed_at"}


def test_sql_lines_are_the_lines_python_writes(warehouse):
    """DuckDB's `_bulk` lines and DocumentBuilder + Action.lines agree for every kind of row."""
    from datetime import timedelta

    import orjson

    from exporter.sources.duckdb_table import DuckDBSource
    from tests.exporter.warehouse import BASE_TIME

    rows = warehouse.add(0, 8, BASE_TIME, spacing=timedelta(seconds=1))
    warehouse.upsert(
        [
            dict(rows[1], fid=float("nan"), coverage=float("-inf"), l2_velocity_max=None),
            dict(rows[2], metrics_status="error"),  # no longer ok: a delete
            dict(rows[3], method='quo"te\\ \u00e9\n', quality_score=1e-7),
        ]
    )
    warehouse.soft_delete([rows[4]["blend_id"]], BASE_TIME + timedelta(minutes=1))
    source = DuckDBSource(warehouse.path, "tester", "blend_quality_metrics")
    try:
        assert source.writes_documents
        builder = DocumentBuilder(source.columns, source.exact)
        actions = [builder.action(row) for page in source.read() for row in page]
        written = [row for page in source.read_bulk_lines("ix_v1") for row in page]
    finally:
        source.close()
    # The same rows in the same order.
    assert [(a.version, a.id) for a in actions] == [(w, i) for w, i, _ in written]
    for action, (_, _, sql) in zip(actions, written, strict=True):
        python, sql = action.lines("ix_v1"), sql.encode()
        assert sql.endswith(b"\n") and sql.count(b"\n") == python.count(b"\n")
        assert [orjson.loads(x) for x in sql.splitlines()] == [
            orjson.loads(x) for x in python.splitlines()
        ]
        assert action_of(sql) == action_of(python)
    ops = [next(iter(orjson.loads(lines.splitlines()[0]))) for _, _, lines in written]
    assert ops.count("delete") == 2 and ops[-1] == "delete"  # the soft delete, synced last
    fields = orjson.loads(written[1][2].splitlines()[1])
    assert (fields["fid"], fields["coverage"], fields["l2_velocity_max"]) == (None, None, None)


def test_an_actions_lines_read_back_as_the_action():
    builder = DocumentBuilder(COLUMNS)
    index = builder.action((5, "b1", 0.5, 12, False, "ok", False))
    delete = builder.action((6, "b2", 0.5, 12, False, "ok", True))
    for action in (index, delete):
        assert action_of(action.lines("ix_v1")) == action.bulk("ix_v1")
    assert index.lines("ix_v1").count(b"\n") == 2 and delete.lines("ix_v1").count(b"\n") == 1


def test_sql_lines_check_the_id_the_version_and_the_order():
    check = SqlLines()
    assert check((5, "b1", '{"delete":{}}\n')) == b'{"delete":{}}\n'
    with pytest.raises(InvalidRow, match="blend_id is empty"):
        check((6, "", "x"))
    with pytest.raises(RuntimeError, match="out of watermark order"):
        check((4, "b2", "x"))
    with pytest.raises(InvalidRow, match="not a timestamp"):
        SqlLines()((-1, "b3", "x"))


def test_a_batch_over_max_chunk_bytes_is_split_in_order():
    bodies = [b"a" * 40, b"b" * 40, b"c" * 40, b"d" * 200, b"e" * 10]
    assert chunks(bodies, 10_000) == [(0, 5)]
    assert chunks(bodies, 100) == [(0, 2), (2, 3), (3, 4), (4, 5)]  # an oversized one alone

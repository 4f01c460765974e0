"""workspace.ui_events: UI logs read from the saved offset, one event per complete line."""

import dataclasses
import json

from tests.motionblend.files import index_of, scanned, write
from workspace.state import sequence_id
from workspace.ui_events import (
    MAX_LINE_BYTES,
    complete_lines,
    download_path,
    event_time,
    head_digest,
    interaction_row,
    parse_event,
    start_offset,
)


def test_offsets_restart_on_shrink_or_a_new_first_line(tmp_path):
    log = scanned(write(tmp_path / "e.jsonl", "one\ntwo\n"), "e.jsonl", "ui")
    head = head_digest(log)
    assert start_offset(log, None) == (0, None)
    assert start_offset(dataclasses.replace(log, size=0), None) == (None, None)
    assert start_offset(log, [8, head]) == (None, None)
    assert start_offset(log, [4, head]) == (4, None)
    assert start_offset(log, [20, head])[0] == 0
    rotated = scanned(write(tmp_path / "e.jsonl", "new\ntwo\nthree\n"), "e.jsonl", "ui")
    offset, why = start_offset(rotated, [8, head])
    assert offset == 0 and "first line changed" in why


def test_only_complete_lines_are_consumed(tmp_path):
    path = write(tmp_path / "e.jsonl", '{"a": 1}\n\n{"b": 2}\n{"c": ')
    assert list(complete_lines(scanned(path, "e.jsonl", "ui"), 0)) == [
        (b'{"a": 1}\n', 9),
        (b"\n", 10),
        (b'{"b": 2}\n', 19),
    ]
    assert list(complete_lines(scanned(path, "e.jsonl", "ui"), 19)) == []


def test_an_overlong_line_is_skipped_whole(tmp_path):
    path = write(tmp_path / "e.jsonl", b"x" * (MAX_LINE_BYTES + 10) + b"\n{}\n")
    lines = list(complete_lines(scanned(path, "e.jsonl", "ui"), 0))
    assert lines[0] == (None, MAX_LINE_BYTES + 11)
    assert lines[1] == (b"{}\n", MAX_LINE_BYTES + 14)


def test_malformed_lines_and_timestamps():
    assert parse_event(b'{"a": 1}\n') == {"a": 1}
    assert parse_event(b'{"a": \n') is None and parse_event(b"[1]\n") is None
    assert parse_event(b"\xff\n") is None
    assert event_time("2024-03-14T09:30:00Z") == "2024-03-14T09:30:00.000Z"
    assert event_time("2024-03-14T10:30:00.25+01:00") == "2024-03-14T09:30:00.250Z"
    assert event_time(1710408600) == "2024-03-14T09:30:00.000Z"
    assert event_time(1710408600250) == "2024-03-14T09:30:00.250Z"
    assert event_time("yesterday") is None and event_time(True) is None


def test_interaction_rows_resolve_sequences_and_derive_missing_ids(tmp_path):
    index = index_of(tmp_path, "project/seed_motions/jog.trc")
    event = {"sequence_name": "jog", "resulted_in_blend": "true", "viewport_size": [800, 600]}
    line = json.dumps(event).encode()
    row = interaction_row(event, line, "build/ui_analytics/a.jsonl", index.resolve)
    assert row["sequence_id"] == sequence_id("project/seed_motions/jog.trc")
    assert row["interaction_id"].startswith("derived-")
    assert (
        row["interaction_id"] == interaction_row(event, line, "x", index.resolve)["interaction_id"]
    )
    assert (row["resulted_in_blend"], row["viewport_size"]) == (True, "800x600")


def test_download_paths_are_workspace_relative():
    event = {"interaction_type": "download", "parameters": {"file_path": "/ws/build/a.png"}}
    assert download_path(event, "/ws") == "build/a.png"
    assert download_path({**event, "parameters": {"path": "./build\\b.png"}}, "/ws") == (
        "build/b.png"
    )
    assert download_path({"interaction_type": "view"}, "/ws") is None

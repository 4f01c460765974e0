"""`make demo`'s last step: export into a local osmem-server, then the six searches as tables."""

from tests.exporter.warehouse import BASE_TIME, Warehouse
from tools import demo


def test_demo_exports_and_prints_the_searches(tmp_path, monkeypatch, capsys):
    warehouse = Warehouse(tmp_path / "warehouse.db")
    warehouse.add(0, 40, BASE_TIME)
    monkeypatch.setattr(demo, "METRICS_WAREHOUSE", warehouse.path)
    monkeypatch.setattr(demo, "DEMO_DIR", tmp_path / "demo")
    assert demo.demo_search_pipeline() is True
    out = capsys.readouterr().out
    assert "not a production cluster" in out and "read 40, indexed 40" in out
    assert "verify: ok" in out
    for command in ("excellent", "smooth", "diverse", "by-motion", "quality-distribution"):
        assert f"  {command}:" in out
    assert "quality_categories" in out and "issue_types" in out


def test_demo_skips_without_the_metrics_table(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(demo, "METRICS_WAREHOUSE", tmp_path / "missing.db")
    assert demo.demo_search_pipeline() is True
    assert "search pipeline: skipped" in capsys.readouterr().out

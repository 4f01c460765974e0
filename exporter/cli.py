"""Command line: export the metrics table to Elasticsearch or OpenSearch (see README.md)."""

import argparse
import logging
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson

from exporter import index as indices
from exporter import pipeline
from exporter.bulk import BulkOptions, BulkWriter, Counts, DeadLetters
from exporter.clients import ClusterError, Credentials, connect
from exporter.documents import DocumentBuilder, SqlLines, action_of, is_delete
from exporter.ndjson import write_bulk_file
from exporter.sources import SourceError
from exporter.sources.duckdb_table import DuckDBSource
from exporter.state import DEFAULT_DIRECTORY, StateFile, target_key
from exporter.verify import verify
from exporter.watermark import WatermarkTracker
from shared.http import RetryPolicy
from shared.masking import log, mask, mask_exception, mask_url, register_secret

EXIT_OK, EXIT_FAILED, EXIT_DEAD_LETTERS, EXIT_VERIFY = 0, 1, 2, 3
REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCE_PAGE_SIZE = 5000


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m exporter",
        description="Export blend_quality_metrics from the warehouse to Elasticsearch/OpenSearch.",
    )
    p.add_argument("--source", choices=("duckdb", "bigquery"), default="duckdb")
    p.add_argument("--table", default="blend_quality_metrics")
    p.add_argument("--duckdb-path", default=str(REPO_ROOT / "motionblend/files/warehouse.db"))
    p.add_argument("--duckdb-schema", default="tester")
    p.add_argument("--bq-project")
    p.add_argument("--bq-dataset")
    p.add_argument("--bq-table", help="defaults to --table")
    p.add_argument("--bq-credentials", help="service account JSON (default: ADC)")
    p.add_argument("--bq-location")
    p.add_argument("--bq-endpoint", help=argparse.SUPPRESS)  # an emulator's URL, for tests
    p.add_argument("--es-url", default=os.environ.get("ELASTICSEARCH_URL"))
    p.add_argument("--es-api-key", default=os.environ.get("ELASTICSEARCH_API_KEY"))
    p.add_argument("--ca-certs")
    p.add_argument("--engine", choices=("auto", "elasticsearch", "opensearch"), default="auto")
    p.add_argument("--es-index", default="mb_blends_v1")
    p.add_argument("--es-alias", default="mb_blends")
    p.add_argument("--mode", choices=("incremental", "full"), default="incremental")
    p.add_argument("--overlap-minutes", type=float, default=15.0)
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--max-retries", type=int, default=5)
    p.add_argument("--backoff", type=float, default=1.0, help="first retry wait (s), doubling")
    p.add_argument("--state-file", default=str(DEFAULT_DIRECTORY / "state.json"))
    p.add_argument("--dead-letter", default=str(DEFAULT_DIRECTORY / "dead-letters.ndjson"))
    p.add_argument("--output", help="write the _bulk body to this NDJSON file, no cluster")
    p.add_argument("--dry-run", action="store_true", help="read and validate, send nothing")
    p.add_argument("--verify", action="store_true")
    p.add_argument("--prune", action="store_true", help="delete versions the alias left")
    p.add_argument("--no-progress", action="store_true")
    return p


def open_source(args):
    if args.source == "duckdb":
        return DuckDBSource(args.duckdb_path, args.duckdb_schema, args.table)
    from exporter.sources.bigquery_table import BigQuerySource

    return BigQuerySource(
        project=args.bq_project,
        dataset=args.bq_dataset,
        table=args.bq_table or args.table,
        credentials_file=args.bq_credentials,
        location=args.bq_location,
        endpoint=args.bq_endpoint,
    )


def iso(watermark_us: int | None) -> str | None:
    if watermark_us is None:
        return None
    return datetime.fromtimestamp(watermark_us / 1e6, UTC).isoformat().replace("+00:00", "Z")


def summary(counts: Counts, seconds: float) -> str:
    rate = (counts.indexed + counts.deleted + counts.skipped) / seconds if seconds > 0 else 0.0
    return (
        f"read {counts.read}, indexed {counts.indexed}, skipped {counts.skipped}, "
        f"deleted {counts.deleted}, dead-lettered {counts.dead_lettered}, failed {counts.failed} "
        f"in {seconds:.1f} s ({rate:,.0f} docs/s)"
    )


def exit_code(counts: Counts, dead: DeadLetters) -> int:
    if counts.dead_lettered:
        print(f"{counts.dead_lettered} documents refused; reasons in {dead.path}", file=sys.stderr)
        return EXIT_DEAD_LETTERS
    if counts.failed:
        print(
            f"{counts.failed} documents still throttled after every retry; run again later",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    for noisy in ("elastic_transport", "opensearch", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    register_secret(args.es_api_key)
    credentials = Credentials(
        api_key=args.es_api_key,
        username=os.environ.get("ELASTICSEARCH_USERNAME"),
        password=os.environ.get("ELASTICSEARCH_PASSWORD"),
        ca_certs=args.ca_certs,
    )
    try:
        names = indices.IndexNames(args.es_index, args.es_alias)
        source = open_source(args)
        builder = DocumentBuilder(source.columns, source.exact)
    except (SourceError, ValueError) as error:
        print(f"error: {mask(error)}", file=sys.stderr)
        return EXIT_FAILED
    dead = DeadLetters(args.dead_letter)
    started = time.monotonic()
    try:
        return _run(args, names, source, builder, credentials, dead, started)
    except ClusterError as error:
        print(f"error: {mask(error)}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as error:  # the clients' own errors: masked, named, never a raw traceback
        print(f"error: {type(error).__name__}: {mask_exception(error)}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        dead.close()
        source.close()


def _batches(args, source, builder, dead, index, since_us, active_only):
    """The source's rows as batches of actions into `index`, their `_bulk` lines written by
    the source's SQL when it can, else built and checked here."""
    if getattr(source, "writes_documents", False):
        # Pages of one batch: a worker waits for DuckDB to write one batch, not ten (measured
        # at 1,000,000 rows, 1 worker: 12.6-13.8 s against 15.1-15.3 s with pages of 5,000).
        pages = source.read_bulk_lines(
            index, since_us, active_only=active_only, page_size=args.batch_size
        )
        encode = SqlLines()
    else:
        pages = source.read(since_us, active_only=active_only, page_size=SOURCE_PAGE_SIZE)

        def encode(row):
            return builder.action(row).lines(index)

    return pipeline.batches(pages, encode, args.batch_size, dead)


def _run(args, names, source, builder, credentials, dead, started) -> int:
    if args.output:
        counts = write_bulk_file(
            args.output, _batches(args, source, builder, dead, names.first, None, True)
        )
        print(f"wrote {args.output}: {summary(counts, time.monotonic() - started)}")
        print(
            "replay: curl -H 'Content-Type: application/x-ndjson' "
            f"--data-binary @{args.output} $ELASTICSEARCH_URL/_bulk"
        )
        return exit_code(counts, dead)
    if not args.es_url and not args.dry_run:
        print("error: no cluster: pass --es-url or set ELASTICSEARCH_URL (or --output FILE)")
        return EXIT_FAILED
    state = StateFile(
        args.state_file, target_key(args.es_url or "", names.alias, source.description)
    )
    saved = state.load()
    saved_us = saved.get("watermark_us") if args.mode == "incremental" else None
    if args.dry_run:
        return _dry_run(args, source, builder, dead, saved_us, started)

    cluster = connect(args.es_url, credentials, args.engine, args.workers)
    retry = RetryPolicy(max_retries=args.max_retries, backoff_base=args.backoff)
    options = BulkOptions(batch_size=args.batch_size, retry=retry)
    progress = pipeline.Progress(None, enabled=not args.no_progress)
    where = f"{cluster.where} ({cluster.engine})"
    if args.mode == "full":
        target = indices.create_next_version(cluster, names)
        log.info(f"full rebuild of {names.alias} into {target} on {where}")
        tracker = WatermarkTracker(None)
        counts = pipeline.run(
            _batches(args, source, builder, dead, target, None, True),
            BulkWriter(cluster, options, dead).send,
            workers=args.workers,
            tracker=tracker,
            on_advance=lambda _: None,
            progress=progress,
        )
        progress.close()
        complete = tracker.blocked_at is None and not counts.dead_lettered and not counts.failed
        if complete:
            left = indices.finish_load_and_swap(cluster, names, target)
            state.save(_entry(target, tracker.safe_us))
            log.info(f"alias {names.alias} now points to {target}; kept {left or 'nothing'}")
        else:
            log.warning(f"{target} is incomplete: alias {names.alias} left where it was")
    else:
        target = indices.ensure_alias(cluster, names)
        if saved and saved.get("index") != target:
            log.warning(f"{names.alias} points to {target}, not {saved.get('index')}: from start")
            saved_us = None
        since = None if saved_us is None else saved_us - int(args.overlap_minutes * 60e6)
        log.info(f"incremental export to {names.alias} ({target}) on {where} from {iso(since)}")
        tracker = WatermarkTracker(saved_us)
        counts = pipeline.run(
            _batches(args, source, builder, dead, target, since, False),
            BulkWriter(cluster, options, dead).send,
            workers=args.workers,
            tracker=tracker,
            on_advance=lambda us: state.save(_entry(target, us)),
            progress=progress,
        )
        progress.close()
    seconds = time.monotonic() - started
    print(
        f"exported {source.description} -> {mask_url(args.es_url)} {names.alias} ({target}): "
        f"{summary(counts, seconds)}; watermark {iso(tracker.safe_us)}"
    )
    code = exit_code(counts, dead)
    if args.prune:
        removed = indices.prune(cluster, names)
        print(f"pruned: {', '.join(removed) or 'nothing'}")
    if args.verify:
        problems = verify(cluster, names.alias, source, builder)
        for problem in problems:
            print(f"verify: {problem}", file=sys.stderr)
        print(f"verify: {'ok' if not problems else f'{len(problems)} problems'}")
        if problems and code == EXIT_OK:
            code = EXIT_VERIFY
    return code


def _entry(index: str, watermark_us: int | None) -> dict:
    return {
        "index": index,
        "watermark_us": watermark_us,
        "watermark": iso(watermark_us),
        "updated_at": iso(int(time.time() * 1e6)),
    }


def _dry_run(args, source, builder, dead, saved_us, started) -> int:
    since = None if saved_us is None else saved_us - int(args.overlap_minutes * 60e6)
    counts = Counts()
    shown = 0
    batches = _batches(args, source, builder, dead, args.es_alias, since, args.mode == "full")
    for batch in batches:
        counts.read += len(batch.lines) + batch.invalid
        counts.dead_lettered += batch.invalid
        for lines in batch.lines:
            if is_delete(lines):
                counts.deleted += 1
            else:
                counts.indexed += 1
            if shown < 3:
                shown += 1
                print(orjson.dumps(action_of(lines)).decode())
    print(
        f"dry run from {iso(since)}, nothing sent: {summary(counts, time.monotonic() - started)}"
    )
    return exit_code(counts, dead)

"""Run the benchmarks in order, print a table per benchmark, write bench-results.json."""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
import tempfile
import time
import traceback
from pathlib import Path

from tests.benchmarks import BENCHMARKS
from tests.benchmarks.common import machine, render_report
from tools.sdk_env import REPO_ROOT

RESULTS = REPO_ROOT / "bench-results.json"


def _json_safe(value):
    """NaN and infinity are not JSON: write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def write_results(path: Path, results: dict, quick: bool) -> None:
    """Merge into the existing file, so `--only x` keeps the other benchmarks' figures."""
    try:
        document = json.loads(path.read_text())
        if not isinstance(document.get("benchmarks"), dict):
            raise ValueError
    except (OSError, ValueError, AttributeError):
        document = {"benchmarks": {}}
    document["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    for name, result in results.items():
        document["benchmarks"][name] = {**result, "quick": quick}
    path.write_text(json.dumps(_json_safe(document), indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        choices=BENCHMARKS,
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a target is missed, not only on errors"
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"default {RESULTS.name}")
    args = parser.parse_args(argv)
    selected = [name for name in BENCHMARKS if not args.only or name in args.only]

    results, errors, misses = {}, [], []
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        for name in selected:
            module = importlib.import_module(f"tests.benchmarks.{name}")
            workdir = Path(scratch) / name
            home = Path(scratch) / "sdk-home"
            workdir.mkdir()
            home.mkdir(exist_ok=True)
            print(f"running {name}{' (quick)' if args.quick else ''} ...", file=sys.stderr)
            before, started = machine(), time.perf_counter()
            try:
                report = module.run(workdir, home, quick=args.quick)
            except Exception as error:
                traceback.print_exc()
                errors.append(name)
                results[name] = {"error": f"{type(error).__name__}: {error}"}
                print(f"\n== {name}: ERROR {error}\n", flush=True)
                continue
            seconds = time.perf_counter() - started
            result = report.to_json()
            result["machine"] = {"before": before, "after": machine()}
            result["seconds"] = seconds
            results[name] = result
            misses += [f"{name}: {f.label}" for f in report.misses]
            print()
            print(render_report(report))
            print(
                f"({seconds:.0f} s; load average before/after: "
                f"{before['load_average'][0]} / {result['machine']['after']['load_average'][0]}"
                f" on {before['cpus']} CPUs)",
                flush=True,
            )

    write_results(args.output, results, args.quick)
    print(f"\nfigures written to {args.output}")
    if misses:
        print("targets missed:\n  " + "\n  ".join(misses))
    if errors:
        print(f"benchmarks that failed to run: {', '.join(errors)}")
        return 1
    return 1 if misses and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())

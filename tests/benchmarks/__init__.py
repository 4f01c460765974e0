"""Benchmarks: `make bench`, i.e. `python -m tests.benchmarks [--quick] [--only NAME]`.

Not collected by pytest (tests/test_benchmarks_smoke.py checks that they run, at tiny sizes).
Each benchmark prints a table with its figures, targets and PASS/MISS; all figures go to
`bench-results.json` at the repository root. The machine is shared and noisy, so benchmarks
compare runs made side by side in the same session (ratios) rather than absolute timings.

Adding a benchmark: write `tests/benchmarks/<name>.py` with
    NAME = "<name>"
    TITLE = "<one line>"
    def run(workdir: Path, home: Path, quick: bool = False) -> common.Report
(`workdir`: a scratch folder removed afterwards; `home`: the throwaway HOME that `fivetran`
runs with; see common.py for `debug_run`, `checked` and `figure`), then add "<name>" to
BENCHMARKS below. They run in this order.
"""

BENCHMARKS = [
    "writer_ceiling",  # the SDK writer's ceiling; the others are compared with it
    "mso",
    "motionblend",
    "motionblend_gcs",  # the same connector on a gs:// workspace (fake-gcs-server)
    "sensource",
    "tmdb_movies",
    "blend_quality",
    "exporter",
]

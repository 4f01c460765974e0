"""Run a command, wait for it, and write its exact resource usage as JSON.

    python tests/benchmarks/rusage_wrapper.py OUT.json -- fivetran debug ...

The child inherits stdin, stdout and stderr, and this wrapper exits with the child's exit code.
`resource.getrusage(RUSAGE_CHILDREN)` then holds the usage of the child and of every descendant it
waited for; `ru_maxrss` is the largest peak resident set among them (on Linux, in KiB): the exact
peak of the `fivetran debug` process, not a sample. Standard library only, run by path, so it
works from any working directory and any Python.
"""

import json
import resource
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: rusage_wrapper.py OUT.json -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    out, command = argv[0], argv[2:]
    started = time.perf_counter()
    returncode = subprocess.call(command)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "w") as f:
        json.dump(
            {
                "returncode": returncode,
                "wall_seconds": wall,
                "user_seconds": usage.ru_utime,
                "system_seconds": usage.ru_stime,
                "maxrss_kib": usage.ru_maxrss,
            },
            f,
        )
    return returncode if returncode >= 0 else 128 - returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

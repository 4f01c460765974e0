"""Blend quality metrics of the motionblend connector (numpy only, no Fivetran code).

`positions` turns a motion file's bytes (NPY, TRC, BVH through forward kinematics, glTF through
its node hierarchy) into joint positions (T, J, 3); `metrics` computes every metric of a blend
from the positions of its two sources and its output; `config` holds the constants, all
configurable, and the metrics version.
"""

import ctypes
import os

# The metrics multiply small matrices (a few hundred frames by at most a few hundred features),
# where BLAS threads cost more than they save, and on a busy machine they spin: measured on 2
# shared cores at load 5, 9 blends/s threaded vs 56 single-threaded (tests/benchmarks). This
# takes effect when numpy is first imported after it (as in the connector); an explicit
# OPENBLAS_NUM_THREADS in the environment wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# glibc serves blocks over 128 kB (a 300 x 24 x 3 array is 173 kB) with mmap and gives them back
# on free, and trims the heap top beyond 256 kB: each blend's arrays are then fresh pages, whose
# faults cost more than the arithmetic (measured: 5.7 vs 7.5 ms per 300 x 24 blend). Up to 4 MB
# from the heap and 8 MB kept free at its top: at most 8 MB more resident. Where glibc is absent
# (macOS) or MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ are set, nothing changes.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
if not {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"} & os.environ.keys():
    try:
        _libc = ctypes.CDLL("libc.so.6")
        _libc.mallopt(_M_MMAP_THRESHOLD, 4 << 20)
        _libc.mallopt(_M_TRIM_THRESHOLD, 8 << 20)
    except (OSError, AttributeError):
        pass

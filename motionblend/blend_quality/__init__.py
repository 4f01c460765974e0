"""Blend quality metrics of the motionblend connector (numpy only, no Fivetran code).

`positions` turns a motion file's bytes (NPY, TRC, BVH through forward kinematics, glTF through
its node hierarchy) into joint positions (T, J, 3); `metrics` computes every metric of a blend
from the positions of its two sources and its output; `config` holds the constants, all
configurable, and the metrics version.
"""

import os

# The metrics multiply small matrices (a few hundred frames by at most a few hundred features),
# where BLAS threads cost more than they save, and on a busy machine they spin: measured on 2
# shared cores at load 5, 9 blends/s threaded vs 56 single-threaded (tests/benchmarks). This
# takes effect when numpy is first imported after it (as in the connector); an explicit
# OPENBLAS_NUM_THREADS in the environment wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

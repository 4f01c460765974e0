"""Blend quality metrics of the motionblend connector (numpy only, no Fivetran code).

`positions` turns a motion file's bytes (NPY, TRC, BVH through forward kinematics, glTF through
its node hierarchy) into joint positions (T, J, 3); `metrics` computes every metric of a blend
from the positions of its two sources and its output; `config` holds the constants, all
configurable, and the metrics version.
"""

"""The MotionBlend workspace as motionblend's connector.py sees it.

`storage` lists and reads the files (the one seam between the connector and where the workspace
lives), `scan` gathers one listing per sync, `state` keeps ids and fingerprints, `motions`,
`blends`, `artifacts` and `ui_events` turn files into rows, and `tables` declares the tables and
types every row against them; `mocap/` reads motion-file headers.
Nothing is imported here, so `workspace.mocap` can be used without the rest.
"""

"""The workspace's root folders, their labels, and which tables each one feeds.

A label names a root in rows (`metadata.location`) and in code; ROOTS is also the scan order and
the priority when a name matches motion files in several roots.
"""

PROJECT_SEED, SEED, BUILD, BLEND, ARTIFACTS, UI = (
    "project_seed",
    "seed",
    "build",
    "blend",
    "artifacts",
    "ui",
)
# (workspace-relative folder, label), in scan order.
ROOTS = (
    ("project/seed_motions", PROJECT_SEED),
    ("seed_motions", SEED),
    ("build/build_motions", BUILD),
    ("build/blend_snn", BLEND),
    ("build/demo_artifacts", ARTIFACTS),
    ("build/ui_analytics", UI),
)
ROOT_ORDER = {label: position for position, (_, label) in enumerate(ROOTS)}
FOLDER_OF = {label: folder for folder, label in ROOTS}
MOTION_ROOTS = (PROJECT_SEED, SEED, BUILD, BLEND)  # motion files here get a motion_sequences row
ARTIFACT_ROOTS = (BLEND, ARTIFACTS)  # every file here gets a processing_artifacts row
UI_LOG_SUFFIX = ".jsonl"  # files of the UI root with it are event logs

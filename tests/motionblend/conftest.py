"""Shared set-up of the motionblend tests.

At runtime the connector folder `motionblend/` is on sys.path (code imports `workspace.scan`,
not `motionblend.workspace.scan`); pyproject's pytest `pythonpath` puts it there for the tests
too. The real third-party motion files live outside the project in `../shared/mocap_samples`
(see its README.md); tests that use them skip cleanly when that folder is absent, e.g. in a
clone outside this workplace.
"""

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CONNECTOR_DIR = REPO_ROOT / "motionblend"
MOCAP_SAMPLES = REPO_ROOT.parent / "shared" / "mocap_samples"


def require_samples(subdir: str = "") -> Path:
    """The samples folder (or one of its subfolders); skips the calling test when absent."""
    folder = MOCAP_SAMPLES / subdir if subdir else MOCAP_SAMPLES
    if not folder.is_dir():
        pytest.skip(f"real mocap samples not available: {folder} is absent")
    return folder


def sample_params(subdir: str, *suffixes: str) -> list:
    """pytest parameters, one per sample file of `subdir` with one of `suffixes` (lower-case).

    When the folder is absent (or holds no such file) the list is a single skipped parameter,
    so a parametrized test reports one clean skip instead of failing at collection.
    """
    folder = MOCAP_SAMPLES / subdir
    files = (
        sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
        if folder.is_dir()
        else []
    )
    if not files:
        reason = f"real mocap samples not available: no {'/'.join(suffixes)} files in {folder}"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="no-samples")]
    return [pytest.param(p, id=p.name) for p in files]


@pytest.fixture
def mocap_samples() -> Path:
    """The real sample folder `../shared/mocap_samples`; skips the test when it is absent."""
    return require_samples()

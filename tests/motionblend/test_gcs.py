"""workspace.gcs: gs:// paths, service-account keys, and which listed names become files."""

import json
import subprocess
import sys
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from shared.masking import mask
from tests.motionblend.conftest import CONNECTOR_DIR
from tests.motionblend.fake_gcs import service_account_key
from workspace.gcs import GcsStorage, parse_gcs_path
from workspace.roots import ROOTS
from workspace.storage import Listing, WorkspaceError

FOLDERS = [(folder + "/", label) for folder, label in ROOTS]


def test_gs_paths_give_bucket_and_prefix():
    assert parse_gcs_path("gs://studio-motion/teams/ws/") == ("studio-motion", "teams/ws/")
    assert parse_gcs_path("gs://studio-motion") == ("studio-motion", "")
    for bad in ("gs://UPPER/ws", "gs:///ws", "gs://b/a//c", "gs://bb/../ws"):
        with pytest.raises(WorkspaceError, match="workspace_path"):
            parse_gcs_path(bad)


def storage(key=None) -> GcsStorage:
    return GcsStorage("gs://studio-motion/ws", key, "http://127.0.0.1:9")  # never called here


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("not json at all, but secret-ish 8f3kQ", "gcs_service_account_json is not JSON"),
        (json.dumps({"type": "authorized_user", "private_key": "k" * 20}), "missing: client"),
        ("[1, 2]", "gcs_service_account_json is not JSON"),
    ],
)
def test_a_bad_key_names_the_field_and_never_shows_the_value(value, expected):
    with pytest.raises(WorkspaceError) as error:
        storage(value)
    assert expected in str(error.value) and value not in str(error.value)


def test_an_unreadable_private_key_is_refused_and_masked():
    key = service_account_key("http://127.0.0.1:9/token")
    key["private_key"] = key["private_key"].replace("MII", "XXX", 1)
    with pytest.raises(WorkspaceError, match="private key that cannot be read") as error:
        storage(json.dumps(key))
    assert key["private_key"] not in str(error.value)
    assert key["private_key"] not in mask(f"leaked: {key['private_key']}")


def blob(name, size=5, generation=7):
    moment = datetime(2024, 3, 14, 9, 30, 0, 250000, tzinfo=UTC)
    return SimpleNamespace(
        name=name, size=size, generation=generation, updated=moment, time_created=moment
    )


def test_listed_names_that_a_workspace_cannot_hold_are_skipped_with_a_warning():
    gcs, listing = storage(), Listing()
    names = [
        "ws/seed_motions/walk.bvh",
        "ws/seed_motions/",
        "ws/seed_motions/a//b.bvh",
        "ws/seed_motions/./c.bvh",
        "ws/seed_motions/../d.bvh",
        "ws/seed_motions/caf\udce9.bvh",  # not UTF-8 (GCS refuses such names; a guard)
        "ws/elsewhere/e.bvh",  # outside the roots: ignored silently
    ]
    for name in names:
        gcs._add(blob(name), FOLDERS, listing)
    assert [(f.rel, f.root, f.version) for f in listing.files] == [
        ("seed_motions/walk.bvh", "seed", 7)
    ]
    assert listing.files[0].modified_ns == 1710408600250000000
    assert listing.warnings == [
        "seed_motions/ is an object named like a folder: skipped",
        "seed_motions/a//b.bvh has an empty, '.' or '..' segment: skipped",
        "seed_motions/./c.bvh has an empty, '.' or '..' segment: skipped",
        "seed_motions/../d.bvh has an empty, '.' or '..' segment: skipped",
        "seed_motions/caf\\udce9.bvh: the name is not valid UTF-8: skipped",
    ]


def test_a_local_workspace_never_imports_the_gcs_client(tmp_path):
    code = (
        "import sys; sys.path[:0] = sys.argv[1:3]; from workspace.storage import open_storage; "
        "open_storage(sys.argv[3]); print(any(m.startswith('google') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(CONNECTOR_DIR), str(CONNECTOR_DIR.parent), str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.strip() == "False"

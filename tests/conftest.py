"""Fixtures shared by every test folder."""

import pytest

from tests.harness import ConnectorWorkspace


@pytest.fixture(scope="session")
def sdk_home(tmp_path_factory):
    """A throwaway HOME for the SDK: its version checks stamped, nothing of the user's touched."""
    return tmp_path_factory.mktemp("sdk-home")


@pytest.fixture
def connector_workspace(tmp_path, sdk_home):
    """Factory: `connector_workspace("mso")` gives a private copy of that connector folder."""
    made = 0

    def make(connector: str, env: dict | None = None) -> ConnectorWorkspace:
        nonlocal made
        made += 1
        return ConnectorWorkspace(connector, tmp_path / f"run{made}", sdk_home, env)

    return make

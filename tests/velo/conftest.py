"""The fake Velo wired to the real pipeline (its base URL and key in the environment)."""

from __future__ import annotations

import pytest

from fake_apis.server import FakeApiServer
from fake_apis.velo import install


@pytest.fixture
def velo_api(fake_api: FakeApiServer, monkeypatch: pytest.MonkeyPatch) -> FakeApiServer:
    for key, value in install(fake_api).items():
        monkeypatch.setenv(key, value)
    return fake_api

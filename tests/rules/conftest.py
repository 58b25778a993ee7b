from __future__ import annotations

import pytest

from tests.conftest import reading_off


@pytest.fixture(autouse=True)
def _rules_alone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    reading_off(request, monkeypatch)

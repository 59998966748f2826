"""The operator app's script bundle: served from the app's own origin, and required at start-up.

A server started without the bundle (``make bootstrap`` not run) would render forms that can
never be signed, so creating the app fails with a message saying how to build it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend.web.operator import bundle


def test_the_bundle_is_served_as_javascript_and_revalidated(app_client: TestClient) -> None:
    response = app_client.get("/app/static/build/app.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-cache"
    assert "SenTrace" in response.text


def test_only_the_builds_own_files_are_served(app_client: TestClient) -> None:
    assert app_client.get("/app/static/build/other.js").status_code == 404
    assert app_client.get("/app/static/build/..%2F..%2Fapp.css").status_code == 404


def test_a_missing_bundle_stops_the_app_from_starting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(bundle, "BUNDLE", tmp_path / "app.js")
    with pytest.raises(bundle.BundleMissing, match="make bootstrap"):
        bundle.require_bundle()

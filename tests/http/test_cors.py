"""CORS for a CRM that calls the API from its own pages on another origin."""

from __future__ import annotations

from pathlib import Path

from http_service_kit import API, AUTH, make_settings
from starlette.testclient import TestClient

from crm_whatsapp.app import create_app


def _client(tmp_path: Path, **changes: object) -> TestClient:
    settings = make_settings(f"sqlite:///{tmp_path / 'cors.db'}", "http://127.0.0.1:9", **changes)
    return TestClient(create_app(settings))


def test_an_allowed_origin_may_call_the_api_with_its_token(tmp_path: Path) -> None:
    with _client(tmp_path, cors_origins="https://crm.example.com") as client:
        preflight = client.options(
            API,
            headers={
                "Origin": "https://crm.example.com",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://crm.example.com"
        answer = client.get(API, headers={**AUTH, "Origin": "https://crm.example.com"})
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == "https://crm.example.com"


def test_other_origins_get_no_cors_headers(tmp_path: Path) -> None:
    with _client(tmp_path, cors_origins="https://crm.example.com") as client:
        preflight = client.options(
            API,
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
        assert preflight.status_code == 400
        answer = client.get(API, headers={**AUTH, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in answer.headers


def test_without_origins_configured_there_is_no_cors_at_all(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        answer = client.get(API, headers={**AUTH, "Origin": "https://crm.example.com"})
        assert "access-control-allow-origin" not in answer.headers

"""tests/contract/waha_spec.py, the OpenAPI oracle used to check WAHA calls."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from tests.contract import waha_spec

BASE = "http://waha:3000"


def test_the_spec_is_the_waha_2026_9_2_file() -> None:
    raw = waha_spec.SPEC_FILE.read_bytes()
    assert len(raw) == 339_936
    assert hashlib.sha256(raw).hexdigest() == (
        "19c54491fad1840c260cb6ce1c87a0a45f47289a25a787bd7de30927ebdb2acf"
    )
    assert waha_spec.load_spec()["info"]["version"] == "2026.9.2"


@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("GET", "/api/default/lids/count", "/api/{session}/lids/count"),
        ("GET", "/api/default/lids/123@lid", "/api/{session}/lids/{lid}"),
        ("GET", "/api/default/lids/pn/5511999998888", "/api/{session}/lids/pn/{phoneNumber}"),
        ("POST", "/api/sessions/default/start", "/api/sessions/{session}/start"),
        ("GET", "/api/sessions/default", "/api/sessions/{session}"),
        ("POST", "/api/sendText", "/api/sendText"),
    ],
)
def test_paths_match_their_templates(method: str, path: str, template: str) -> None:
    found = waha_spec.find_operation(method, path)
    assert found is not None
    assert found[0] == template
    assert waha_spec.spec_operation(method, path) is found[1]


def test_valid_requests_pass() -> None:
    requests = [
        httpx.Request(
            "POST",
            f"{BASE}/api/sendText",
            json={"chatId": "5511999998888@c.us", "text": "Olá", "session": "default"},
        ),
        httpx.Request(
            "POST",
            f"{BASE}/api/sendImage",
            json={
                "chatId": "5511999998888@c.us",
                "session": "default",
                "caption": "x",
                "file": {"mimetype": "image/jpeg", "filename": "a.jpg", "data": "AAAA"},
            },
        ),
        httpx.Request(
            "POST",
            f"{BASE}/api/sessions",
            json={
                "name": "default",
                "apps": None,
                "config": {
                    "metadata": {"association": "a1"},
                    "webhooks": [
                        {
                            "url": "https://crm/webhooks/waha",
                            "events": ["message", "message.ack", "session.status"],
                            "hmac": {"key": "secret"},
                            "retries": {"policy": "constant", "delaySeconds": 2, "attempts": 15},
                        }
                    ],
                },
            },
        ),
        httpx.Request("GET", f"{BASE}/api/default/auth/qr", params={"format": "raw"}),
        httpx.Request(
            "GET",
            f"{BASE}/api/contacts/check-exists",
            params={"phone": "5511999998888", "session": "default"},
        ),
        httpx.Request("POST", f"{BASE}/api/sessions/default/logout"),
    ]
    for request in requests:
        waha_spec.assert_request_matches_spec(request)


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (
            httpx.Request(
                "POST", f"{BASE}/api/sendText", json={"chatId": "1@c.us", "session": "default"}
            ),
            "'text' is a required property",
        ),
        (
            httpx.Request(
                "POST",
                f"{BASE}/api/sendFile",
                json={"chatId": "1@c.us", "session": "default", "file": {"data": "AAAA"}},
            ),
            "'mimetype' is a required property",
        ),
        (httpx.Request("GET", f"{BASE}/api/default/auth/qr"), "query parameter 'format'"),
        (
            httpx.Request("GET", f"{BASE}/api/default/auth/qr", params={"format": "svg"}),
            "not one of",
        ),
        (httpx.Request("DELETE", f"{BASE}/api/sendText"), "DELETE is not an operation"),
        (httpx.Request("GET", f"{BASE}/api/nothing"), "no path of WAHA's spec matches"),
        (httpx.Request("POST", f"{BASE}/api/sendText"), "missing request body"),
        (
            httpx.Request(
                "POST",
                f"{BASE}/api/sendText",
                content=b"{",
                headers={"content-type": "application/json"},
            ),
            "body is not JSON",
        ),
    ],
)
def test_invalid_requests_fail_with_a_clear_message(request_: httpx.Request, expected: str) -> None:
    with pytest.raises(AssertionError, match="does not match WAHA's OpenAPI spec") as caught:
        waha_spec.assert_request_matches_spec(request_)
    assert expected in str(caught.value)


def test_api_key_can_be_required() -> None:
    request = httpx.Request("GET", f"{BASE}/api/sessions")
    waha_spec.assert_request_matches_spec(request)
    with pytest.raises(AssertionError, match="X-Api-Key"):
        waha_spec.assert_request_matches_spec(request, require_api_key=True)
    keyed = httpx.Request("GET", f"{BASE}/api/sessions", headers={"X-Api-Key": "k"})
    waha_spec.assert_request_matches_spec(keyed, require_api_key=True)
    # /ping declares no security
    waha_spec.assert_request_matches_spec(
        httpx.Request("GET", f"{BASE}/ping"), require_api_key=True
    )


def test_base_path_prefix() -> None:
    request = httpx.Request("GET", "http://proxy/waha/api/sessions")
    with pytest.raises(AssertionError):
        waha_spec.assert_request_matches_spec(request)
    waha_spec.assert_request_matches_spec(request, base_path="/waha")


def test_status_codes() -> None:
    waha_spec.assert_status_in_spec("POST", "/api/sendText", 201)
    waha_spec.assert_status_in_spec("GET", "/health", 503)
    with pytest.raises(AssertionError, match=r"answered 200; the spec declares \['201'\]"):
        waha_spec.assert_status_in_spec("POST", "/api/sendText", 200)
    response = httpx.Response(200, request=httpx.Request("PUT", f"{BASE}/api/sessions/x"))
    waha_spec.assert_response_matches_spec(response)


def test_component_schemas_all_compile() -> None:
    for name in waha_spec.load_spec()["components"]["schemas"]:
        waha_spec.component_errors(name, {})
    assert waha_spec.component_errors("ChatRequest", {"chatId": "1@c.us", "session": "s"}) == []

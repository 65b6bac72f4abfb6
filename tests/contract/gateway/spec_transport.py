"""An httpx transport that checks every request against WAHA's OpenAPI spec before sending it.

    transport = SpecCheckingTransport()
    gateway = WahaGateway(transport=transport)
    ...
    assert transport.checked  # at least one request went through the check

A request the spec rejects raises AssertionError out of the gateway call (WahaGateway only
translates httpx errors), so the test fails at the offending call. The one call WAHA serves
outside its spec, the media download ``GET /api/files/{session}/{file}``, is checked by hand.
"""

from __future__ import annotations

import httpx
from tests.contract.waha_spec import assert_request_matches_spec, assert_response_matches_spec

FILES_PREFIX = "/api/files/"


def assert_media_download(request: httpx.Request) -> None:
    """WAHA's file URLs: GET, with the API key, nothing else in them."""
    assert request.method == "GET", f"{request.method} {request.url.path}: files are GET only"
    assert "x-api-key" in request.headers, f"{request.url.path}: no X-Api-Key header"
    assert not request.content, f"{request.url.path}: a GET with a body"
    assert request.url.path.count("/") == 4, f"{request.url.path}: not /api/files/<s>/<file>"


class SpecCheckingTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._inner = inner if inner is not None else httpx.AsyncHTTPTransport()
        self.checked: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        if request.url.path.startswith(FILES_PREFIX):
            assert_media_download(request)
        else:
            assert_request_matches_spec(request, require_api_key=True)
        self.checked.append(request)
        response = await self._inner.handle_async_request(request)
        if response.is_success and not request.url.path.startswith(FILES_PREFIX):
            response.request = request
            assert_response_matches_spec(response)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()

"""WahaServer: every spelling of one server is one identity, and different servers stay apart."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure, Success

from wa_crm.domain.model.waha_server import WahaServer

LOOPBACK_SPELLINGS = (
    "localhost",
    "LOCALHOST",
    "localhost.",
    "waha.localhost",
    "127.0.0.1",
    "127.3.2.1",
    "0.0.0.0",
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
    "[::]",
    "[::ffff:127.0.0.1]",
)

host_names = (
    st.lists(st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10), min_size=1, max_size=3)
    .map(".".join)
    .filter(lambda name: name != "localhost" and not name.endswith(".localhost"))
)
ports = st.integers(min_value=1, max_value=65535)
paths = st.lists(st.text("abcdefghijklmnopqrstuvwxyzABC_-", min_size=1, max_size=8), max_size=3)


def _key(url: str) -> str:
    match WahaServer.parse(url):
        case Success(server):
            return server.key
    raise AssertionError(f"{url!r} was refused")


@given(host_names, ports, paths, st.sampled_from(["http", "HTTP", "Http"]), st.booleans())
def test_spellings_of_one_server_are_one_identity(
    host: str, port: int, segments: list[str], scheme: str, trailing_slash: bool
) -> None:
    path = "".join("/" + segment for segment in segments)
    plain = _key(f"http://{host}:{port}{path}")
    doubled = path.replace("/", "//")
    respelled = f"{scheme}://{host.upper()}.:{port}{doubled}{'/' if trailing_slash else ''}"

    assert _key(respelled) == plain


@given(st.sampled_from(LOOPBACK_SPELLINGS), st.sampled_from(LOOPBACK_SPELLINGS), ports)
def test_every_loopback_spelling_is_one_host(first: str, second: str, port: int) -> None:
    assert _key(f"http://{first}:{port}") == _key(f"http://{second}:{port}/")


@given(host_names)
def test_default_ports_are_explicit(host: str) -> None:
    assert _key(f"http://{host}") == _key(f"http://{host}:80/")
    assert _key(f"https://{host}") == _key(f"https://{host}:443")


@given(host_names, ports, ports)
def test_different_ports_are_different_servers(host: str, port: int, other: int) -> None:
    assert (_key(f"http://{host}:{port}") == _key(f"http://{host}:{other}")) == (port == other)


@given(host_names, host_names, ports)
def test_different_hosts_are_different_servers(host: str, other: str, port: int) -> None:
    same = _key(f"http://{host}:{port}") == _key(f"http://{other}:{port}")
    assert same == (host == other)


@given(host_names, ports, paths, paths)
def test_paths_tell_servers_behind_one_proxy_apart(
    host: str, port: int, path: list[str], other: list[str]
) -> None:
    first = _key(f"http://{host}:{port}/" + "/".join(path))
    second = _key(f"http://{host}:{port}/" + "/".join(other))
    assert (first == second) == (path == other)


@given(st.text(max_size=60))
def test_any_text_is_an_answer_never_an_exception(text: str) -> None:
    assert isinstance(WahaServer.parse(text), Success | Failure)


def test_what_could_hide_a_server_is_refused() -> None:
    for url in (
        "http://user:pass@127.0.0.1:3100",
        "http://127.0.0.1:3100@evil.test",
        "http://127.1:3100",
        "http://2130706433:3100",
        "http://0x7f.0.0.1:3100",
        "http://127.0.0.01:3100",
        "http://waha.test/a/../b",
        "http://waha.test/./api",
        "http://waha.test/%61pi",
        "http://waha.test/?session=x",
        "http://waha.test/#x",
        "http://waha.test:0",
        "http://waha.test:99999",
        "ftp://waha.test",
        "http://wäha.test",
        "http://waha test",
        "127.0.0.1:3100",
    ):
        assert isinstance(WahaServer.parse(url), Failure), url

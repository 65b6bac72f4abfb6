"""Which WAHA server a base URL reaches, so that two associations never share a session.

A session name is unique per WAHA server, and an association's session receives its patients'
messages; comparing base URLs as typed let ``http://localhost:3100`` claim the session another
association holds as ``http://127.0.0.1:3100``. ``WahaServer`` is what the URL alone says about
the server it reaches:

- host: lower case, without a trailing dot; every loopback spelling (``localhost``,
  ``*.localhost``, ``127.0.0.0/8``, ``::1``, ``0.0.0.0``, ``::``) is one host; IPv4 only as four
  decimal numbers (``127.1``, ``0x7f.0.0.1`` or ``2130706433`` also reach 127.0.0.1, so they are
  refused rather than guessed at); IPv6 in its compressed form.
- port: always explicit (80 for http, 443 for https). The scheme is not part of the identity: one
  port speaks one protocol.
- path: a WAHA behind a reverse proxy lives under a path prefix, so the path tells servers apart;
  trailing and doubled slashes do not. Dot segments and percent escapes, which proxies resolve in
  ways the URL cannot tell, are refused; letter case is kept (paths are case-sensitive).
- credentials, a query or a fragment are refused.

A URL cannot reveal every alias (a DNS name of the same host, the machine's own address); the
session's webhook key is the second defence (``domain.usecases.session_ownership``).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from returns.result import Failure, Result, Success

from wa_crm.domain.model.errors import InvalidInput

LOOPBACK = "localhost"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_NAME = re.compile(r"^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$")
# WHATWG URL: a host whose last label is a number is an IPv4 address, in any of inet_aton's forms
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")
_UNSPECIFIED = {ipaddress.ip_address("0.0.0.0"), ipaddress.ip_address("::")}


@dataclass(frozen=True)
class WahaServer:
    host: str
    port: int
    path: str
    """``""`` or ``/segment/...`` without a trailing slash."""

    @property
    def key(self) -> str:
        """The identity as one string (stored and compared)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}{self.path}"

    @staticmethod
    def parse(base_url: str) -> Result[WahaServer, InvalidInput]:
        text = base_url.strip()
        if any(character.isspace() or not character.isprintable() for character in text):
            return Failure(InvalidInput("base_url must not contain spaces or control characters"))
        try:
            parts = urlsplit(text)
            port = parts.port
        except ValueError:
            return Failure(InvalidInput("base_url is not a valid address"))
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not parts.hostname:
            return Failure(InvalidInput("base_url must be an http:// or https:// address"))
        if {"?", "#"} & set(text) or "@" in parts.netloc:
            return Failure(
                InvalidInput("base_url must not carry a query, a fragment or credentials")
            )
        host = _host(parts.hostname, bracketed="[" in parts.netloc)
        if host is None:
            return Failure(
                InvalidInput(
                    "base_url's host must be a name, an IPv6 address or an IPv4 address "
                    "written as four decimal numbers"
                )
            )
        path = _path(parts.path)
        if path is None:
            return Failure(
                InvalidInput("base_url's path must not contain '.', '..' or percent escapes")
            )
        if port == 0:
            return Failure(InvalidInput("base_url's port must be from 1 to 65535"))
        return Success(WahaServer(host, _DEFAULT_PORTS[scheme] if port is None else port, path))


def server_key(base_url: str) -> str:
    """The identity of a stored base URL; ``""`` when none is set. Stored URLs were validated
    with ``WahaServer.parse``; one that no longer parses is compared as written."""
    if not base_url:
        return ""
    return WahaServer.parse(base_url).map(lambda server: server.key).value_or(base_url)


def _host(hostname: str, *, bracketed: bool) -> str | None:
    name = hostname.lower()
    name = name[:-1] if name.endswith(".") else name
    if not name.isascii():
        return None
    if bracketed or _NUMERIC_LABEL.fullmatch(name.rsplit(".", 1)[-1]):
        return _address(name)
    if not _HOST_NAME.fullmatch(name):
        return None
    return LOOPBACK if name == LOOPBACK or name.endswith("." + LOOPBACK) else name


def _address(text: str) -> str | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id is not None:
            return None
        address = address.ipv4_mapped or address
    if address.is_loopback or address in _UNSPECIFIED:
        return LOOPBACK
    return address.compressed


def _path(raw: str) -> str | None:
    segments = [segment for segment in raw.split("/") if segment]
    if any(segment in (".", "..") or "%" in segment for segment in segments):
        return None
    return "".join("/" + segment for segment in segments)

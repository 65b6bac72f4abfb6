"""Reading the deployment files as Docker and Docker Compose would, for the deployment tests.

- ``docker-compose.yml`` with Compose's variable interpolation (``${VAR}``, ``${VAR:-default}``,
  ``${VAR-default}``, ``${VAR:?error}``, ``${VAR?error}``, ``${VAR:+alt}``, ``$VAR``, ``$$``)
  from the ``.env`` an operator writes from ``.env.example``;
- the ``Dockerfile``'s instructions (continuation lines joined, exec forms decoded);
- what the app and the command line really offer: the route table of ``create_app`` and the
  ``wa-crm`` parser.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import re
import secrets
import shlex
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from starlette.routing import Route

from wa_crm.entrypoints.cli import build_parser
from wa_crm.entrypoints.http.app import create_app
from wa_crm.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
DOCS = ROOT / "docs"

WA_CRM_SERVICES = ("migrate", "api", "worker")
"""The services that run the wa_crm image."""

SECRET_NAME = re.compile(r"(KEY|SECRET|PASSWORD|TOKEN)(_|$)")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# --- .env files ---------------------------------------------------------------------------------

_ENV_LINE = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)")
_COMMENTED_ENV_LINE = re.compile(r"#\s*(?P<name>[A-Z][A-Z0-9_]*)=")


def parse_env_file(text: str) -> dict[str, str]:
    """``NAME=value`` lines, as Compose reads them (comments and blank lines skipped)."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _ENV_LINE.fullmatch(line.removeprefix("export "))
        assert match, f"not a NAME=value line in the env file: {raw!r}"
        value = match["value"].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[match["name"]] = value
    return values


def documented_env_names(text: str) -> set[str]:
    """Every name the env file sets or shows commented out (``# NAME=...``)."""
    names = set(parse_env_file(text))
    for raw in text.splitlines():
        match = _COMMENTED_ENV_LINE.match(raw.strip())
        if match:
            names.add(match["name"])
    return names


def env_example() -> dict[str, str]:
    return parse_env_file(ENV_EXAMPLE.read_text(encoding="utf-8"))


def filled_env() -> dict[str, str]:
    """``.env`` as the operator writes it: every empty value of the example gets a secret."""
    return {name: value or secrets.token_hex(32) for name, value in env_example().items()}


# --- Compose interpolation ------------------------------------------------------------------------

_REFERENCE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<named>[A-Za-z_][A-Za-z0-9_]*))"
)
_BRACED = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>.*))?", re.S)


class MissingVariable(Exception):
    """``${VAR:?message}`` with VAR unset (or empty): Compose refuses to start."""


def interpolate(text: str, env: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        if match["named"]:
            return env.get(match["named"], "")
        braced = _BRACED.fullmatch(match["braced"])
        assert braced, f"not a Compose variable reference: {match[0]!r}"
        name, operator, argument = braced["name"], braced["op"], braced["arg"] or ""
        value = env.get(name)
        if operator is None:
            return value or ""
        unset = value is None or (operator.startswith(":") and value == "")
        kind = operator[-1]
        if kind == "-":
            return argument if unset else str(value)
        if kind == "?":
            if unset:
                raise MissingVariable(f"{name}: {argument}")
            return str(value)
        return "" if unset else argument  # "+"

    return _REFERENCE.sub(replace, text)


def references(text: str) -> set[str]:
    """The variable names a string refers to."""
    names = set()
    for match in _REFERENCE.finditer(text):
        if match["named"]:
            names.add(match["named"])
        elif match["braced"] is not None:
            braced = _BRACED.fullmatch(match["braced"])
            if braced:
                names.add(braced["name"])
    return names


def resolve(document: Any, env: Mapping[str, str]) -> Any:
    """Every string of the document interpolated, as ``docker compose config`` shows it."""
    if isinstance(document, str):
        return interpolate(document, env)
    if isinstance(document, list):
        return [resolve(item, env) for item in document]
    if isinstance(document, dict):
        return {key: resolve(value, env) for key, value in document.items()}
    return document


def strings(document: Any) -> Iterator[str]:
    if isinstance(document, str):
        yield document
    elif isinstance(document, list):
        for item in document:
            yield from strings(item)
    elif isinstance(document, dict):
        for value in document.values():
            yield from strings(value)


@functools.cache
def _compose_text() -> str:
    return COMPOSE_FILE.read_text(encoding="utf-8")


def load_compose() -> dict[str, Any]:
    """The compose file as written (YAML anchors and merge keys resolved, no interpolation)."""
    document = yaml.safe_load(_compose_text())
    assert isinstance(document, dict)
    return document


def compose_for(env: Mapping[str, str]) -> dict[str, Any]:
    resolved = resolve(load_compose(), env)
    assert isinstance(resolved, dict)
    return resolved


def environment_of(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's ``environment``, in either of Compose's forms."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        pairs = (item.partition("=") for item in raw)
        return {name: value for name, _, value in pairs}
    return {name: "" if value is None else str(value) for name, value in raw.items()}


def env_files_of(service: Mapping[str, Any]) -> list[str]:
    raw = service.get("env_file") or []
    items = [raw] if isinstance(raw, str | dict) else raw
    return [item["path"] if isinstance(item, dict) else item for item in items]


def effective_environment(service_name: str, env: Mapping[str, str]) -> dict[str, str]:
    """What a wa_crm container sees: the image's ENV, then the env file, then ``environment``
    (each later one wins, as in Docker Compose)."""
    service = compose_for(env)["services"][service_name]
    effective = dict(dockerfile_env())
    for path in env_files_of(service):
        assert path == ".env", f"{service_name} reads {path}, not the operator's .env"
        effective.update(env)
    effective.update(environment_of(service))
    return effective


# --- Dockerfile -----------------------------------------------------------------------------------


def dockerfile_instructions(text: str | None = None) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` in order, continuation lines joined, comments dropped."""
    text = DOCKERFILE.read_text(encoding="utf-8") if text is None else text
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):  # a comment inside a continued instruction
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        keyword, _, arguments = whole.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    assert not pending, "the Dockerfile ends inside a continued instruction"
    return instructions


def final_stage(instructions: list[tuple[str, str]]) -> list[tuple[str, str]]:
    starts = [index for index, (keyword, _) in enumerate(instructions) if keyword == "FROM"]
    assert starts, "the Dockerfile has no FROM"
    return instructions[starts[-1] :]


def exec_form(arguments: str) -> list[str]:
    """A JSON array (exec form), the only form these files use for commands."""
    value = json.loads(arguments)
    assert isinstance(value, list) and all(isinstance(item, str) for item in value), arguments
    return value


def dockerfile_env() -> dict[str, str]:
    """The ENV of the image that runs (the final stage), ``$PATH``-style values left as is."""
    values: dict[str, str] = {}
    for keyword, arguments in final_stage(dockerfile_instructions()):
        if keyword == "ENV":
            for item in shlex.split(arguments):
                name, sep, value = item.partition("=")
                assert sep, f"use ENV NAME=value: {arguments!r}"
                values[name] = value
    return values


def healthcheck_command(arguments: str) -> list[str]:
    """The command of ``HEALTHCHECK [--options] CMD [...]``."""
    _, found, command = arguments.partition("CMD ")
    assert found, f"HEALTHCHECK without CMD: {arguments!r}"
    return exec_form(command.strip())


# --- what the code offers -------------------------------------------------------------------------


@functools.cache
def route_table() -> dict[str, frozenset[str]]:
    """``path -> methods`` of every route of the app (built, not started: no I/O)."""
    app = create_app(
        settings=Settings(database_url="sqlite+aiosqlite:///:memory:", secret_key="k" * 32)
    )
    table: dict[str, frozenset[str]] = {}
    for route in app.routes:
        if isinstance(route, Route):
            methods = frozenset(route.methods or {"GET", "HEAD"})
            table[route.path] = table.get(route.path, frozenset()) | methods
    return table


def parse_cli(argv: list[str]) -> argparse.Namespace:
    """``wa-crm argv...`` parsed by the real parser; a bad command fails with its message."""
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors):
            return build_parser().parse_args(argv)
    except SystemExit:
        message = f"`wa-crm {shlex.join(argv)}` is refused: {errors.getvalue()}"
        raise AssertionError(message) from None


def settings_field(variable: str) -> str | None:
    """The Settings field a ``WA_CRM_*`` variable sets, or None when there is none."""
    name = variable.removeprefix("WA_CRM_").lower()
    return name if variable.startswith("WA_CRM_") and name in Settings.model_fields else None

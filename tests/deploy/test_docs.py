"""docs/production.md and docs/connecting-whatsapp.md name only what exists: settings, routes,
``wa-crm`` commands, compose services, WAHA variables, files, screenshots and anchors."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from starlette.routing import compile_path
from tests.deploy.deployment import (
    COMPOSE_FILE,
    DOCS,
    ENV_EXAMPLE,
    ROOT,
    load_compose,
    parse_cli,
    route_table,
    settings_field,
)

from wa_crm.entrypoints.cli import build_parser

GUIDES = [DOCS / "production.md", DOCS / "connecting-whatsapp.md"]
FENCE = re.compile(r"```[a-z]*\n(.*?)```", re.S)
INLINE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
OUR_PATHS = ("/api/associations", "/api/webhooks", "/dashboard", "/login", "/openapi.json")
PROBES = ("/healthz", "/readyz", "/metrics")
# compose options that take a value (the value is not a service name)
VALUED_OPTIONS = {"--scale", "-v", "--volume", "--user", "-u", "-e", "--env", "-f", "--file"}


def served(path: str) -> bool:
    """A route's own pattern (`/dashboard/{slug}/inbox`) or a concrete path it serves."""
    routes = route_table()
    return path in routes or any(compile_path(route)[0].fullmatch(path) for route in routes)


def text_of(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def prose_without_code(text: str) -> str:
    return FENCE.sub("", text)


def shell_lines(text: str) -> list[list[str]]:
    lines = []
    for block in FENCE.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words:
                lines.append(words)
    return lines


def wa_crm_argvs(words: list[str]) -> list[list[str]]:
    """The ``wa-crm`` invocations in one shell line (``sh -c '...'`` unwrapped)."""
    if "sh" in words and "-c" in words:
        words = shlex.split(words[words.index("-c") + 1])
    if "wa-crm" not in words:
        return []
    return [words[words.index("wa-crm") + 1 :]]


def command_exists(argv: list[str]) -> bool:
    """Whether the words name a real command path (required arguments may be left out)."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            build_parser().parse_args([*argv, "--help"])
        except SystemExit as exit_:
            return exit_.code == 0
    return False


@pytest.mark.parametrize("guide", GUIDES, ids=lambda path: path.name)
def test_every_setting_named_is_real(guide: Path) -> None:
    named = set(re.findall(r"\bWA_CRM_[A-Z0-9_]+\b", text_of(guide)))
    assert named
    assert sorted(name for name in named if settings_field(name) is None) == []


@pytest.mark.parametrize("guide", GUIDES, ids=lambda path: path.name)
def test_every_wa_crm_command_is_real(guide: Path) -> None:
    text = text_of(guide)
    for words in shell_lines(text):
        for argv in wa_crm_argvs(words):
            parse_cli(argv)  # complete commands in code blocks: parsed as the CLI would
    for inline in INLINE.findall(prose_without_code(text)):
        if inline.startswith("wa-crm "):
            argv = shlex.split(inline)[1:]
            assert command_exists(argv), f"`{inline}` is not a wa-crm command"


@pytest.mark.parametrize("guide", GUIDES, ids=lambda path: path.name)
def test_every_route_named_exists(guide: Path) -> None:
    checked = 0
    for span in INLINE.findall(text_of(guide)):
        for word in span.split():
            if "://" in word:
                parts = urlsplit(word)
                path = parts.path if parts.hostname in {"api", "127.0.0.1"} else ""
            elif word.startswith("WA_CRM_PUBLIC_URL/"):
                path = word.removeprefix("WA_CRM_PUBLIC_URL")
            else:
                path = word
            path = path.split("?")[0].rstrip(".,;:")
            if path.startswith(OUR_PATHS) or path in PROBES:
                assert served(path), f"{guide.name} names {path}, which the app does not serve"
                checked += 1
    assert checked


@pytest.mark.parametrize("guide", GUIDES, ids=lambda path: path.name)
def test_every_compose_service_named_exists(guide: Path) -> None:
    services = set(load_compose()["services"])
    lines = [words for words in shell_lines(text_of(guide)) if words[:2] == ["docker", "compose"]]
    lines += [
        shlex.split(span) for span in INLINE.findall(text_of(guide)) if span.startswith("docker ")
    ]
    for words in lines:
        if words[:2] != ["docker", "compose"] or len(words) < 3:
            continue
        subcommand, rest = words[2], words[3:]
        named: list[str] = []
        index = 0
        while index < len(rest):
            word = rest[index]
            if word == "--scale":
                named.append(rest[index + 1].split("=")[0])
                index += 2
                continue
            if word in VALUED_OPTIONS:
                index += 2
                continue
            if word.startswith("-") or word in {">", "<"}:
                index += 1
                continue
            named.append(word)
            if subcommand in {"exec", "run"}:
                break  # what follows is the command run in that service
            index += 1
        for name in named:
            assert name in services, f"`{shlex.join(words)}` names no service {name!r}"


@pytest.mark.parametrize("guide", GUIDES, ids=lambda path: path.name)
def test_every_waha_variable_named_is_configured(guide: Path) -> None:
    configured = text_of(COMPOSE_FILE) + text_of(ENV_EXAMPLE)
    for name in set(re.findall(r"\b(?:WAHA|WHATSAPP|POSTGRES)_[A-Z0-9_]+\b", text_of(guide))):
        assert name in configured, f"{guide.name} names {name}, set nowhere in the deployment"


def anchors_of(text: str) -> set[str]:
    """GitHub's heading anchors."""
    anchors = set()
    for heading in re.findall(r"^#{1,6} (.+)$", prose_without_code(text), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


@pytest.mark.parametrize("guide", GUIDES, ids=lambda path: path.name)
def test_every_link_and_image_resolves(guide: Path) -> None:
    for target in LINK.findall(prose_without_code(text_of(guide))):
        if target.startswith(("http://", "https://")):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (guide.parent / file_part).resolve() if file_part else guide
        assert linked.is_file(), f"{guide.name} links to missing {target}"
        if anchor:
            assert anchor in anchors_of(text_of(linked)), f"{guide.name}: no anchor {target}"


def test_the_wizard_guide_shows_both_screenshots() -> None:
    text = text_of(DOCS / "connecting-whatsapp.md")
    for name in ("wizard-qr.png", "wizard-connected.png"):
        assert f"(screenshots/{name})" in text
        assert (DOCS / "screenshots" / name).is_file()


def test_the_readme_links_both_guides() -> None:
    readme = text_of(ROOT / "README.md")
    for guide in GUIDES:
        assert f"(docs/{guide.name})" in readme

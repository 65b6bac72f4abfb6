"""The ``Dockerfile`` and ``.dockerignore``: the image runs real ``wa-crm`` commands, as an
unprivileged user, with production extras only, and the build context holds no secret."""

from __future__ import annotations

import fnmatch
import re
import shlex
from urllib.parse import urlsplit

from tests.deploy.deployment import (
    DOCKERIGNORE,
    ROOT,
    dockerfile_env,
    dockerfile_instructions,
    exec_form,
    final_stage,
    healthcheck_command,
    parse_cli,
    route_table,
    settings_field,
)

from wa_crm.settings import Settings


def final() -> list[tuple[str, str]]:
    return final_stage(dockerfile_instructions())


def arguments_of(keyword: str) -> list[str]:
    return [arguments for found, arguments in final() if found == keyword]


def test_the_image_is_python_3_11_slim() -> None:
    bases = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "FROM"]
    for base in bases:
        assert base.split()[0] == "python:3.11-slim", base


def test_the_default_command_and_entrypoint_are_real_cli_commands() -> None:
    (cmd,) = arguments_of("CMD")
    command = exec_form(cmd)
    entrypoint = [exec_form(arguments) for arguments in arguments_of("ENTRYPOINT")]
    argv = [*(entrypoint[-1] if entrypoint else []), *command]
    assert argv[0] == "wa-crm", argv
    args = parse_cli(argv[1:])
    assert args.command == "serve"
    assert args.host == "0.0.0.0", "inside a container the service must listen on every address"
    port = args.port or Settings.model_fields["port"].default
    assert f"{port}" in arguments_of("EXPOSE")[0].split()


def test_the_health_check_asks_a_real_route_with_python() -> None:
    (arguments,) = arguments_of("HEALTHCHECK")
    command = healthcheck_command(arguments)
    assert command[:2] == ["python", "-c"], "the slim image has no curl"
    compile(command[2], "<healthcheck>", "exec")
    (url,) = re.findall(r"https?://[^'\"\s)]+", command[2])
    parts = urlsplit(url)
    args = parse_cli(exec_form(arguments_of("CMD")[0])[1:])
    assert parts.port == (args.port or Settings.model_fields["port"].default)
    assert parts.path == "/healthz"
    assert "GET" in route_table()[parts.path]


def test_the_service_runs_as_an_unprivileged_user() -> None:
    users = arguments_of("USER")
    assert users, "the image must switch to a non-root user"
    assert users[-1].split(":")[0] not in {"root", "0"}
    keywords = [keyword for keyword, _ in final()]
    assert keywords.index("USER") < keywords.index("CMD")
    assert all(keyword != "RUN" for keyword in keywords[keywords.index("USER") :])


def test_the_package_is_installed_with_production_extras_only() -> None:
    installs = [
        arguments
        for keyword, arguments in dockerfile_instructions()
        if keyword == "RUN" and "pip install" in arguments
    ]
    extras = set()
    for install in installs:
        for word in shlex.split(install.replace("&&", " ")):
            match = re.fullmatch(r"\.\[(?P<extras>[a-z,]+)\]", word)
            if match:
                extras |= set(match["extras"].split(","))
    assert extras == {"postgres", "redis"}


def test_the_image_sets_only_real_settings() -> None:
    variables = [name for name in dockerfile_env() if name.startswith("WA_CRM_")]
    assert [name for name in variables if settings_field(name) is None] == []


def dockerignore_allows(path: str) -> bool:
    """Whether ``path`` (relative, POSIX) reaches the build context; last matching rule wins."""
    allowed = True
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        rule = raw.strip()
        if not rule or rule.startswith("#"):
            continue
        negated = rule.startswith("!")
        pattern = rule.removeprefix("!").rstrip("/")
        pattern = pattern.removeprefix("**/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: index + 1]) for index in range(len(parts))]
        if any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes) or any(
            fnmatch.fnmatch(part, pattern) for part in parts
        ):
            allowed = negated
    return allowed


def test_the_build_context_has_what_the_image_copies_and_no_secret() -> None:
    copied = []
    for keyword, arguments in dockerfile_instructions():
        if keyword == "COPY" and not arguments.startswith("--from"):
            copied += shlex.split(arguments)[:-1]
    assert copied
    for source in copied:
        assert (ROOT / source).exists(), source
        assert dockerignore_allows(source), f".dockerignore leaves out {source}"
    assert dockerignore_allows("src/wa_crm/settings.py")
    for private in (".env", ".venv/bin/python", "tests/conftest.py", "wa_crm.db", "var/media/x"):
        assert not dockerignore_allows(private), f"{private} must stay out of the image"

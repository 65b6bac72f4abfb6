"""``docker-compose.yml`` and ``.env.example`` against the code they deploy.

No Docker engine runs here: the compose file is parsed, interpolated as Compose would with the
``.env`` an operator writes from the example, and every setting, route, command and WAHA
variable in it is checked against wa_crm's own Settings, route table, CLI parser and webhook
subscription (and against the WAHA simulator, which reads WAHA's environment variables).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from pydantic import ValidationError
from sqlalchemy import make_url
from tests.deploy.deployment import (
    COMPOSE_FILE,
    ENV_EXAMPLE,
    SECRET_NAME,
    WA_CRM_SERVICES,
    MissingVariable,
    compose_for,
    dockerfile_env,
    documented_env_names,
    effective_environment,
    env_example,
    environment_of,
    filled_env,
    load_compose,
    parse_cli,
    references,
    route_table,
    settings_field,
    strings,
)

from wa_crm.adapters.waha.webhooks import SUBSCRIBED_EVENTS
from wa_crm.domain.usecases.admin.whatsapp_session import WEBHOOK_PATH
from wa_crm.settings import DEV_SECRET_KEY, Settings
from wa_crm.testing.waha_simulator.config import WAHA_VERSION, SimulatorConfig

# a secret is `${VARIABLE}` or `${VARIABLE:?message}`: never a default value to fall back on
ONE_REFERENCE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(:?\?[^}]*)?\}")
LONG_RUNNING_POLICIES = {"always", "unless-stopped"}


@pytest.fixture
def env() -> dict[str, str]:
    """The operator's ``.env``: the example with every empty value filled with a secret."""
    return filled_env()


@pytest.fixture
def compose(env: dict[str, str]) -> dict[str, Any]:
    return compose_for(env)


@pytest.fixture
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return dict(compose["services"])


def settings_from(environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings as the container builds them: from its environment only."""
    for field in Settings.model_fields:
        monkeypatch.delenv(f"WA_CRM_{field.upper()}", raising=False)
    for name, value in environment.items():
        if name.startswith("WA_CRM_"):
            monkeypatch.setenv(name, value)
    return Settings()


def api_port(services: dict[str, Any]) -> int:
    args = parse_cli(services["api"]["command"][1:])
    return int(args.port or Settings.model_fields["port"].default)


# --- settings -----------------------------------------------------------------------------------


def test_every_wa_crm_variable_set_anywhere_is_a_setting() -> None:
    """A misspelt WA_CRM_ variable is silently ignored by the service: catch it here."""
    compose = load_compose()
    named = set(documented_env_names(ENV_EXAMPLE.read_text(encoding="utf-8")))
    named |= set(dockerfile_env())
    for service in compose["services"].values():
        named |= set(environment_of(service))
    for text in strings(compose):
        named |= references(text)
    wa_crm_variables = {name for name in named if name.startswith("WA_CRM_")}

    assert wa_crm_variables, "nothing sets a WA_CRM_ variable"
    unknown = sorted(name for name in wa_crm_variables if settings_field(name) is None)
    assert unknown == [], f"not fields of wa_crm.settings.Settings: {unknown}"


@pytest.mark.parametrize("service", WA_CRM_SERVICES)
def test_the_wa_crm_services_get_complete_production_settings(
    service: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = effective_environment(service, env)
    settings = settings_from(environment, monkeypatch)
    services = compose_for(env)["services"]

    # the secret key comes from the env file, never from the compose file or the image
    assert "WA_CRM_SECRET_KEY" not in environment_of(load_compose()["services"][service])
    assert "WA_CRM_SECRET_KEY" not in dockerfile_env()
    assert env_example()["WA_CRM_SECRET_KEY"] == "", ".env.example must not ship a key"
    assert settings.secret_key.get_secret_value() == env["WA_CRM_SECRET_KEY"]
    assert settings.secret_key.get_secret_value() != DEV_SECRET_KEY

    database = make_url(settings.database_url)
    postgres = environment_of(services["postgres"])
    assert database.drivername == "postgresql+asyncpg"
    assert database.host == "postgres" and "postgres" in services
    assert database.port in (None, 5432)
    assert database.username == postgres["POSTGRES_USER"]
    assert database.password == postgres["POSTGRES_PASSWORD"] == env["POSTGRES_PASSWORD"]
    assert database.database == postgres["POSTGRES_DB"]
    assert not settings.uses_sqlite

    assert settings.redis_url is not None
    redis = urlsplit(settings.redis_url)
    assert redis.scheme == "redis" and redis.hostname == "redis" and "redis" in services

    assert settings.public_url == env["WA_CRM_PUBLIC_URL"]
    assert settings.public_url.startswith("https://")
    assert settings.log_format == "json"


def test_an_unfilled_env_file_is_refused_before_anything_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Copying .env.example without filling it in must fail loudly, naming what is missing."""
    with pytest.raises(MissingVariable) as compose_refused:
        compose_for(env_example())
    assert "POSTGRES_PASSWORD" in str(compose_refused.value)

    unfilled = {**filled_env(), "WA_CRM_SECRET_KEY": env_example()["WA_CRM_SECRET_KEY"]}
    with pytest.raises(ValidationError) as wa_crm_refused:
        settings_from(effective_environment("api", unfilled), monkeypatch)
    assert "secret_key" in str(wa_crm_refused.value)


def test_the_env_example_ships_no_secret() -> None:
    example = env_example()
    secrets_shipped = {
        name: value for name, value in example.items() if SECRET_NAME.search(name) and value
    }
    assert secrets_shipped == {}
    for name in ("WA_CRM_SECRET_KEY", "POSTGRES_PASSWORD", "WAHA_API_KEY", "WAHA_HOOK_HMAC_KEY"):
        assert name in example, f"{name} is missing from .env.example"


def test_every_variable_the_compose_file_needs_is_in_the_env_example() -> None:
    compose = load_compose()
    needed: set[str] = set()
    for text in strings(compose):
        needed |= references(text)
    documented = documented_env_names(ENV_EXAMPLE.read_text(encoding="utf-8"))
    assert sorted(needed - documented) == []


# --- no secret in the compose file --------------------------------------------------------------


def test_no_secret_literal_in_the_compose_file() -> None:
    compose = load_compose()
    empty_in_example = {name for name, value in env_example().items() if value == ""}
    for service_name, service in compose["services"].items():
        for name, value in environment_of(service).items():
            if SECRET_NAME.search(name):
                reference = ONE_REFERENCE.fullmatch(value)
                assert reference, f"{service_name}.{name} must be ${{VARIABLE}}, not a value"
                assert reference["name"] in empty_in_example, (
                    f"{service_name}.{name} refers to {reference['name']}, which .env.example "
                    "must list with an empty value for the operator to fill"
                )
    for text in strings(compose):
        for url in re.findall(r"[a-z][a-z0-9+.-]*://[^\s'\"]+", text):
            userinfo = url.split("://", 1)[1].rpartition("@")[0]
            if ":" in userinfo:
                password = userinfo.split(":", 1)[1]
                assert ONE_REFERENCE.fullmatch(password), f"a password literal in {url}"


def test_wa_crm_services_take_their_secrets_from_the_env_file_only() -> None:
    compose = load_compose()
    for name in WA_CRM_SERVICES:
        service = compose["services"][name]
        assert service.get("env_file") in ([".env"], ".env"), f"{name}: env_file: [.env]"
        secret_settings = {key for key in environment_of(service) if SECRET_NAME.search(key)}
        assert secret_settings == set(), f"{name} sets {secret_settings} in the compose file"


# --- images, commands, restart policies ---------------------------------------------------------


def test_the_wa_crm_services_build_from_the_dockerfile(services: dict[str, Any]) -> None:
    images = set()
    for name in WA_CRM_SERVICES:
        build = services[name].get("build")
        assert isinstance(build, dict), f"{name} must build the image"
        assert build.get("context") == "."
        assert (COMPOSE_FILE.parent / build.get("dockerfile", "Dockerfile")).is_file()
        assert build.get("dockerfile", "Dockerfile") == "Dockerfile"
        images.add(services[name].get("image"))
    assert len(images) == 1, "api, worker and migrate run the same image"


def test_the_services_run_real_wa_crm_commands(services: dict[str, Any]) -> None:
    commands = {name: services[name]["command"] for name in WA_CRM_SERVICES}
    for name, command in commands.items():
        assert isinstance(command, list) and command[0] == "wa-crm", f"{name}: {command}"

    api = parse_cli(commands["api"][1:])
    assert api.command == "serve" and api.host == "0.0.0.0"
    assert parse_cli(commands["worker"][1:]).command == "worker"
    migrate = parse_cli(commands["migrate"][1:])
    assert (migrate.command, migrate.db) == ("db", "upgrade")


def test_the_api_is_stateless_and_the_workers_run_the_jobs(
    services: dict[str, Any], env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    api = settings_from(effective_environment("api", env), monkeypatch)
    worker = settings_from(effective_environment("worker", env), monkeypatch)
    assert api.workers == 0
    assert worker.workers >= 1
    for name in ("api", "worker"):
        assert "container_name" not in services[name], f"{name} must be able to scale"
        assert "ports" not in services[name], f"{name} must be able to scale (no host port)"
    # every API replica and worker sees the same media folder
    for name in ("api", "worker"):
        mounts = {
            target: source
            for source, _, target in (str(v).partition(":") for v in services[name]["volumes"])
        }
        assert mounts.get(api.media_dir) == "media", f"{name} must mount the media volume"
    assert worker.media_dir == api.media_dir
    assert "media" in load_compose()["volumes"]


def test_migrations_run_once_before_the_api_and_the_workers(services: dict[str, Any]) -> None:
    assert services["migrate"].get("restart") == "no"
    for name in ("api", "worker"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_every_service_has_a_restart_policy(services: dict[str, Any]) -> None:
    one_shot = {
        dependency
        for service in services.values()
        for dependency, how in (service.get("depends_on") or {}).items()
        if isinstance(how, dict) and how.get("condition") == "service_completed_successfully"
    }
    assert one_shot == {"migrate"}
    for name, service in services.items():
        policy = service.get("restart")
        assert policy is not None, f"{name} has no restart policy"
        if name in one_shot:
            assert policy == "no", f"{name} runs once: restart must be 'no'"
        else:
            assert policy in LONG_RUNNING_POLICIES, f"{name}: restart {policy!r}"


# --- health checks --------------------------------------------------------------------------------


def probed_urls(command: list[str]) -> list[str]:
    assert command[:3] == ["CMD", "python", "-c"], f"use python -c (no curl): {command}"
    compile(command[3], "<healthcheck>", "exec")  # the probe is valid Python
    return re.findall(r"https?://[^'\"\s)]+", command[3])


def test_the_api_health_check_asks_a_real_route(services: dict[str, Any]) -> None:
    urls = probed_urls(services["api"]["healthcheck"]["test"])
    assert urls
    for url in urls:
        parts = urlsplit(url)
        assert parts.hostname in {"127.0.0.1", "localhost"}
        assert parts.port == api_port(services)
        assert "GET" in route_table().get(parts.path, frozenset()), f"no GET {parts.path}"
    assert {urlsplit(url).path for url in urls} == {"/readyz"}


def test_services_without_http_do_not_inherit_the_images_http_check(
    services: dict[str, Any],
) -> None:
    for name in ("migrate", "worker"):
        assert services[name]["healthcheck"] == {"disable": True}


def test_postgres_and_redis_have_health_checks(services: dict[str, Any]) -> None:
    postgres = services["postgres"]["healthcheck"]["test"]
    assert postgres[0] == "CMD" and postgres[1] == "pg_isready"
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert "postgres-data" in load_compose()["volumes"]
    assert any(
        str(volume).startswith("postgres-data:/var/lib/postgresql/data")
        for volume in services["postgres"]["volumes"]
    )


# --- WAHA ---------------------------------------------------------------------------------------


def waha_config(env: dict[str, str]) -> SimulatorConfig:
    """WAHA's settings as the simulator (which follows WAHA's rules) reads them."""
    return SimulatorConfig.from_env(environment_of(compose_for(env)["services"]["waha"]))


def test_waha_is_the_published_image_at_the_version_wa_crm_is_tested_with(
    services: dict[str, Any],
) -> None:
    repository, _, tag = services["waha"]["image"].partition(":")
    assert repository == "devlikeapro/waha"
    assert tag.endswith(f"-{WAHA_VERSION}"), f"pin {WAHA_VERSION}, not {tag or 'latest'}"
    engine = environment_of(services["waha"])["WHATSAPP_DEFAULT_ENGINE"]
    # devlikeapro/waha:{browser}[-cpu]-{version}: "latest"/"chrome"/"arm" are WEBJS builds
    flavour = tag.split("-")[0]
    assert engine == (flavour.upper() if flavour in {"gows", "noweb"} else "WEBJS")


def test_waha_keeps_its_sessions_in_a_named_volume(services: dict[str, Any]) -> None:
    mounts = {}
    for volume in services["waha"]["volumes"]:
        source, _, target = str(volume).partition(":")
        mounts[target.split(":")[0]] = source
    assert mounts.get("/app/.sessions") in load_compose()["volumes"]


def test_waha_webhook_points_at_the_api_webhook_route(
    env: dict[str, str], services: dict[str, Any]
) -> None:
    hook = waha_config(env).global_webhook()
    assert hook is not None, "WHATSAPP_HOOK_URL and WHATSAPP_HOOK_EVENTS must both be set"

    url = urlsplit(hook.url)
    assert url.scheme == "http" and url.hostname == "api" and "api" in services
    assert url.port == api_port(services)
    assert url.path == WEBHOOK_PATH
    assert "POST" in route_table()[url.path]

    assert sorted(hook.events) == sorted(SUBSCRIBED_EVENTS)
    assert "message" not in hook.events, "message and message.any together duplicate events"

    raw = environment_of(load_compose()["services"]["waha"])["WHATSAPP_HOOK_HMAC_KEY"]
    reference = ONE_REFERENCE.fullmatch(raw)
    assert reference and reference["name"] in env_example()
    assert hook.hmac_key == env[reference["name"]]


def test_the_global_webhook_can_be_turned_off_from_the_env_file(env: dict[str, str]) -> None:
    """Several associations on one WAHA server: WAHA_GLOBAL_WEBHOOK_URL= (empty) in .env."""
    assert waha_config({**env, "WAHA_GLOBAL_WEBHOOK_URL": ""}).global_webhook() is None


def test_waha_requires_the_api_key_wa_crm_sends(env: dict[str, str]) -> None:
    raw = environment_of(load_compose()["services"]["waha"])
    assert "WAHA_NO_API_KEY" not in raw
    key_variables = {"WAHA_API_KEY", "WHATSAPP_API_KEY"} & set(raw)
    assert len(key_variables) == 1
    reference = ONE_REFERENCE.fullmatch(raw[key_variables.pop()])
    assert reference and reference["name"] in env_example()
    assert waha_config(env).api_key == env[reference["name"]]


def test_waha_is_not_published(services: dict[str, Any]) -> None:
    assert "ports" not in services["waha"]


# --- the proxy ------------------------------------------------------------------------------------


def test_the_proxy_serves_the_public_url_from_the_api_replicas(
    compose: dict[str, Any], services: dict[str, Any], env: dict[str, str]
) -> None:
    mounted = {item["source"] for item in services["proxy"]["configs"]}
    caddyfile = "\n".join(compose["configs"][name]["content"] for name in mounted)
    site = caddyfile.strip().splitlines()[0].removesuffix("{").strip()
    assert site == env["WA_CRM_PUBLIC_URL"]
    assert urlsplit(site).path == "", "WA_CRM_PUBLIC_URL takes no path (Caddy refuses one)"
    assert f"dynamic a api {api_port(services)}" in caddyfile
    assert services["proxy"]["depends_on"]["api"]["condition"] == "service_healthy"


def test_the_api_trusts_x_forwarded_for_from_the_proxy_alone(
    compose: dict[str, Any], services: dict[str, Any], env: dict[str, str]
) -> None:
    """Login throttling counts per client; a header anyone may write must not name the client
    (issue 14). The proxy's address is fixed in a fixed subnet, and only it is trusted."""
    api = effective_environment("api", env)
    assert "FORWARDED_ALLOW_IPS" not in api, "uvicorn's proxy headers are off; the app decides"
    trusted = Settings(trusted_proxies=api["WA_CRM_TRUSTED_PROXIES"]).trusted_proxies
    assert "*" not in trusted
    proxy_address = services["proxy"]["networks"]["default"]["ipv4_address"]
    assert [part.strip() for part in trusted.split(",")] == [proxy_address]
    subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(proxy_address) in ipaddress.ip_network(subnet)

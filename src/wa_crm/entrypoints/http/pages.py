"""Server-rendered pages (architecture.md section 7): ``GET /login``,
``GET /dashboard/{slug}/inbox`` and, for admins, ``/dashboard/{slug}/settings/whatsapp`` (the
WhatsApp setup wizard), ``/dashboard/{slug}/monitoring``, ``/dashboard/{slug}/team`` (agents,
their access and tokens), ``/dashboard/{slug}/knowledge`` (the knowledge base) and the
assistant's, assignment's and privacy settings (``/dashboard/{slug}/settings/bot``,
``…/assignment``, ``…/privacy``); ``/dashboard/{slug}/settings`` shows the first settings page.

Jinja2 templates (auto-escaped) with plain JavaScript over the agent API and its SSE stream;
everything a page loads is served from ``/static`` by this app: no build step, no CDN.

- Dashboard pages need a browser session (``POST /login``); without one they redirect to the
  login page, and an agent of another association gets the same 404 as for a missing
  association. An agent who is not an admin gets a 403 page for the admin pages.
- Strings live in the translation files (``strings``: ``en`` and ``pt-BR``): templates read
  them here, and the scripts get the page's language from the ``boot`` JSON in the page. The
  association's locale decides, ``?lang=en|pt-BR`` overrides it.
- The session's CSRF token goes into ``<meta name="csrf-token">`` for the scripts' writes.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from wa_crm.container import Container
from wa_crm.domain.model.association import BotSettings
from wa_crm.domain.model.canned_reply import PLACEHOLDERS as CANNED_PLACEHOLDERS
from wa_crm.domain.usecases.access.auth import Identity
from wa_crm.entrypoints.http.auth import SESSION_KEY
from wa_crm.entrypoints.http.mount import full_path, mount_path
from wa_crm.entrypoints.http.strings import DEFAULT_LOCALE, LOCALES, STRINGS

HERE = Path(__file__).parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"

# Pages load nothing from elsewhere and run no inline script (the boot data is JSON, not code).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
        "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

_SAFE_NEXT = re.compile(r"^/dashboard/[a-z0-9-]+/[a-z/]*(\?[\w=&%.-]*)?$")
"""A dashboard path after the mount path (which ``next`` must start with)."""
_SLUG_IN_NEXT = re.compile(r"^/dashboard/([a-z0-9-]+)/")


def asset_version(directory: Path) -> str:
    """Changes whenever a file under ``directory`` does (its subfolders' too), so browsers never
    run yesterday's script."""
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(directory).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


ASSET_VERSION = asset_version(STATIC_DIR)
# Static URLs carry the version in their path, not in a query: a module's relative imports
# ("./state.js") resolve against its own URL's path, so the modules the inbox imports get the
# same version as the page's entry module. Any version is served (the files on disk); only the
# browser's cache tells them apart.
VERSIONED_STATIC = f"/static/v/{ASSET_VERSION}"
# Module scripts must come as JavaScript; some systems' MIME tables map .js elsewhere.
mimetypes.add_type("text/javascript", ".js")

_templates = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


@pass_context
def _static(context: Context, name: str) -> str:
    """A static file's URL under the mount path: every page's context has ``base``."""
    return f"{context['base']}{VERSIONED_STATIC}/{name}"


_templates.globals["static"] = _static


def pick_locale(request: Request, preferred: str | None = None) -> str:
    """``?lang=`` first, then the association's locale, then the browser's languages."""
    by_lower = {locale.lower(): locale for locale in LOCALES}
    wanted = request.query_params.get("lang", "").strip().lower()
    if wanted in by_lower:
        return by_lower[wanted]
    if preferred in STRINGS:
        return str(preferred)
    for part in request.headers.get("accept-language", "").split(","):
        language = part.split(";")[0].strip().lower()
        if language in by_lower:
            return by_lower[language]
        if language.startswith("pt"):
            return "pt-BR"
        if language.startswith("en"):
            return "en"
    return DEFAULT_LOCALE


def _render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _templates.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def _safe_next(value: str | None, base: str) -> str | None:
    """Only a dashboard path of this site under its mount path ``base``, never another host
    (no open redirect)."""
    if not value or not value.startswith(f"{base}/"):
        return None
    return value if _SAFE_NEXT.match(value[len(base) :]) else None


async def _session_identity(request: Request) -> Identity | None:
    session_id = request.session.get(SESSION_KEY)
    if not isinstance(session_id, str):
        return None
    container: Container = request.app.state.container
    return await container.authenticate().with_session(session_id)


def _lang_query(request: Request) -> str:
    lang = request.query_params.get("lang")
    return f"?{urlencode({'lang': lang})}" if lang else ""


def _not_found(request: Request, locale: str) -> HTMLResponse:
    return _render(
        "not_found.html",
        status=404,
        locale=locale,
        t=STRINGS[locale],
        base=mount_path(request),
        login_url=f"{mount_path(request)}/login{_lang_query(request)}",
    )


async def login_page(request: Request) -> Response:
    """The sign-in page (HTML): association, e-mail and password."""
    locale = pick_locale(request)
    base = mount_path(request)
    next_path = _safe_next(request.query_params.get("next"), base)
    association = request.query_params.get("association", "")
    if not association and next_path and (found := _SLUG_IN_NEXT.match(next_path[len(base) :])):
        association = found.group(1)
    boot = {
        "base": base,
        "locale": locale,
        "strings": STRINGS[locale],
        "next": next_path,
        "lang": request.query_params.get("lang") or None,
    }
    return _render(
        "login.html",
        locale=locale,
        t=STRINGS[locale],
        boot=boot,
        base=base,
        association=association[:63],
        error={
            "invalid": "login_invalid",
            "missing": "login_missing",
            "throttled": "login_throttled",
            "disabled": "login_disabled",
        }.get(request.query_params.get("error", "")),
        languages=[(code, _login_link(base, code, next_path, association)) for code in LOCALES],
    )


def _login_link(base: str, lang: str, next_path: str | None, association: str) -> str:
    params = {"next": next_path, "association": association[:63], "lang": lang}
    return f"{base}/login?" + urlencode({k: v for k, v in params.items() if v})


@dataclass(frozen=True)
class _Viewer:
    """A signed-in agent looking at a page of their own association."""

    identity: Identity
    locale: str
    csrf: str


async def _viewer(request: Request) -> _Viewer | Response:
    """The page's viewer, or the response instead of the page: to the login page without a
    session, the same 404 as a missing association for an agent of another one."""
    identity = await _session_identity(request)
    if identity is None:
        target = full_path(request) + (f"?{request.url.query}" if request.url.query else "")
        query = {"next": target, **({"lang": v} if (v := request.query_params.get("lang")) else {})}
        return RedirectResponse(f"{mount_path(request)}/login?{urlencode(query)}", status_code=303)
    association = identity.association
    if association.slug != request.path_params["slug"]:
        return _not_found(request, pick_locale(request))
    csrf = request.session.get("csrf")
    if not csrf:  # a session from before CSRF tokens: give it one, as POST /login would
        csrf = request.session["csrf"] = secrets.token_urlsafe(24)
    return _Viewer(identity, pick_locale(request, association.locale.value), csrf)


def _boot(request: Request, viewer: _Viewer, **extra: Any) -> dict[str, Any]:
    association, agent = viewer.identity.association, viewer.identity.agent
    base = mount_path(request)
    return {
        "slug": association.slug,
        "association": association.name,
        "base": base,
        "agent": {"id": agent.id, "name": agent.name, "role": agent.role.value},
        "locale": viewer.locale,
        "lang": request.query_params.get("lang") or None,
        "strings": STRINGS[viewer.locale],
        "api": f"{base}/api/associations/{association.slug}",
        "login_url": f"{base}/login?" + urlencode({"next": full_path(request)}),
        **extra,
    }


def _render_dashboard(
    request: Request, viewer: _Viewer, template: str, page: str, status: int = 200, **boot: Any
) -> HTMLResponse:
    """A dashboard page; ``page`` names it (inbox, monitoring, or a settings page: whatsapp,
    bot…); the navigation marks the current settings page by its path, ``here``."""
    return _render(
        template,
        status=status,
        locale=viewer.locale,
        t=STRINGS[viewer.locale],
        boot=_boot(request, viewer, **boot),
        csrf=viewer.csrf,
        association=viewer.identity.association,
        agent=viewer.identity.agent,
        page=page,
        here=request.url.path,
        lang_query=_lang_query(request),
        base=mount_path(request),
    )


async def inbox_page(request: Request) -> Response:
    """The agents' inbox (HTML): conversation list, conversation, contact sidebar."""
    viewer = await _viewer(request)
    if not isinstance(viewer, _Viewer):
        return viewer
    container: Container = request.app.state.container
    max_bytes = container.settings().media_max_bytes
    assist = container.agent_assist().offers(viewer.identity.association.bot)
    return _render_dashboard(
        request, viewer, "inbox.html", "inbox", media_max_bytes=max_bytes, assist=assist
    )


def _admin_page(
    template: str, page: str, boot: Callable[[Request], dict[str, Any]] | None = None
) -> Callable[[Request], Awaitable[Response]]:
    """A page for the association's admins; another agent of it gets a 403 page. ``boot``:
    the page's own boot data."""

    async def endpoint(request: Request) -> Response:
        viewer = await _viewer(request)
        if not isinstance(viewer, _Viewer):
            return viewer
        if not viewer.identity.agent.is_admin:
            return _render_dashboard(request, viewer, "forbidden.html", page, status=403)
        return _render_dashboard(request, viewer, template, page, **(boot(request) if boot else {}))

    endpoint.__doc__ = f"The admins' {page} page (HTML)."
    return endpoint


def _assistant_choices(request: Request) -> dict[str, Any]:
    """What the assistant's page offers: the AI providers this deployment runs (the API refuses
    others), the model each uses when the association names none, and the default texts."""
    container: Container = request.app.state.container
    settings = container.settings()
    default_models = {"openai": settings.openai_model, "anthropic": settings.anthropic_model}
    defaults = BotSettings()
    return {
        "providers": [
            {"name": name, "default_model": default_models.get(name, "")}
            for name in sorted(container.ai_providers())
        ],
        "defaults": {
            field.name: value
            for field in fields(BotSettings)
            if isinstance(value := getattr(defaults, field.name), str)
        },
    }


settings_whatsapp_page = _admin_page("settings_whatsapp.html", "whatsapp")
monitoring_page = _admin_page("monitoring.html", "monitoring")
team_page = _admin_page("team.html", "team")
knowledge_page = _admin_page("knowledge.html", "knowledge")
settings_bot_page = _admin_page("settings_bot.html", "bot", _assistant_choices)
settings_assignment_page = _admin_page("settings_assignment.html", "assignment")
settings_privacy_page = _admin_page("settings_privacy.html", "privacy")
settings_labels_page = _admin_page("settings_labels.html", "labels")
settings_canned_page = _admin_page(
    "settings_canned_replies.html",
    "canned_replies",
    lambda request: {"placeholders": list(CANNED_PLACEHOLDERS)},
)


async def dashboard_home(request: Request) -> Response:
    """The dashboard's front door: the inbox."""
    slug = request.path_params["slug"]
    inbox = f"{mount_path(request)}/dashboard/{slug}/inbox{_lang_query(request)}"
    return RedirectResponse(inbox, status_code=303)


async def home(request: Request) -> Response:
    """The site's front door: the inbox when signed in, else the sign-in page."""
    identity = await _session_identity(request)
    base = mount_path(request)
    if identity is None:
        return RedirectResponse(f"{base}/login{_lang_query(request)}", status_code=303)
    slug = identity.association.slug
    inbox = f"{base}/dashboard/{slug}/inbox{_lang_query(request)}"
    return RedirectResponse(inbox, status_code=303)


routes = [
    Route("/", home, methods=["GET"]),
    Route("/login", login_page, methods=["GET"]),
    Route("/dashboard/{slug}", dashboard_home, methods=["GET"]),
    Route("/dashboard/{slug}/inbox", inbox_page, methods=["GET"]),
    # Configurações opens the first settings page at its own address.
    Route("/dashboard/{slug}/settings", settings_whatsapp_page, methods=["GET"]),
    Route("/dashboard/{slug}/settings/whatsapp", settings_whatsapp_page, methods=["GET"]),
    Route("/dashboard/{slug}/settings/bot", settings_bot_page, methods=["GET"]),
    Route("/dashboard/{slug}/settings/assignment", settings_assignment_page, methods=["GET"]),
    Route("/dashboard/{slug}/settings/privacy", settings_privacy_page, methods=["GET"]),
    Route("/dashboard/{slug}/settings/labels", settings_labels_page, methods=["GET"]),
    Route("/dashboard/{slug}/settings/canned-replies", settings_canned_page, methods=["GET"]),
    Route("/dashboard/{slug}/monitoring", monitoring_page, methods=["GET"]),
    Route("/dashboard/{slug}/team", team_page, methods=["GET"]),
    Route("/dashboard/{slug}/knowledge", knowledge_page, methods=["GET"]),
    Mount("/static/v/{version}", StaticFiles(directory=STATIC_DIR), name="versioned_static"),
    Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
]

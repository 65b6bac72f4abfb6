"""Where the app is mounted, for every URL the service builds: pages, redirects, media links.

A backend may mount wa_crm under its own prefix (``Mount("/crm", app=create_app())``).
Starlette then sets the ASGI ``root_path`` to ``/crm`` and leaves ``path`` whole
(``/crm/dashboard/...``); at the root both start without a prefix.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection


def mount_path(request: HTTPConnection) -> str:
    """Where the app is mounted ("" at the root, "/crm" under ``Mount("/crm", app)``): every
    URL a page or script builds starts with it."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def full_path(request: HTTPConnection) -> str:
    """The request's path as the browser sees it, the mount path included: servers that put
    the prefix in ``root_path`` only (not in ``path``) get it added."""
    base, path = mount_path(request), request.url.path
    return path if path.startswith(f"{base}/") or path == base else f"{base}{path}"

"""The HTTP entrypoint: the Starlette app factory and its routes."""

from wa_crm.entrypoints.http.app import create_app

__all__ = ["create_app"]

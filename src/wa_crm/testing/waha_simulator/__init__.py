"""A WAHA (WhatsApp HTTP API) simulator for tests and demos.

It plays the other side of the wire, so it imports nothing from wa_crm outside
`wa_crm.testing`. See architecture.md section 9 and `control.py` for the `/_sim/` API.
"""

from __future__ import annotations

from .app import SimulatorApp, create_simulator_app
from .config import SimulatorConfig, WebhookTarget
from .server import free_port, run, running_simulator, serve_app, simulator_in_thread
from .simulator import WahaSimulator
from .webhooks import build_envelope, encode_body, sign_body

__all__ = [
    "SimulatorApp",
    "SimulatorConfig",
    "WahaSimulator",
    "WebhookTarget",
    "build_envelope",
    "create_simulator_app",
    "encode_body",
    "free_port",
    "run",
    "running_simulator",
    "serve_app",
    "sign_body",
    "simulator_in_thread",
]

"""Test helpers that downstream projects can use: the WAHA simulator (and fakes)."""

from __future__ import annotations

from wa_crm.testing.waha_simulator import (
    SimulatorConfig,
    WahaSimulator,
    WebhookTarget,
    create_simulator_app,
    free_port,
    run,
    running_simulator,
    serve_app,
    sign_body,
    simulator_in_thread,
)

__all__ = [
    "SimulatorConfig",
    "WahaSimulator",
    "WebhookTarget",
    "create_simulator_app",
    "free_port",
    "run",
    "running_simulator",
    "serve_app",
    "sign_body",
    "simulator_in_thread",
]

"""What the domain reports for operators' dashboards (Prometheus at ``/metrics``)."""

from __future__ import annotations

from typing import Protocol


class Telemetry(Protocol):
    def message_sent(self, latency_seconds: float) -> None:
        """A message reached WAHA, ``latency_seconds`` after it was queued."""
        ...

    def dead_letter(self, code: str) -> None:
        """A message could not be delivered; ``code`` says why (a GatewayErrorCode value)."""
        ...

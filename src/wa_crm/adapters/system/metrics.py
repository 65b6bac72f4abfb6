"""Prometheus metrics, one registry per container so that several apps (tests) never clash."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._webhook_events = Counter(
            "wa_crm_webhook_events",
            "WAHA webhook events by event type and outcome",
            ["event", "outcome"],
            registry=self.registry,
        )
        self.job_queue_depth = Gauge(
            "wa_crm_jobs", "Jobs by status", ["status"], registry=self.registry
        )

    def webhook_event(self, event: str, outcome: str) -> None:
        self._webhook_events.labels(event=event[:50], outcome=outcome).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)

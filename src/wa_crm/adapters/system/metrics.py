"""Prometheus metrics, one registry per container so that several apps (tests) never clash.

Messages in are counted by the webhook (``wa_crm_webhook_events_total`` with outcome
``stored``), messages out by ``wa_crm_delivery_latency_seconds_count``.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
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
        self._webhooks_refused = Counter(
            "wa_crm_webhooks_refused",
            "WAHA webhooks answered with a 4xx, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.job_queue_depth = Gauge(
            "wa_crm_jobs", "Jobs by status", ["status"], registry=self.registry
        )
        self._sent = Histogram(
            "wa_crm_delivery_latency_seconds",
            "Time from queued to accepted by WAHA, per outbound message",
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800),
            registry=self.registry,
        )
        self._dead_letters = Counter(
            "wa_crm_dead_letters",
            "Messages that could not be delivered",
            ["code"],
            registry=self.registry,
        )
        self.circuit_open = Gauge(
            "wa_crm_circuit_open",
            "1 while the circuit breaker of a WAHA server and session is not closed",
            ["session"],
            registry=self.registry,
        )
        self.sse_clients = Gauge(
            "wa_crm_sse_clients", "Event stream clients connected", registry=self.registry
        )

    def webhook_event(self, event: str, outcome: str) -> None:
        self._webhook_events.labels(event=event[:50], outcome=outcome).inc()

    def webhook_refused(self, reason: str) -> None:
        self._webhooks_refused.labels(reason=reason).inc()

    def message_sent(self, latency_seconds: float) -> None:
        self._sent.observe(latency_seconds)

    def dead_letter(self, code: str) -> None:
        self._dead_letters.labels(code=code).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)

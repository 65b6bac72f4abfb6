from __future__ import annotations

import structlog

_log = structlog.get_logger("wa_crm.alerts")


class LogAlertSink:
    """Alerts as warning log lines; the webhook sink comes with session health monitoring."""

    async def alert(self, association_id: str, kind: str, message: str) -> None:
        _log.warning("alert", association_id=association_id, kind=kind, message=message)

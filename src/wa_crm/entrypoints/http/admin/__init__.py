"""The admin API under ``/api/associations/{slug}/`` (architecture.md section 7): the WhatsApp
connection (``whatsapp``), the assistant's, assignment and privacy settings (``settings``), the
export and erasure of a contact's data (``contact_data``), and statistics, alerts, the agents and
the audit log (``monitoring``). Admins only; other agents get 403, except on the agent list (the
inbox needs it to assign conversations). Every change is audited; the audit log itself is read-only
(architecture.md section 11).
"""

from starlette.routing import Route

from wa_crm.entrypoints.http.admin import contact_data, monitoring, settings, whatsapp

PREFIX = "/api/associations/{slug}"

routes = [
    Route(f"{PREFIX}/whatsapp", whatsapp.get_whatsapp, methods=["GET"]),
    Route(f"{PREFIX}/whatsapp", whatsapp.put_whatsapp, methods=["PUT"]),
    Route(f"{PREFIX}/whatsapp/test", whatsapp.test_whatsapp, methods=["POST"]),
    Route(f"{PREFIX}/whatsapp/session/start", whatsapp.start_session, methods=["POST"]),
    Route(f"{PREFIX}/whatsapp/qr", whatsapp.get_qr, methods=["GET"]),
    Route(f"{PREFIX}/whatsapp/status", whatsapp.get_status, methods=["GET"]),
    Route(f"{PREFIX}/whatsapp/logout", whatsapp.logout, methods=["POST"]),
    Route(f"{PREFIX}/whatsapp/test-message", whatsapp.test_message, methods=["POST"]),
    Route(f"{PREFIX}/bot", settings.get_bot, methods=["GET"]),
    Route(f"{PREFIX}/bot", settings.put_bot, methods=["PUT"]),
    Route(f"{PREFIX}/assignment", settings.get_assignment, methods=["GET"]),
    Route(f"{PREFIX}/assignment", settings.put_assignment, methods=["PUT"]),
    Route(f"{PREFIX}/privacy", settings.get_privacy, methods=["GET"]),
    Route(f"{PREFIX}/privacy", settings.put_privacy, methods=["PUT"]),
    Route(f"{PREFIX}/contacts/{{id}}/export", contact_data.export_contact, methods=["GET"]),
    Route(f"{PREFIX}/contacts/{{id}}/erase", contact_data.erase_contact, methods=["POST"]),
    Route(f"{PREFIX}/stats", monitoring.get_stats, methods=["GET"]),
    Route(f"{PREFIX}/alerts", monitoring.list_alerts, methods=["GET"]),
    Route(f"{PREFIX}/agents", monitoring.list_agents, methods=["GET"]),
    Route(f"{PREFIX}/audit", monitoring.list_audit, methods=["GET"]),
]

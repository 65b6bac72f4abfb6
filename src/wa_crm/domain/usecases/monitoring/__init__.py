"""What the monitoring page shows: session health and outages, alerts, statistics, refused
webhooks, the audit log.
"""

"""What arrives from WhatsApp: webhook events ingested, media fetched, reactions, lid contacts
resolved, the association a webhook belongs to.
"""

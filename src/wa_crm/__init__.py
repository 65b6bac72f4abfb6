"""wa_crm: WhatsApp conversations of patient associations in a CRM."""

__version__ = "0.1.0"

"""The WAHA adapter: WAHA's HTTP API as a WhatsAppGateway, and WAHA's webhooks in domain terms.

WAHA's field names live only in this package.
"""

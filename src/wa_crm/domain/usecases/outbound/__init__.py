"""What leaves for WhatsApp: messages queued, delivered under the session's rate limit, and the
circuit breakers in front of WAHA.
"""

"""An admin's settings of the association and its WhatsApp connection and session."""

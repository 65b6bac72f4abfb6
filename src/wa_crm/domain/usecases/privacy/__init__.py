"""Personal data: consent, retention, export and erasure."""

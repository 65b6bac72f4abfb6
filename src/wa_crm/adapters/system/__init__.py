"""Small adapters for the system ports: clock, ids, password hashing, secret encryption, alerts."""

"""Durable jobs: running them and the periodic ones."""

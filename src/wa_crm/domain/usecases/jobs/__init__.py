"""Durable jobs: running them, the periodic ones, and publishing committed events."""

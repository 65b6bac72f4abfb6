"""Entrypoints: the HTTP app, the CLI and the worker process; the only place wiring is used."""

"""The domain model: entities, value objects, the conversation status machine, events, errors.

Pure Python: no I/O, no clock, no framework imports (import-linter enforces it).
"""

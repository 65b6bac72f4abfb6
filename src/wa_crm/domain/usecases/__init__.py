"""Use cases: frozen dataclasses whose fields are ports, called with a command; return Results."""

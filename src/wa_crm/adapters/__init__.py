"""Adapters: one package per technology, each implementing ports; independent of each other."""

"""Benchmarks: each prints its figures next to the raw ceiling it measures in the same run."""

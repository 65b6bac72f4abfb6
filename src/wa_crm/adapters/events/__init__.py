"""Event bus adapters: in-process (default) and Redis Streams (several replicas)."""

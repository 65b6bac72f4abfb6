"""Test support shared by unit and integration tests: WAHA payload builders, a fake clock."""

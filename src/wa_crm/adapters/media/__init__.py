"""Media stores: where files live once fetched from WAHA or uploaded by agents."""

"""Reports: what the store holds about one scan, as JSON, CSV or a self-contained HTML page."""

"""Collection: produce observations (raw evidence with where and when) from live probes or imports."""

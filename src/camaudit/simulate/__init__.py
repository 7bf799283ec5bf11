"""The emulated fleet: devices on loopback addresses that answer with responses recorded from real devices."""

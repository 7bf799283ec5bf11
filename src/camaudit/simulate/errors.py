"""The emulated fleet's error, apart from the fleet itself: the command line names it in every run."""

from __future__ import annotations


class FleetError(RuntimeError):
    """The fleet could not be started or run (addresses, ports, a device's personality)."""

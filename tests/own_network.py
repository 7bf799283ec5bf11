"""The test run in a network namespace of its own, where the machine allows it.

Every emulated fleet the tests start listens on fixed loopback addresses (127.66.0.x, 127.96.0.x, ...). In a
namespace of its own, a test run has a loopback of its own: two runs on one machine (two checkouts, or CI
beside a developer) never meet, and no test traffic can leave for any other network. Done once, at start-up,
before any thread or child process exists (namespaces belong to a thread; children inherit them).
Without root, or with CAMAUDIT_TEST_SHARED_NETWORK=1, the run uses the machine's loopback as before.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess

CLONE_NEWNET = 0x40000000


def enter_own_network() -> str:
    """Move this process into a fresh network namespace with loopback up; say what was done."""
    if os.environ.get("CAMAUDIT_TEST_SHARED_NETWORK") == "1":
        return "shared loopback (CAMAUDIT_TEST_SHARED_NETWORK=1)"
    if os.environ.get("CAMAUDIT_TEST_OWN_NETWORK") == str(os.getpid()):
        return "own network namespace"
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("ip") is None:
        return "shared loopback (a namespace of its own needs root and iproute2)"
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        return f"shared loopback (unshare: {os.strerror(ctypes.get_errno())})"
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, capture_output=True)
    os.environ["CAMAUDIT_TEST_OWN_NETWORK"] = str(os.getpid())
    return "own network namespace"

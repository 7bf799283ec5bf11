"""Two network namespaces made by a test, joined by a veth pair: a scanner side and a devices side.

Multicast discovery needs a real interface; loopback will not do. Everything here happens inside
namespaces the test creates and deletes: no traffic reaches the machine's own network.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SUBNET = "10.231.7"


def available() -> str | None:
    """Why namespaces cannot be used here, or None when they can."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "the ip command (iproute2) is missing"
    probe = subprocess.run(["ip", "netns", "add", f"ca-probe-{os.getpid()}"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"ip netns add failed: {probe.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", f"ca-probe-{os.getpid()}"], capture_output=True)
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@dataclass
class Lab:
    scanner_ns: str
    devices_ns: str
    scanner_if: str
    scanner_ip: str
    device_network: str

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """camaudit inside the scanner namespace."""
        return subprocess.run(["ip", "netns", "exec", self.scanner_ns, sys.executable, "-m", "camaudit", *args],
                              capture_output=True, text=True, timeout=timeout, check=False)


@contextmanager
def lab(count: int) -> Iterator[Lab]:
    reason = available()
    if reason:
        pytest.skip(reason)
    tag = f"{os.getpid() % 10000}"
    scan_ns, dev_ns = f"ca-scan-{tag}", f"ca-dev-{tag}"
    a, b = f"cas{tag}", f"cad{tag}"
    try:
        _ip("netns", "add", scan_ns)
        _ip("netns", "add", dev_ns)
        _ip("link", "add", a, "netns", scan_ns, "type", "veth", "peer", "name", b, "netns", dev_ns)
        _ip("-n", scan_ns, "addr", "add", f"{SUBNET}.1/24", "dev", a)
        for i in range(count):
            _ip("-n", dev_ns, "addr", "add", f"{SUBNET}.{17 + i}/24", "dev", b)
        for ns, dev in ((scan_ns, a), (dev_ns, b)):
            _ip("-n", ns, "link", "set", dev, "up")
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "route", "add", "224.0.0.0/4", "dev", dev)
        yield Lab(scan_ns, dev_ns, a, f"{SUBNET}.1", f"{SUBNET}.16/28")
    finally:
        for ns in (scan_ns, dev_ns):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


@contextmanager
def devices(the_lab: Lab, names: list[str], tmp: Path) -> Iterator[dict[str, Any]]:
    """The emulated devices, inside the devices namespace, answering multicast discovery too."""
    manifest = tmp / "manifest.json"
    args = ["ip", "netns", "exec", the_lab.devices_ns, sys.executable, "-m", "camaudit", "simulate",
            "--network", the_lab.device_network, "--count", str(len(names)), "--multicast", "--quiet",
            "--manifest", str(manifest)]
    for name in names:
        args += ["--personality", name]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        end = time.monotonic() + 60
        while not manifest.exists():
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "fleet died")
            if time.monotonic() > end:
                raise RuntimeError("fleet did not start")
            time.sleep(0.05)
        yield json.loads(manifest.read_text())
    finally:
        proc.terminate()
        proc.wait(10)

"""Nothing is sent outside the scope: every frame the scanner's interface sends is captured (a raw packet
socket in the scanner's own namespace) while a scan with exclusions runs and is then resumed.

The namespaces are made by the test (tests/netns.py, 10.231.7.0/24 inside them only).
"""

from __future__ import annotations

import ipaddress
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests import netns

CAPTURE = r"""
import os, socket, sys
ifname, out_path, stop_path = sys.argv[1:4]
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
sock.bind((ifname, 0))
sock.settimeout(0.1)
with open(out_path, "w") as out:
    out.write("ready\n"); out.flush()
    while not os.path.exists(stop_path):
        try:
            frame, addr = sock.recvfrom(65535)
        except socket.timeout:
            continue
        if addr[2] != socket.PACKET_OUTGOING:
            continue
        kind = int.from_bytes(frame[12:14], "big")
        if kind == 0x0800:
            out.write(f"ip {socket.inet_ntoa(frame[30:34])} {frame[23]}\n")
        elif kind == 0x0806:
            out.write(f"arp {socket.inet_ntoa(frame[38:42])}\n")
        elif kind == 0x86DD:
            out.write(f"ip6 {socket.inet_ntop(socket.AF_INET6, frame[38:54])}\n")
        else:
            out.write(f"other {kind:#06x}\n")
        out.flush()
"""


@contextmanager
def capture(the_lab: netns.Lab, tmp: Path) -> Iterator[Path]:
    """Outgoing frames on the scanner's interface, one line each, until the block ends."""
    out, stop = tmp / "frames.txt", tmp / "stop"
    proc = subprocess.Popen(["ip", "netns", "exec", the_lab.scanner_ns, sys.executable, "-c", CAPTURE,
                             the_lab.scanner_if, str(out), str(stop)], stderr=subprocess.PIPE)
    try:
        end = time.monotonic() + 20
        while not (out.exists() and out.read_text().startswith("ready")):
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "capture died"
            assert time.monotonic() < end, "the capture did not start"
            time.sleep(0.05)
        yield out
    finally:
        time.sleep(0.5)  # the last frames of the scan
        stop.touch()
        proc.wait(10)


def _destinations(frames: Path) -> tuple[set[str], set[str], set[str]]:
    ipv4, arp, ipv6 = set(), set(), set()
    for line in frames.read_text().splitlines()[1:]:
        kind, _, rest = line.partition(" ")
        if kind == "ip":
            ipv4.add(rest.split()[0])
        elif kind == "arp":
            arp.add(rest)
        elif kind == "ip6":
            ipv6.add(rest)
    return ipv4, arp, ipv6


def test_nothing_is_sent_outside_the_scope_with_exclusions_and_resume(tmp_path: Path) -> None:
    names = ["hikvision-ipc", "dahua-ipc", "axis-camera", "hikvision-nvr", "reolink-camera", "hanwha-camera"]
    with netns.lab(len(names)) as the_lab, netns.devices(the_lab, names, tmp_path) as manifest:
        addresses = [d["address"] for d in manifest["devices"]]
        excluded = [addresses[1], addresses[3]]
        scope = ipaddress.ip_network("10.231.7.16/29")  # the first devices, and silent addresses beside them
        allowed = {str(a) for a in scope} - set(excluded)
        db = tmp_path / "capture.db"
        with capture(the_lab, tmp_path) as frames:
            first = the_lab.run("scan", str(scope), "--exclude", excluded[0], "--exclude", excluded[1], "--db",
                                str(db), "-q", "--connect-timeout", "0.5")
            assert first.returncode == 0, first.stderr
            with sqlite3.connect(db) as conn:  # as if cut off before two hosts, one of them a device
                conn.execute("DELETE FROM hosts WHERE address IN (?, ?)", (addresses[0], addresses[2]))
                conn.execute("UPDATE scans SET status = 'interrupted'")
            resumed = the_lab.run("scan", "--resume", "1", "--db", str(db), "-q")
            assert resumed.returncode == 0, resumed.stderr
        ipv4, arp, ipv6 = _destinations(frames)
        in_scope_devices = {a for a in addresses if a in allowed}
        assert in_scope_devices <= ipv4, "the capture saw the scan"
        assert ipv4 <= allowed, f"sent outside the scope: {sorted(ipv4 - allowed)}"
        assert arp <= allowed, f"asked for addresses outside the scope: {sorted(arp - allowed)}"
        assert all(a.startswith("ff02:") for a in ipv6), ipv6  # only the kernel's own link-local chatter
        with sqlite3.connect(db) as conn:
            hosts = {r[0] for r in conn.execute("SELECT address FROM hosts WHERE scan_id = 1")}
        assert hosts == allowed

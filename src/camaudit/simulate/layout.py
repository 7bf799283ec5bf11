"""Large fleets: devices spread across a network (a /16 holds thousands), addresses that stay silent, and a
fleet split over several processes.

A *silent* address answers nothing: a connect to it waits for its timeout, as on a real network where no host
(or a firewall that drops) sits behind an address. Two ways to make one:

- ``drop``: nftables rules that drop every packet to the silent addresses. Only inside a network namespace
  made for a test or benchmark (the rules would otherwise change the machine's own firewall);
- ``tarpit``: on plain loopback, a listener on each scanned port of the address whose accept queue is kept
  full, so the kernel drops every further SYN (nothing is ever accepted).
"""

from __future__ import annotations

import contextlib
import ipaddress
import shutil
import socket
import subprocess
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

#: the ports a scan knocks by default: a tarpit covers each of them
TARPIT_PORTS = (23, 80, 443, 554, 8000, 8080, 8443, 37777)


class LayoutError(RuntimeError):
    pass


def spread_addresses(network: str, count: int, offset: int = 0) -> list[str]:
    """``count`` addresses evenly spaced across ``network`` (skipping its first and last address)."""
    net = ipaddress.ip_network(network, strict=False)
    room = net.num_addresses - 2
    if count > room:
        raise LayoutError(f"{network} has room for {room} addresses, not {count}")
    if count == 0:
        return []
    step = room / count
    base = int(net.network_address) + 1
    return [str(ipaddress.ip_address(base + (int(i * step) + offset) % room)) for i in range(count)]


def silent_addresses(network: str, count: int, taken: Sequence[str]) -> list[str]:
    """``count`` addresses of ``network`` that no device holds, spread evenly across it (between the devices)."""
    if count == 0:
        return []
    used = set(taken)
    net = ipaddress.ip_network(network, strict=False)
    room = net.num_addresses - 2
    if count > room - len(used):
        raise LayoutError(f"{network} has too few free addresses for {count} silent ones")
    step = room / count
    base = int(net.network_address) + 1
    out: list[str] = []
    for i in range(count):
        n = int(i * step + step / 2)
        while str(ipaddress.ip_address(base + n % room)) in used:
            n += 1
        address = str(ipaddress.ip_address(base + n % room))
        used.add(address)
        out.append(address)
    return out


def part_of(items: Sequence[T], part: tuple[int, int]) -> list[T]:
    """Every ``k``-th item from the ``i``-th, for ``part = (i, k)``: one of ``k`` fleet processes."""
    index, parts = part
    return list(items[index::parts])


def parse_part(text: str) -> tuple[int, int]:
    index, _, parts = text.partition("/")
    try:
        i, k = int(index), int(parts)
    except ValueError as exc:
        raise LayoutError(f"--part {text!r}: give I/K, e.g. 0/2") from exc
    if not 0 <= i < k:
        raise LayoutError(f"--part {text!r}: I must be from 0 to K-1")
    return i, k


class Tarpits:
    """Listeners that never accept, with their accept queue filled: every further connect waits forever."""

    def __init__(self) -> None:
        self.sockets: list[socket.socket] = []

    def add(self, address: str, ports: Sequence[int] = TARPIT_PORTS) -> None:
        for port in ports:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((address, port))
            listener.listen(0)  # a queue of one connection...
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.settimeout(2)
            filler.connect((address, port))  # ...taken by our own connect: the kernel drops every later SYN
            self.sockets += [listener, filler]

    def close(self) -> None:
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()
        self.sockets.clear()


class DropRules:
    """nftables rules dropping every packet to the silent addresses, in this network namespace only."""

    def __init__(self, name: str) -> None:
        self.table = f"camaudit_silent_{name}"
        self.installed = False

    def install(self, addresses: Sequence[str]) -> None:
        nft = shutil.which("nft")
        if nft is None:
            raise LayoutError("silent addresses by drop rules need nftables ('nft'); without it use tarpits "
                              "(the default)")
        elements = ", ".join(addresses)
        script = (f"table ip {self.table} {{\n set silent {{ type ipv4_addr; elements = {{ {elements} }} }}\n"
                  " chain input { type filter hook input priority 0; policy accept; ip daddr @silent drop; }\n"
                  "}\n")
        done = subprocess.run([nft, "-f", "-"], input=script, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise LayoutError(f"nft refused the drop rules: {done.stderr.strip()[:300]}")
        self.installed = True

    def install_all_but(self, network: str, live: Sequence[str]) -> None:
        """Every address of ``network`` that holds no device drops everything, as an empty address on a real
        network answers nothing."""
        nft = shutil.which("nft")
        if nft is None:
            raise LayoutError("silent addresses by drop rules need nftables ('nft')")
        elements = ", ".join(live) or "0.0.0.0"
        script = (f"table ip {self.table} {{\n set live {{ type ipv4_addr; elements = {{ {elements} }} }}\n"
                  f" chain input {{ type filter hook input priority 0; policy accept; ip daddr {network} "
                  "ip daddr != @live drop; }\n}\n")
        done = subprocess.run([nft, "-f", "-"], input=script, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise LayoutError(f"nft refused the drop rules: {done.stderr.strip()[:300]}")
        self.installed = True

    def remove(self) -> None:
        nft = shutil.which("nft")
        if self.installed and nft:
            subprocess.run([nft, "delete", "table", "ip", self.table], capture_output=True, check=False)
        self.installed = False

"""What may be probed, and how fast.

A scope is built from the user's targets (CIDRs, ranges, single addresses, files of them) minus the
exclusions. Nothing outside it is ever probed. Public (globally routable) address space is refused
unless the user passes ``--allow-public``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_HOSTS = 1 << 24


class ScopeError(ValueError):
    """A target the user gave cannot be used as written."""


def _parse_range(text: str) -> list[IPNetwork]:
    start_text, _, end_text = text.partition("-")
    start = ipaddress.ip_address(start_text.strip())
    end_text = end_text.strip()
    if end_text.isdigit() and start.version == 4:
        # 10.0.0.5-20 means 10.0.0.5 to 10.0.0.20, as in Nmap.
        end = ipaddress.ip_address(".".join([*str(start).split(".")[:3], end_text]))
    else:
        end = ipaddress.ip_address(end_text)
    if start.version != end.version or int(end) < int(start):
        raise ScopeError(f"range {text!r}: the end must be the same kind of address and not before the start")
    return list(ipaddress.summarize_address_range(start, end))


def parse_target(text: str) -> list[IPNetwork]:
    """One target: ``192.0.2.7``, ``192.0.2.0/24``, ``192.0.2.10-20`` or ``192.0.2.10-192.0.2.40``."""
    text = text.strip()
    if not text:
        return []
    try:
        if "-" in text and "/" not in text:
            return _parse_range(text)
        return [ipaddress.ip_network(text, strict=False)]
    except ValueError as exc:
        raise ScopeError(
            f"target {text!r} is not an address, CIDR or range (e.g. 192.0.2.7, 192.0.2.0/24, 192.0.2.10-20)"
        ) from exc


def read_target_file(path: str) -> list[str]:
    """Targets from a file, one or more per line; ``#`` starts a comment; ``-`` is standard input."""
    import sys

    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScopeError(f"cannot read target file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ScopeError(f"target file {path} is not UTF-8 text (byte {exc.start})") from exc
    targets: list[str] = []
    for line in text.splitlines():
        targets.extend(line.split("#", 1)[0].replace(",", " ").split())
    return targets


def is_public(network: IPNetwork) -> bool:
    """True when any part of the network is globally routable."""
    if network.is_private or network.is_loopback or network.is_link_local or network.is_multicast:
        return False
    return not network.is_reserved


@dataclass(frozen=True)
class Scope:
    include: tuple[IPNetwork, ...]
    exclude: tuple[IPNetwork, ...] = ()

    @classmethod
    def build(cls, targets: Iterable[str], exclude: Iterable[str] = (), allow_public: bool = False) -> Scope:
        include = [net for t in targets for net in parse_target(t)]
        if not include:
            raise ScopeError("no targets: give addresses, CIDRs or ranges, or -iL FILE")
        public = [str(n) for n in include if is_public(n)]
        if public and not allow_public:
            raise ScopeError(
                "refusing public address space " + ", ".join(public[:5])
                + (" ..." if len(public) > 5 else "")
                + ": camaudit scans only networks you own. If you are authorised, pass --allow-public."
            )
        excluded = merged(net for t in exclude for net in parse_target(t))
        scope = cls(merged(include), excluded)
        if scope.size() > MAX_HOSTS:
            raise ScopeError(f"scope has {scope.size():,} addresses; the limit is {MAX_HOSTS:,}. Split the scan.")
        return scope

    def size(self) -> int:
        """Addresses in scope, counted once however the targets overlap, exclusions left out."""
        total = sum(_host_count(n) for n in self.include)
        for ex in self.exclude:
            total -= sum(_host_count(_overlap(ex, n)) for n in self.include if ex.overlaps(n))
        return total

    def has_public(self) -> bool:
        return any(is_public(n) for n in self.include)

    def contains(self, address: str) -> bool:
        ip = ipaddress.ip_address(address)
        if any(ip in n for n in self.exclude):
            return False
        return any(ip in n for n in self.include)

    def addresses(self) -> Iterator[str]:
        """Every address in scope, once (overlapping targets were merged), in address order, lazily (a /16 is
        not materialised)."""
        for net in self.include:
            # every address, as Nmap does for a CIDR or range (a device may sit on a /24's .0 or .255)
            near = [ex for ex in self.exclude if ex.overlaps(net)]
            for ip in net:
                if not near or not any(ip in ex for ex in near):
                    yield str(ip)


def merged(networks: Iterable[IPNetwork]) -> tuple[IPNetwork, ...]:
    """Networks with overlaps and neighbours joined (``10.0.0.0/30 10.0.0.2 10.0.0.1-3`` is 4 addresses)."""
    nets = list(networks)
    v4 = [n for n in nets if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in nets if isinstance(n, ipaddress.IPv6Network)]
    return (*ipaddress.collapse_addresses(v4), *ipaddress.collapse_addresses(v6))


def _overlap(a: IPNetwork, b: IPNetwork) -> IPNetwork:
    """The smaller of two overlapping networks (one always contains the other)."""
    return a if a.prefixlen >= b.prefixlen else b


def _host_count(net: IPNetwork) -> int:
    return net.num_addresses


class RateLimiter:
    """A token bucket shared by every probe: at most ``rate`` new connections a second.

    Waiters reserve their turn (the bucket may go into debt) and sleep once until it comes, first come first
    served, with no lock: thousands of waiting probes cost one timer each, not a wake-up per token. The sweep
    takes only tokens that are there (:meth:`take`), so probes of hosts already started go first."""

    def __init__(self, rate: float, burst: int | None = None) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = float(burst if burst is not None else max(1, int(rate // 10)))
        self.tokens = self.capacity
        self.updated = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    async def acquire(self) -> None:
        self._refill()
        self.tokens -= 1
        if self.tokens < 0:
            await asyncio.sleep(-self.tokens / self.rate)

    def take(self, most: int) -> int:
        """Up to ``most`` tokens that are free now, without waiting: how many were taken."""
        self._refill()
        n = max(0, min(most, int(self.tokens)))
        self.tokens -= n
        return n

"""A fleet of emulated devices, each on its own loopback address, and the manifest that is its ground truth."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from camaudit.simulate.certs import server_context
from camaudit.simulate.discovery import start_responder
from camaudit.simulate.errors import FleetError as FleetError  # still importable from here
from camaudit.simulate.layout import DropRules, LayoutError, Tarpits, spread_addresses
from camaudit.simulate.personality import Personality, load_personalities
from camaudit.simulate.server import handler


@dataclass(frozen=True)
class Device:
    address: str
    personality: Personality

    def manifest_entry(self) -> dict[str, Any]:
        p = self.personality
        return {
            "address": self.address,
            "manufacturer": p.manufacturer,
            "expected_manufacturer": p.expected_manufacturer,
            "cannot_tell_because": p.cannot_tell,
            "brand": p.brand,
            "model": p.model,
            "firmware": p.firmware,
            "device_type": p.device_type,
            "personality": p.name,
            "hostile": p.hostile,
            "login_required": any(r.challenge for s in p.services for r in s.routes.values()),
            "ports": sorted(s.port for s in p.services),
            "source": "; ".join(p.sources()) or p.note,
        }


TEST_NAMESPACE_PREFIX = "ca-"


def in_private_namespace() -> bool:
    """True inside a named network namespace made for camaudit's tests (``ip netns add ca-...``)."""
    try:
        here = os.stat("/proc/self/ns/net").st_ino
        named = Path("/run/netns")
        return any(f.name.startswith(TEST_NAMESPACE_PREFIX) and f.stat().st_ino == here for f in named.iterdir())
    except OSError:
        return False


def allowed_network(network: str) -> None:
    net = ipaddress.ip_network(network, strict=False)
    if not net.is_loopback and not in_private_namespace():
        raise FleetError(f"{network} is not loopback: the emulated fleet runs only on 127.0.0.0/8, or inside a "
                         "network namespace made for a test")


def loopback_addresses(network: str, count: int, spread: bool = False) -> list[str]:
    """The first ``count`` addresses of ``network``, or (``spread``) ``count`` addresses spaced evenly across it."""
    allowed_network(network)
    net = ipaddress.ip_network(network, strict=False)
    if spread:
        try:
            return spread_addresses(network, count)
        except LayoutError as exc:
            raise FleetError(str(exc)) from exc
    hosts = list(_take(net.hosts(), count))
    if len(hosts) < count:
        raise FleetError(f"{network} has room for {len(hosts)} devices, not {count}")
    return [str(h) for h in hosts]


def _take(it: Any, n: int) -> Any:
    for i, item in enumerate(it):
        if i >= n:
            return
        yield item


def plan_fleet(network: str, count: int | None = None, names: Sequence[str] | None = None,
               hostile: bool = True, spread: bool = False) -> list[Device]:
    """Devices for the fleet: every personality once (or ``names``), repeated in turn up to ``count``; on the
    first addresses of ``network``, or spaced across all of it (``spread``)."""
    catalog = load_personalities()
    chosen = list(names) if names else [n for n, p in catalog.items() if hostile or not p.hostile]
    unknown = [n for n in chosen if n not in catalog]
    if unknown:
        raise FleetError(f"unknown personalities: {', '.join(unknown)} (see 'camaudit simulate --list')")
    total = count if count is not None else len(chosen)
    addresses = loopback_addresses(network, total, spread)
    return [Device(addr, catalog[chosen[i % len(chosen)]]) for i, addr in enumerate(addresses)]


class Fleet:
    def __init__(self, devices: Sequence[Device], multicast: bool = False, silent: Sequence[str] = (),
                 silent_drop: bool = False, name: str = "0", silent_rest: tuple[str, Sequence[str]] | None = None
                 ) -> None:
        """``silent``: addresses that answer nothing (tarpits on loopback; with ``silent_drop``, nftables drop
        rules, only inside a test's own network namespace)."""
        self.devices = list(devices)
        self.multicast = multicast
        self.silent = list(silent)
        self.silent_drop = silent_drop
        self.silent_rest = silent_rest  # (network, every device's address): all other addresses drop
        self.tarpits = Tarpits()
        self.drops = DropRules(name)
        self.rest_drops = DropRules(f"{name}_rest")
        self.servers: list[asyncio.Server] = []
        self.datagrams: list[asyncio.BaseTransport] = []
        self.stop_event = asyncio.Event()

    async def start(self) -> None:
        if self.silent or self.silent_rest:
            self._silence()
        try:
            for device in self.devices:
                for service in device.personality.services:
                    if service.kind == "udp":
                        self.datagrams += await start_responder(device.address, service, self.multicast,
                                                                self.stop_event)
                        continue
                    ssl_ctx = None
                    if service.kind == "https":
                        ssl_ctx = server_context(service.cert.response if service.cert else "subject: CN=device")
                    server = await asyncio.start_server(
                        handler(service, self.stop_event, device.personality.login),
                        host=device.address, port=service.port, ssl=ssl_ctx,
                        reuse_address=True, backlog=256,
                    )
                    self.servers.append(server)
        except OSError as exc:
            await self.stop()
            raise FleetError(
                f"cannot listen on {device.address}:{service.port}: {exc.strerror}"
                + (" (ports below 1024 need root or CAP_NET_BIND_SERVICE)" if service.port < 1024 else "")
            ) from exc

    def _silence(self) -> None:
        try:
            if self.silent_drop or self.silent_rest:
                if not in_private_namespace():
                    raise FleetError("drop rules for silent addresses are only made inside a network namespace "
                                     f"made for a test (ip netns add {TEST_NAMESPACE_PREFIX}...)")
                if self.silent:
                    self.drops.install(self.silent)
                if self.silent_rest:
                    self.rest_drops.install_all_but(*self.silent_rest)
            else:
                for address in self.silent:
                    self.tarpits.add(address)
        except (LayoutError, OSError) as exc:
            self.tarpits.close()
            raise FleetError(f"cannot make the silent addresses: {exc}") from exc

    async def stop(self) -> None:
        self.stop_event.set()
        self.tarpits.close()
        self.drops.remove()
        self.rest_drops.remove()
        for transport in self.datagrams:
            transport.close()
        self.datagrams.clear()
        for server in self.servers:
            server.close()
        for server in self.servers:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.wait_closed(), 2)
        self.servers.clear()

    def manifest(self) -> dict[str, Any]:
        out: dict[str, Any] = {"devices": [d.manifest_entry() for d in self.devices]}
        if self.silent:
            out["silent"] = list(self.silent)
        if self.silent_rest:
            out["silent_rest"] = self.silent_rest[0]  # every address of this network that holds no device
        return out

    def write_manifest(self, path: Path) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.manifest(), indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)

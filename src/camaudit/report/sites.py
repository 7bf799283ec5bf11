"""Site maps: which site (and organisation) an address belongs to.

A site map is a small YAML file::

    organisation: Example Council
    sites:
      - name: Town Hall
        cidrs: [10.20.0.0/24, 10.20.1.0/24]
        sensitivity: high          # high | medium | normal | low (default normal)
      - name: Depot
        cidrs: [10.30.0.0/16]

``load_site_map(path)`` reads one; ``SiteMap.site_for(address)`` names the site of an address (the most
specific CIDR wins). Without a site map every address is in the single site ``"all"``; with one, an address
no site claims is in ``"unmapped"``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

import yaml

ALL_SITES = "all"
UNMAPPED = "unmapped"
SENSITIVITIES = ("high", "medium", "normal", "low")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class SiteMapError(ValueError):
    """A site map file that cannot be read or does not follow the format."""


@dataclass(frozen=True)
class Site:
    name: str
    cidrs: tuple[Network, ...]
    sensitivity: str = "normal"


@dataclass(frozen=True)
class SiteMap:
    organisation: str | None = None
    sites: tuple[Site, ...] = ()

    def site_for(self, address: str | None) -> str:
        """The site an address belongs to: the site with the longest matching prefix."""
        if not self.sites:
            return ALL_SITES
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return UNMAPPED
        best: tuple[int, str] | None = None
        for site in self.sites:
            for net in site.cidrs:
                if ip.version == net.version and ip in net and (best is None or net.prefixlen > best[0]):
                    best = (net.prefixlen, site.name)
        return best[1] if best else UNMAPPED

    def site(self, address: str | None) -> Site | None:
        """The site object an address belongs to, or None (no map, or no site claims it)."""
        name = self.site_for(address)
        return next((s for s in self.sites if s.name == name), None)

    def names(self) -> list[str]:
        """Every site name in file order (``["all"]`` without a map); ``unmapped`` is not included."""
        return [s.name for s in self.sites] if self.sites else [ALL_SITES]

    def sensitivity(self, name: str) -> str:
        return next((s.sensitivity for s in self.sites if s.name == name), "normal")


def load_site_map(path: str | Path) -> SiteMap:
    """Read and check a site map file (YAML)."""
    where = str(path)
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SiteMapError(f"cannot read site map {where}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise SiteMapError(f"site map {where} is not valid YAML: {exc}") from exc
    return parse_site_map(raw, where)


def parse_site_map(raw: object, where: str) -> SiteMap:
    """Check a site map already read from YAML (``where`` names it in errors)."""
    if not isinstance(raw, dict):
        raise SiteMapError(f"site map {where}: expected a mapping with 'organisation' and 'sites'")
    organisation = raw.get("organisation")
    if organisation is not None and not isinstance(organisation, str):
        raise SiteMapError(f"site map {where}: 'organisation' must be text")
    entries = raw.get("sites") or []
    if not isinstance(entries, list):
        raise SiteMapError(f"site map {where}: 'sites' must be a list")
    sites: list[Site] = []
    seen: set[str] = set()
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"].strip():
            raise SiteMapError(f"site map {where}: site {n} needs a 'name'")
        name = entry["name"].strip()
        if name in seen or name == UNMAPPED:
            raise SiteMapError(f"site map {where}: site name {name!r} is used twice or reserved")
        seen.add(name)
        cidrs = entry.get("cidrs", entry.get("networks"))
        if not isinstance(cidrs, list) or not cidrs:
            raise SiteMapError(f"site map {where}: site {name!r} needs a non-empty 'cidrs' list")
        nets: list[Network] = []
        for cidr in cidrs:
            try:
                nets.append(ipaddress.ip_network(str(cidr), strict=False))
            except ValueError as exc:
                raise SiteMapError(f"site map {where}: site {name!r}: {cidr!r} is not an address or CIDR") from exc
        sensitivity = entry.get("sensitivity", "normal")
        if sensitivity not in SENSITIVITIES:
            raise SiteMapError(f"site map {where}: site {name!r}: sensitivity must be high, medium, normal or low")
        sites.append(Site(name, tuple(nets), sensitivity))
    return SiteMap(organisation.strip() if organisation else None, tuple(sites))

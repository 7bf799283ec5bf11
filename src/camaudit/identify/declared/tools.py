"""What another tool concluded about a device and stored next to its answers: nmap's ``-sV`` service
match (product, CPE), Shodan's product/CPE labels, Censys' software labels. These are the tool's
judgement, not the device's answer: evidence of the weaker kind, labelled with the tool's name."""

from __future__ import annotations

from camaudit.identify.declared.reading import Statement, clean
from camaudit.identify.declared.structured import View


def _cpe_vendors(value: str) -> list[str]:
    """The vendor part of each CPE (``cpe:/h:hikvision:ds-2cd2032-i``, ``cpe:2.3:h:dahua:...``)."""
    out = []
    for cpe in value.replace(",", " ").split():
        parts = cpe.split(":")
        if cpe.startswith("cpe:2.3:") and len(parts) > 3:
            out.append(parts[3])
        elif cpe.startswith("cpe:/") and len(parts) > 2:
            out.append(parts[2])
    return [v.replace("_", " ") for v in out if v and v != "*"]


def _conclusions(view: View, tool: str, product_keys: tuple[str, ...]) -> list[Statement]:
    pairs = dict(view.lines)
    out = []
    for key in product_keys:
        for value in pairs.get(f"{tool}.{key}", "").split(", "):
            text = clean(value)
            if text:
                out.append(Statement("name", text, f"{tool}.{key}"))
    for vendor in _cpe_vendors(pairs.get(f"{tool}.cpe", "")):
        text = clean(vendor)
        if text:
            out.append(Statement("maker", text, f"{tool}.cpe"))
    return out


def nmap(view: View) -> list[Statement]:
    return _conclusions(view, "nmap", ("product",))


def shodan(view: View) -> list[Statement]:
    return _conclusions(view, "shodan", ("product",))


def censys(view: View) -> list[Statement]:
    return _conclusions(view, "censys", ("software",))

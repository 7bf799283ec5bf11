"""What another tool concluded about a device and stored next to its answers: nmap's ``-sV`` service
match (product, CPE), Shodan's product/CPE labels, Censys' software labels. These are the tool's
judgement, not the device's answer: evidence of the weaker kind, labelled with the tool's name."""

from __future__ import annotations

import re

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


#: a port line of nmap -sV's printed table (``80/tcp   open  http    Bosch Logamatic Gateway web KM200 httpd``):
#: the port, its state, the service and nmap's version column, after any log or paste prefix (``| ``)
_PORT_LINE = re.compile(r"^[ \t|]{0,8}\d{1,5}/(?:tcp|udp|sctp)[ \t]+open[ \t]+[\w/.?-]{1,40}[ \t]+(\S.{0,200})$")
MAX_PORT_LINES = 64  # port lines of one table read


def nmap_table(view: View) -> list[Statement]:
    """nmap -sV's printed port table as it is pasted: each open port's version column, nmap's product and
    version with its extra information in brackets left out (the extra information is often another product's
    name: "BusyBox ftpd (D-Link DCS-932L IP-Cam camera)"). Only the product's leading words are resolved."""
    out: list[Statement] = []
    for line in view.text[:65536].splitlines():
        found = _PORT_LINE.match(line)
        if found is None:
            continue
        product = found.group(1).split("(", 1)[0]
        text = clean(product)
        if text and not text.startswith("?"):
            out.append(Statement("name", text, "nmap.version"))
        if len(out) >= MAX_PORT_LINES:
            break
    return out

"""mDNS / DNS-SD: TXT record items (``key=value``) and default service instance names ("AXIS P3265-V -
B8A44F631339", "HIKVISION DS-2CD2722FWD-IZS - 733050075"), as camaudit's decoder writes them
(``TXT <instance> k=v k=v``, ``PTR <service> <instance>``)."""

from __future__ import annotations

from camaudit.identify.declared.reading import MAX_ITEMS, MAX_TEXT, Statement, clean

_TXT = {"manufacturer": "maker", "mf": "maker", "vendor": "maker", "brand": "maker", "model": "model",
        "md": "model", "modelnumber": "model", "macaddress": "mac", "mac": "mac", "serial": "serial",
        "serialnumber": "serial", "sn": "serial", "fw": "firmware", "fv": "firmware", "firmware": "firmware",
        "firmwareversion": "firmware"}


def _instance(name: str) -> str | None:
    """The device's own part of a service instance name: before " - <id>" and the service type."""
    head = name.split("._", 1)[0]
    head = head.rsplit(" - ", 1)[0] if " - " in head else head
    return clean(head)


def records(text: str) -> list[Statement]:
    out = []
    seen: set[tuple[str, str]] = set()
    for count, line in enumerate(text[:MAX_TEXT].splitlines()):
        if count >= MAX_ITEMS:
            break
        kind, _, rest = line.partition(" ")
        found: list[Statement] = []
        if kind == "TXT":
            tokens = rest.split(" ")
            first_item = next((i for i, t in enumerate(tokens) if "=" in t), len(tokens))
            name = _instance(" ".join(tokens[:first_item]))
            if name:
                found.append(Statement("name", name, "TXT instance name"))
            for token in tokens[first_item:]:
                key, _, value = token.partition("=")
                field = _TXT.get(key.lower())
                cleaned = clean(value)
                if field and cleaned:
                    found.append(Statement(field, cleaned, f"TXT {key}"))
        elif kind == "PTR" and "._" in rest:
            target = rest.split(" ", 1)[1] if " " in rest else ""
            name = _instance(target) if " - " in target else None
            if name:
                found.append(Statement("name", name, "PTR instance name"))
        for statement in found:
            if (statement.field, statement.value) not in seen:
                seen.add((statement.field, statement.value))
                out.append(statement)
    return out

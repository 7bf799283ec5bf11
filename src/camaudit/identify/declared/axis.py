"""Axis VAPIX: ``param.cgi?action=list`` answers (``root.Brand.*``, ``root.Properties.*``, also the older
lists without ``root.``) and the JSON ``basicdeviceinfo.cgi`` answer (``propertyList``)."""

from __future__ import annotations

from camaudit.identify.declared.reading import Statement, clean
from camaudit.identify.declared.structured import View

_PARAMS = {"Brand.Brand": "maker", "Brand.ProdNbr": "model", "Brand.ProdFullName": "name",
           "Properties.Firmware.Version": "firmware", "Properties.System.SerialNumber": "serial"}
_BASIC = {"Brand": "maker", "ProdNbr": "model", "ProdFullName": "name", "Version": "firmware",
          "SerialNumber": "serial"}


def params(view: View) -> list[Statement]:
    pairs: dict[str, str] = {}
    for key, value in view.lines:
        pairs.setdefault(key.removeprefix("root."), value)
    for key in ("Brand", "ProdNbr", "ProdFullName"):  # the oldest firmware lists Brand.* without the group
        if key in pairs:
            pairs.setdefault(f"Brand.{key}", pairs[key])
    table, where = _PARAMS, "root."
    if not any(key in pairs for key in _PARAMS):
        pairs, table, where = view.under("propertyList"), _BASIC, "propertyList/"
    out = []
    for key, field in table.items():
        found = clean(pairs.get(key))
        if found:
            out.append(Statement(field, found, f"{where}{key}"))
    return out

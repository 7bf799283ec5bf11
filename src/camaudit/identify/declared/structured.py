"""One structured view of an answer, whichever rendering it came in: the XML a device sent, the JSON a
tool stored it as (xmltodict's ``@attr``/``#text`` convention included), a Python dict printed in a log,
or key=value lines. Parsers look fields up in this view by name, so one parser reads every rendering.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from camaudit.identify.declared.reading import (
    DICT_START,
    MAX_TEXT,
    key_values,
    load_dict_literal,
    load_json,
    loose_pairs,
    loose_xml_fields,
    walk,
    xml_fields,
    xml_root,
)


@dataclass(frozen=True)
class Field:
    parent: str  # the enclosing element or object ("DeviceInfo", "GetDeviceInformationResponse", "")
    key: str
    value: str


@dataclass
class View:
    """The fields of one answer, parsed on first use and shared by every parser that reads it."""

    text: str
    _fields: list[Field] | None = field(default=None, repr=False)
    _lines: list[tuple[str, str]] | None = field(default=None, repr=False)
    _index: dict[str, list[Field]] | None = field(default=None, repr=False)

    @property
    def fields(self) -> list[Field]:
        if self._fields is None:
            self._fields = _structured(self.text)
        return self._fields

    @property
    def lines(self) -> list[tuple[str, str]]:
        """``key=value`` lines (magicBox, VAPIX param.cgi), read only when a parser asks for them."""
        if self._lines is None:
            self._lines = list(key_values(self.text))
        return self._lines

    def under(self, *parents: str) -> dict[str, str]:
        """The first value of each key whose parent is one of ``parents``, in the order given (case-insensitive;
        a parent written ``a/b`` must end the key's path, as ``device_info/info`` does
        ``getDeviceInfo/device_info/info``)."""
        if self._index is None:
            self._index = {}
            for f in self.fields:
                self._index.setdefault(f.parent.rsplit("/", 1)[-1].lower(), []).append(f)
        out: dict[str, str] = {}
        for wanted in parents:
            name = wanted.lower()
            last = name.rsplit("/", 1)[-1]
            for f in self._index.get(last, ()):
                parent = f.parent.lower()
                if "/" not in name or parent == name or parent.endswith("/" + name):
                    out.setdefault(f.key, f.value)
        return out


def _structured(text: str) -> list[Field]:
    head = text.lstrip()[:1]
    if head == "<" or ("<" in text[:512] and "</" in text):
        root = xml_root(text)
        if root is not None:
            return [Field(parent, key, value) for parent, key, value in xml_fields(root)]
        loose = [Field(parent, key, value) for parent, key, value in loose_xml_fields(text)]
        if loose:
            return loose
    value = load_json(text) if ("{" in text or "[" in text) else None
    if not isinstance(value, (dict, list)) and DICT_START.search(text[:MAX_TEXT]):
        value = load_dict_literal(text)  # a dict printed by Python, on one line or pretty-printed
    if isinstance(value, (dict, list)):
        out = []
        for parent, key, inner in walk(value):
            if isinstance(inner, (str, int, float)) and not isinstance(inner, bool):
                if key == "#text":  # xmltodict puts an element's text under '#text' when it has attributes
                    parent, _, key = parent.rpartition("/")
                out.append(Field(parent, key.lstrip("@"), str(inner)))
        return out
    if "(" in text or "{" in text:
        # a rendering that is neither JSON nor a Python literal (a dataclass repr, a JavaScript object): its pairs,
        # at the top level
        return [Field("", key, inner) for key, inner in loose_pairs(text).items()]
    return []

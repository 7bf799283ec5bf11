"""Published vulnerability records read offline: CVE JSON 5, NVD CVE API 2.0 JSON, CISA KEV, FIRST EPSS.

Each reader turns one record into a *draft* advisory (plain data in the shape of
``data/schema/vulnerabilities.json``) for the makers camaudit has firmware grammars for, or says why it
cannot: :class:`RecordError` names the record and what is wrong, and the caller carries on with the rest.

How a record's affected products become model patterns and firmware bounds (the ``rule`` of each group):

``cve5.versions``
    CVE 5 ``affected[]``: the ``product`` text is split into model names where it lists several
    (``,`` ``;`` ``and`` ``[`` ``|`` ``\\``); a name is a model when it has no space and a digit or an ``x``
    wildcard, or it is the one series code among words ("DS-KH63 Series", "DS-76xxNXI-Kx(/xP) including(D)");
    an optional suffix written last in brackets ("(/xP)") is dropped, since the series' prefix covers it.
    ``versions[]`` with status ``affected`` give ``from`` = ``version`` and ``to`` = ``lessThanOrEqual`` or
    ``before`` = ``lessThan``; status ``unaffected`` gives a ``fixed`` version. A version the maker's grammar
    does not read is kept in ``published`` and left unbounded (so a match is only *possibly* affected).
``cve5.buildtime``
    Dahua-style "Build time before June, 2021" in the record's text: ``build_before`` = the first of
    that month.
``cve5.description``
    No model in ``product``: model names the model grammars recognise in the description.
``nvd.cpe``
    NVD ``configurations``: each vulnerable ``cpe:2.3:o:<vendor>:<product>_firmware`` (or the ``h:``
    hardware it runs on) names a model; ``versionStart*``/``versionEnd*`` give the bounds (an excluding
    end is ``before``), a version in the CPE itself gives ``from`` = ``to``.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import tarfile
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from camaudit.knowledge.firmware import FirmwareError, maker_key, parse_strict
from camaudit.untrusted import InputError, loads_json

MAX_MEMBER = 256 * 1024 * 1024
CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")
CVE_FILE = re.compile(r"^CVE-\d{4}-\d{4,}\.json$", re.IGNORECASE)
#: the separators of a list of products (the parts are stripped after; no ``\s*`` around the separators,
#: which made a long run of spaces cost quadratic time)
LIST_SPLIT = re.compile(r"(?:,|;|\band\b|\[|\||\\|、)", re.IGNORECASE)  # \\: "IPC-HDW4300S\\NVR11HS"
MAX_TOKEN = 256  # characters of one word of a product list looked at as a model name (none is nearly so long)
MODEL_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9()/+._-]{2,}$")
MONTHS = {m: i + 1 for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july",
                                          "august", "september", "october", "november", "december"))}
_BUILD_DATE = (r"(?:(?P<dday>\d{1,2})(?:st|nd|rd|th)?\s+(?P<dmonth>[A-Za-z]{3,}),?\s*(?P<dyear>\d{4})"
               r"|(?P<month>[A-Za-z]{3,})\.?\s*(?:(?P<day>\d{1,2})(?:st|nd|rd|th)?\b)?,?\s*(?P<year>\d{4})"
               r"|(?P<y>\d{4})[/-](?P<m>\d{1,2})(?:[/-](?P<d>\d{1,2}))?|(?P<yymmdd>\d{6})\b)")
BUILD_START = re.compile(r"between\s+(?P<y>\d{4})[/-](?P<m>\d{1,2})(?:[/-](?P<d>\d{1,2}))?\b", re.IGNORECASE)
DATE_TOKEN = re.compile(r"\b\d{4}[/-]\d{1,2}\b")
BUILDTIME = re.compile(  # "Buildtime before May, 2020", "Build time before 2024/2/2", "Build before 2017/09",
    # "Build date before 230821", "Buildtime between 2017/7 ~ 2021/7" (the end is the bound, included),
    # "build time prior to 1st July 2025 (not including 1st July 2025)"
    r"build\s*(?:time|date)?\s+(?:is\s+)?(?:(?P<between>between\s+\S+\s*(?:~|-|\u2013|and|to)\s*)"
    r"|(?:before|prior\s+to)\s+)"
    + _BUILD_DATE, re.IGNORECASE)
VERSION = r"V?\d+(?:\.\d+)+(?:-\d+)?(?:\s*build\s*\d{6})?(?:\.[A-Z])?"
PHRASES = (  # version phrases of the CNAs' prose, most specific first: (pattern, bounds it gives)
    # "(Version before V4.1.60 are not affected)": the lower bound of the affected line, not an upper one
    (re.compile(rf"(?:versions?\s+)?(?:before|below|prior\s+to|earlier\s+than)\s+(?P<a>{VERSION})\s*"
                rf"(?:are|is)\s+not\s+affected", re.I), ("from", None)),
    (re.compile(rf"after\s+(?P<a>{VERSION})\s*\(including[^)]*\)\s*and\s+before\s+(?P<b>{VERSION})", re.I),
     ("from", "before")),
    (re.compile(rf"after\s+(?P<a>{VERSION})\s*and\s+before\s+(?P<b>{VERSION})", re.I), ("from", "before")),
    (re.compile(rf"between\s+(?P<a>{VERSION})\s+and\s+(?P<b>{VERSION})", re.I), ("from", "to")),
    (re.compile(rf"(?:below|before)\s+(?P<b>{VERSION})\s*\(including", re.I), (None, "to")),
    (re.compile(rf"(?P<b>{VERSION})\s+and\s+(?:the\s+versions?\s+)?(?:prior|earlier|before|below)", re.I),
     (None, "to")),
    (re.compile(rf"(?:up\s+to|through|to)\s+(?P<b>{VERSION})", re.I), (None, "to")),
    (re.compile(rf"(?:below|before|prior\s+to|earlier\s+than)\s+(?P<b>{VERSION})", re.I), (None, "before")),
)
NOT_A_MODEL = re.compile(  # a day ("1st July 2025") or a version ("between V1.4.0 and V2.2.0") in the same prose,
    # or a firmware build with letters in its parts ("2.420.AC00.18.R.20200217", "2.800.0000000.6.R.200314.bin")
    rf"^(?:\d{{1,2}}(?:st|nd|rd|th)|{VERSION}|V?\d+\.\d+\.[A-Z0-9]+(?:\.[A-Z0-9]+)+)$", re.IGNORECASE)
SERIES_CODE = re.compile(r"^[A-Z]{2,}[0-9]*[Xx]*-[A-Z0-9]*[0-9X][A-Za-z0-9/()-]*$")  # IPC-HFW1XXX, DS-2CD2xx2F
OPTIONAL_TAIL = re.compile(r"(?:\(/[^()]*\))+$")  # "(/xP)", "(/T)": an optional suffix written after a series code
UNDERSCORE_BUILD = re.compile(r"\b(V?\d{1,6}(?:\.\d{1,10}){1,6})_(\d{6})\b")  # bounded: linear on "1.1.1..."
NO_VERSION = {"", "n/a", "*", "-", "all", "all versions", "unspecified", "0"}
#: a word of a record's prose that may name a maker or a label ("Dahua", "Amcrest", "Q-See")
PROSE_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]{2,}")
#: a name that is one item of a list of names ("Novo, Pulnix, QSee, Securus, and TBK Vision")
LISTED_BEFORE = re.compile(r"(?:,|/|\b(?:and|or))\s*$")
LISTED_AFTER = re.compile(r"\s*(?:,|/|(?:and|or)\b)")
DEVICE_WORDS = (
    (re.compile(r"\b(?:ip\s*)?cameras?\b|\bipc\b|\bptz\b|\bdome\b|\bthermal\b", re.I), "IP Camera"),
    (re.compile(r"\bnvrs?\b|network video recorder", re.I), "NVR"),
    (re.compile(r"\b(?:dvr|xvr|hcvr)s?\b|digital video recorder", re.I), "DVR"),
    (re.compile(r"\bintercoms?\b|\bvt[oh]\b|door\s*station", re.I), "Intercom"),
)


class RecordError(ValueError):
    """One record that cannot be used; the message names it."""


@dataclass(frozen=True)
class RecordFile:
    name: str  # path inside the input, for messages
    data: bytes


def cvelist_url(cve: str) -> str:
    """Where the CVE programme publishes the record (the cvelistV5 layout)."""
    year, number = cve.split("-")[1:3]
    return (f"https://raw.githubusercontent.com/CVEProject/cvelistV5/main/cves/{year}/"
            f"{number[:-3]}xxx/{cve}.json")


def cve_org_url(cve: str) -> str:
    """The CVE programme's page for the record."""
    return f"https://www.cve.org/CVERecord?id={cve}"


def nvd_url(cve: str) -> str:
    return f"https://nvd.nist.gov/vuln/detail/{cve}"


# ------------------------------------------------------------------------------------------- inputs --


def _member_ok(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return base.lower().endswith((".json", ".json.gz")) and not base.startswith(".")


ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.bz2")


def _archive_ok(name: str) -> bool:
    """A zip or tarball inside an input folder (the shipped record sets are kept so) is read as well."""
    base = name.rsplit("/", 1)[-1]
    return base.lower().endswith(ARCHIVES) and not base.startswith(".")


def iter_input(path: Path, errors: list[str]) -> Iterator[RecordFile]:
    """JSON files from a file, a directory (recursively, with the zips and tarballs in it), a zip or a tarball.
    Unreadable parts go to errors."""
    name = str(path)
    try:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if _member_ok(child.name):
                    yield from _one_file(child, errors)
                elif _archive_ok(child.name):
                    yield from iter_input(child, errors)
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for info in sorted(archive.infolist(), key=lambda i: i.filename):
                    if info.is_dir() or not _member_ok(info.filename):
                        continue
                    if info.file_size > MAX_MEMBER:
                        errors.append(f"{name}:{info.filename}: larger than {MAX_MEMBER} bytes; skipped")
                        continue
                    yield _decompress(RecordFile(f"{name}:{info.filename}", archive.read(info)))
        elif tarfile.is_tarfile(path):
            with tarfile.open(path) as archive:
                for member in archive:
                    if not member.isfile() or not _member_ok(member.name):
                        continue
                    if member.size > MAX_MEMBER:
                        errors.append(f"{name}:{member.name}: larger than {MAX_MEMBER} bytes; skipped")
                        continue
                    fh = archive.extractfile(member)
                    if fh is not None:
                        yield _decompress(RecordFile(f"{name}:{member.name}", fh.read()))
        else:
            yield from _one_file(path, errors)
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        errors.append(f"{name}: cannot read ({exc})")


def _one_file(path: Path, errors: list[str]) -> Iterator[RecordFile]:
    try:
        if path.stat().st_size > MAX_MEMBER:
            errors.append(f"{path}: larger than {MAX_MEMBER} bytes; skipped")
            return
        yield _decompress(RecordFile(str(path), path.read_bytes()))
    except OSError as exc:
        errors.append(f"{path}: cannot read ({exc.strerror})")


def _decompress(rec: RecordFile) -> RecordFile:
    if rec.data[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(rec.data)) as fh:
                return RecordFile(rec.name, fh.read(MAX_MEMBER + 1))
        except (OSError, EOFError):
            return rec  # the JSON parser reports it
    return rec


def load_json(rec: RecordFile) -> Any:
    """The record's JSON through the one decoder for untrusted input (deep nesting, NaN, huge numbers...)."""
    try:
        text = rec.data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RecordError(f"{rec.name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    try:
        return loads_json(text)
    except InputError as exc:
        raise RecordError(f"{rec.name}: malformed JSON: {exc}") from exc


def kind_of(doc: Any) -> str | None:
    """'cve5', 'nvd' (an API 2.0 response or one of its ``cve`` objects), 'kev', or None."""
    if not isinstance(doc, Mapping):
        return None
    if doc.get("dataType") == "CVE_RECORD" or "cveMetadata" in doc:
        return "cve5"
    if isinstance(doc.get("vulnerabilities"), list):
        if "catalogVersion" in doc or (doc["vulnerabilities"] and isinstance(doc["vulnerabilities"][0], Mapping)
                                       and "cveID" in doc["vulnerabilities"][0]):
            return "kev"
        return "nvd"
    if "sourceIdentifier" in doc and "id" in doc:
        return "nvd"
    return None


# --------------------------------------------------------------------------------------- helpers --


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _english(items: Any) -> str:
    if not isinstance(items, list):
        return ""
    texts = [_text(d.get("value")) for d in items if isinstance(d, Mapping)]
    english = [_text(d.get("value")) for d in items
               if isinstance(d, Mapping) and str(d.get("lang", "")).startswith("en")]
    return next((t for t in english + texts if t), "")


def _day(value: Any) -> str:
    text = _text(value)
    try:
        return date.fromisoformat(text[:10]).isoformat() if text else ""
    except ValueError:
        return ""


def device_types(text: str) -> list[str]:
    return [kind for pattern, kind in DEVICE_WORDS if pattern.search(text)]


def model_tokens(product: str) -> list[str]:
    """Model names in a product field: 'NVR4XXX and IPC-HX8XXX' -> ['NVR4XXX', 'IPC-HX8XXX']."""
    text = "/".join(piece.strip() for piece in product.strip().split("/"))  # "NVR / XVR" is "NVR/XVR"
    out: list[str] = []
    for part in LIST_SPLIT.split(text):
        token = part.strip().strip(".")
        words = token.split()
        if any(len(w) > MAX_TOKEN for w in words):
            continue  # no model name: and the series-code patterns backtrack quadratically on a long word
        if len(words) > 1 and all(_model_shaped(w) for w in words):
            out.extend(words)  # "IPCHDBW2XXX IPCHFW2XXX ASI7XXXX": a list written with spaces
            continue
        if len(words) > 1:  # "Dahua IP Camera and IP PTZ IPC-HFW1XXX": the model after the words naming its kind
            token = words[-1]
            if not SERIES_CODE.match(token):
                # "DS-KH63 Series", "DS-76xxNXI-Kx(/xP)  including(D)": the one series code among the words
                codes = [w for w in words if SERIES_CODE.match(OPTIONAL_TAIL.sub("", w))]
                if len(codes) != 1:
                    continue
                token = codes[0]
        if SERIES_CODE.match(OPTIONAL_TAIL.sub("", token)):
            token = OPTIONAL_TAIL.sub("", token)  # a series' optional suffixes: a prefix of the series covers them
        if _model_shaped(token):
            out.append(token)
    return list(dict.fromkeys(out))  # a list naming a model twice names it once


def _model_shaped(token: str) -> bool:
    return bool(MODEL_TOKEN.match(token) and any(c.isalpha() for c in token)
                and (any(c.isdigit() for c in token) or "xx" in token.lower()) and not NOT_A_MODEL.match(token))


def text_segments(text: str) -> list[tuple[list[str], str | None, str | None]]:
    """Affected-products prose ('IPC-HX3XXX, IPC-HX5XXX Buildtime before May, 2020, XVR4xxx ... Buildtime
    before December, 2019.'): (model names, build_before, build_from) per part, each part ending at its build
    date; build_from is the first day of a "between 2017/7 ~ 2021/7" range, or None."""
    out: list[tuple[list[str], str | None, str | None]] = []
    start = 0
    for found in BUILDTIME.finditer(text):
        out.append((_words_models(text[start:found.start()]), _build_day(found), _build_start(found)))
        start = found.end()
    rest = _words_models(text[start:])
    if rest:
        out.append((rest, None, None))
    return [part for part in out if part[0]]


def _words_models(text: str) -> list[str]:
    words = [w.strip(".,;:()[]") for w in LIST_SPLIT.sub(" ", text).split()]
    return list(dict.fromkeys(w for w in words if model_tokens(w)))


def _bound(maker: str, text: str) -> tuple[str | None, str]:
    """(the version as the grammar accepts it, '') or (None, why not)."""
    if text.strip().lower() in NO_VERSION:
        return None, ""
    try:
        parse_strict(maker, text)
    except FirmwareError as exc:
        return None, _short(f"version {text!r} is not in {maker}'s firmware grammar: {exc}")
    return text.strip(), ""


def _same_line(maker: str, low: str, high: str) -> bool:
    """Whether two versions the grammar read are on one firmware line (the only ones it orders)."""
    return parse_strict(maker, low).family == parse_strict(maker, high).family


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _buildtime(text: str) -> str | None:
    """The build date a firmware must be built before to be affected, from the first build-time phrase."""
    found = BUILDTIME.search(text)
    return _build_day(found) if found else None


def _build_day(found: re.Match[str]) -> str | None:
    try:
        if found["yymmdd"]:
            v = found["yymmdd"]
            day = date(2000 + int(v[:2]), int(v[2:4]), int(v[4:]))
        elif found["y"]:
            if found["d"]:
                day = date(int(found["y"]), int(found["m"]), int(found["d"]))
            else:  # a month: "before 2017/09" is before its first day; "between ... ~ 2021/7" includes it
                year, month = int(found["y"]), int(found["m"])
                if found["between"]:
                    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
                return date(year, month, 1).isoformat()
        elif found["dmonth"] and found["dmonth"].lower() in MONTHS:
            day = date(int(found["dyear"]), MONTHS[found["dmonth"].lower()], int(found["dday"]))
        elif found["month"] and found["month"].lower() in MONTHS:
            day = date(int(found["year"]), MONTHS[found["month"].lower()], int(found["day"] or 1))
        else:
            return None
    except ValueError:
        return None
    if found["between"] and (found["d"] or found["yymmdd"] or found["day"] or found["dday"]):
        day = date.fromordinal(day.toordinal() + 1)  # an inclusive end day
    return day.isoformat()


def _build_start(found: re.Match[str]) -> str | None:
    """The first affected build day of a "between 2017/7 ~ 2021/7" phrase (a month: its first day, included)."""
    start = BUILD_START.match(found["between"] or "")
    if not start:
        return None
    try:
        return date(int(start["y"]), int(start["m"]), int(start["d"] or 1)).isoformat()
    except ValueError:
        return None


def _one_buildtime(text: str) -> tuple[str | None, str | None]:
    """(build_before, build_from) when the text gives exactly one build range (several, for different product
    families, bind none of them: the group is then possibly affected, never judged by the wrong family's date)."""
    found = list(BUILDTIME.finditer(text))
    if any(m["between"] for m in found) and len(DATE_TOKEN.findall(text)) > 2 * len(found):
        return None, None  # "between IPC:2018/12/01 - 2020/12/21 SDXX:2018/10/27 - 2021/05/08 ...": one per family
    ranges = {(_build_day(m), _build_start(m)) for m in found}
    return ranges.pop() if len(ranges) == 1 else (None, None)


def version_phrase(maker: str, text: str) -> tuple[dict[str, str], str] | None:
    """Bounds from a CNA's prose ('Versions after V5.00.000 (including V5.00.000) and before V5.02.006',
    'V4.30.096build221220 and the versions prior to it'): (bounds, rule), or None when no phrase is found."""
    flat = " ".join(text.replace("\uff08", "(").replace("\uff09", ")").split())
    flat = UNDERSCORE_BUILD.sub(r"\1 build \2", flat)  # "V5.7.13_230822" is "V5.7.13 build 230822"
    for pattern, (low, high) in PHRASES:
        found = pattern.search(flat)
        if not found:
            continue
        bounds: dict[str, str] = {}
        for key, target in (("a", low), ("b", high)):
            if target is None:
                continue
            value, _ = _bound(maker, found[key])
            if value is None:
                return None
            bounds[target] = value
        if len(bounds) == 2 and not _same_line(maker, *bounds.values()):
            return None  # "between V1.4.0 and V2.2.0": two firmware lines, no order between them to bound by
        return bounds, "cve5.version-phrase"
    return None


@dataclass(frozen=True)
class Resolver:
    """Maps a record's vendor or product names to the makers camaudit judges and model families."""

    vendor: Callable[[str], str | None]  # the maker itself, or a label it owns (subsidiary, own brand)
    family: Callable[[str], str | None]  # model -> device type via the model grammars, or None
    label: Callable[[str], str | None] = lambda name: None  # an OEM or former label -> the maker behind it
    #: a label the maker makes for now (an OEM label, not a former one) -> the maker; what a vendor-less record's
    #: text may name: it gives no date, and a former label's products were the maker's only for some years
    oem: Callable[[str], str | None] = lambda name: None
    brand: Callable[[str], str | None] = lambda name: None  # a label's own name, None for the maker itself
    #: (maker, the record's product names and description) -> whether it is one of the maker's video-surveillance
    #: products (the maker catalogue's ``video_products``; a maker without that list: always)
    in_scope: Callable[[str, str], bool] = lambda maker, text: True


# ---------------------------------------------------------------------------------------- CVE 5 --


def _cvss_from(metrics: Any, source: str) -> dict[str, Any] | None:
    if not isinstance(metrics, list):
        return None
    for key in ("cvssV4_0", "cvssV3_1", "cvssV3_0", "cvssV2_0"):
        for m in metrics:
            data = m.get(key) if isinstance(m, Mapping) else None
            if isinstance(data, Mapping) and isinstance(data.get("baseScore"), (int, float)):
                version = str(data.get("version") or key[5:].replace("_", "."))
                return {"score": float(data["baseScore"]), "version": version,
                        "vector": _text(data.get("vectorString")) or None, "source": source}
    return None


def _kev_from_adp(adp: Any) -> dict[str, Any] | None:
    for container in adp if isinstance(adp, list) else []:
        for m in container.get("metrics") or [] if isinstance(container, Mapping) else []:
            other = m.get("other") if isinstance(m, Mapping) else None
            if isinstance(other, Mapping) and other.get("type") == "kev":
                added = _day((other.get("content") or {}).get("dateAdded"))
                if added:
                    return {"date_added": added, "due_date": None, "source": "CISA ADP container of the CVE record"}
    return None


def _cwes(problem_types: Any) -> list[str]:
    out: list[str] = []
    for pt in problem_types if isinstance(problem_types, list) else []:
        for d in pt.get("descriptions") or [] if isinstance(pt, Mapping) else []:
            cwe = _text(d.get("cweId")) if isinstance(d, Mapping) else ""
            if cwe and cwe not in out:
                out.append(cwe)
    return out


def parse_cve5(doc: Mapping[str, Any], name: str, resolve: Resolver) -> dict[str, Any] | None:
    """A draft advisory from a CVE JSON 5 record; None when no affected vendor is a maker camaudit judges."""
    meta = doc.get("cveMetadata")
    if not isinstance(meta, Mapping):
        raise RecordError(f"{name}: no 'cveMetadata'")
    cve = _text(meta.get("cveId"))
    if not CVE_ID.match(cve):
        raise RecordError(f"{name}: 'cveMetadata.cveId' is not a CVE id ({cve!r})")
    where = f"{name} ({cve})"
    if meta.get("state") == "REJECTED":
        return None
    containers = doc.get("containers")
    cna = containers.get("cna") if isinstance(containers, Mapping) else None
    if not isinstance(cna, Mapping):
        raise RecordError(f"{where}: no 'containers.cna' (a published record has one)")
    affected = cna.get("affected")
    if not isinstance(affected, list):
        raise RecordError(f"{where}: 'containers.cna.affected' is missing or not a list")
    description = _english(cna.get("descriptions"))
    assigner = resolve.vendor(_text(meta.get("assignerShortName")))
    groups: list[dict[str, Any]] = []
    labels: list[str] = []
    vendor: str | None = None
    url = cvelist_url(cve)

    def maker_of(item: Mapping[str, Any]) -> str | None:
        named = _text(item.get("vendor"))
        maker = resolve.vendor(named) or (assigner if named.lower() in ("", "n/a") else None)
        if maker is None:
            # A label others make for: only its video products are the maker's (an OEM label also sells
            # routers, software and apps of its own).
            maker = resolve.label(named)
            product = _text(item.get("product"))
            if maker is not None and not (device_types(f"{product} {description}")
                                          or any(resolve.family(m) for m in model_tokens(product))):
                maker = None
        return maker

    for i, item in enumerate(affected):
        if not isinstance(item, Mapping):
            raise RecordError(f"{where}: affected[{i}] is not an object")
    makers = [maker_of(item) for item in affected]
    # a record naming several makers (a Roku and a Wyze camera) is the advisory of the first whose product is
    # video surveillance; with none such it stays with the first, and the scope check leaves it out (counted)
    scoped = [m is not None and resolve.in_scope(m, f"{_text(item.get('product'))} {description}")
              for m, item in zip(makers, affected, strict=True)]
    for item, maker, in_scope in zip(affected, makers, scoped, strict=True):
        named = _text(item.get("vendor"))
        if maker is None or (any(scoped) and not in_scope):
            continue
        if resolve.brand(named):
            labels.append(resolve.brand(named) or named)
        vendor = vendor or maker
        groups.extend(_cve5_groups(maker, item, description, url, resolve))
    if vendor is None and all(_text(i.get("vendor")).lower() in ("", "n/a") for i in affected
                              if isinstance(i, Mapping)):
        # Older MITRE records name no vendor: the first word of the description that names a judged maker
        # (or a label tied to one) says whose product it is.
        for word in PROSE_WORD.findall(description):
            vendor = resolve.vendor(word)
            if vendor is not None and maker_key(vendor) is None:
                vendor = None  # only makers with a firmware grammar are named from prose ("axis" is a word)
            if vendor is not None:
                if resolve.brand(word):
                    labels.append(resolve.brand(word) or word)
                for item in affected:
                    for group in _cve5_groups(vendor, item, description, url, resolve):
                        groups.append({**group, "rule": f"{group['rule']}+cve5.description-vendor"})
                break
        products = " ".join(_text(i.get("product")) for i in affected if isinstance(i, Mapping))
        prose = _label_in_prose(description, products, resolve) if vendor is None else None
        if prose is not None:
            # no maker named itself, but a label others make for is (Amcrest's cameras are Dahua's): the
            # maker's advisory, judged only on devices showing the label
            vendor, label = prose
            labels.append(label)
            for item in affected:
                for group in _cve5_groups(vendor, item, description, url, resolve):
                    groups.append({**group, "rule": f"{group['rule']}+cve5.description-label"})
    if vendor is None:
        return None
    published = _day(meta.get("datePublished"))
    if not published:
        raise RecordError(f"{where}: no 'cveMetadata.datePublished'")
    adp = containers.get("adp") if isinstance(containers, Mapping) else None
    cvss = _cvss_from(cna.get("metrics"), f"{vendor} (CNA) in the CVE record")
    if cvss is None:
        for container in adp if isinstance(adp, list) else []:
            provider = (container.get("providerMetadata") or {}) if isinstance(container, Mapping) else {}
            who = _text(provider.get("shortName"))
            cvss = _cvss_from(container.get("metrics") if isinstance(container, Mapping) else None,
                              f"{who or 'ADP'} container of the CVE record")
            if cvss:
                break
    cwe = _cwes(cna.get("problemTypes"))
    for container in adp if isinstance(adp, list) else []:
        cwe += [c for c in _cwes(container.get("problemTypes") if isinstance(container, Mapping) else None)
                if c not in cwe]
    return {
        "id": cve, "vendor": vendor, "title": _text(cna.get("title")) or _title(description, cve),
        "summary": description, "published": published, "updated": _text(meta.get("dateUpdated")),
        "cvss": cvss, "kev": _kev_from_adp(adp), "cwe": cwe, "affected": groups,
        "labels": list(dict.fromkeys(labels)),
        "sources": [{"url": url, "title": f"{cve} CVE JSON 5 record",
                     "date": _day(meta.get("dateUpdated")) or published},
                    {"url": cve_org_url(cve), "title": f"{cve} on cve.org"}],
    }


def _label_in_prose(description: str, products: str, resolve: Resolver) -> tuple[str, str] | None:
    """(maker, label) for the first current OEM label of another maker's products the description names, as
    `maker_of` counts a label in `vendor`: only when the text is about the label's video products (it names a
    device type or a model the model grammars read), and not when the label is one name in a list of sellers
    ("CeNova, Night OWL, Novo, Pulnix, QSee, Securus, and TBK Vision DVR devices"), whose devices may all come
    from another maker. None otherwise."""
    for found in PROSE_WORD.finditer(description):
        maker = resolve.oem(found.group())
        if maker is None:
            continue
        if LISTED_BEFORE.search(description, 0, found.start()) or LISTED_AFTER.match(description, found.end()):
            return None
        models = _words_models(description) + model_tokens(products)
        if not (device_types(f"{products} {description}") or any(resolve.family(m) for m in models)):
            return None
        return maker, resolve.brand(found.group()) or found.group()
    return None


def _title(description: str, cve: str) -> str:
    first = description.split(". ")[0].strip().rstrip(".")
    return (first[:117] + "...") if len(first) > 120 else (first or cve)


SERIES_RANGE = re.compile(  # "DS-2CD2xx2F-I Series V5.2.0 build 140721 to V5.4.0 build 160530"
    rf"(?P<model>[A-Za-z0-9][A-Za-z0-9()/+._-]{{2,}})\s+series\s+(?P<a>{VERSION})\s+to\s+(?P<b>{VERSION})", re.I)


def _description_ranges(maker: str, product: str, description: str, url: str,
                        resolve: Resolver) -> list[dict[str, Any]]:
    """Per-series ranges the description gives ('<model> Series <first> to <last>, ...'), each checked
    against the maker's firmware grammar; [] when the description has none that all read."""
    out: list[dict[str, Any]] = []
    for found in SERIES_RANGE.finditer(" ".join(description.split())):
        model = found["model"]
        first, _ = _bound(maker, found["a"])
        last, _ = _bound(maker, found["b"])
        if resolve.family(model) is None or not first or not last:
            return []
        out.append({"published": product or "(no product named)", "models": [model], "record": url,
                    "from": first, "to": last, "rule": "cve5.description-range"})
    return out


def _cve5_groups(maker: str, item: Mapping[str, Any], description: str, url: str,
                 resolve: Resolver) -> list[dict[str, Any]]:
    product = _text(item.get("product"))
    models = model_tokens(product) if product.lower() not in NO_VERSION else []
    rule = "cve5.versions"
    if not models:
        ranged = _description_ranges(maker, product, description, url, resolve)
        if ranged and all(_bound(maker, _text(v.get("version")))[0] is None
                          for v in item.get("versions") or [] if isinstance(v, Mapping)):
            return ranged  # the versions field says nothing the grammar reads; the description does
        found = [t.strip(".,;:()") for t in description.split()]
        models = list(dict.fromkeys(t for t in found if t and resolve.family(t) is not None))
        rule = "cve5.description" if models else "cve5.product"
    version_texts = " ".join(_text(v.get("version")) for v in item.get("versions") or [] if isinstance(v, Mapping))
    build, build_from = _one_buildtime(f"{description} {version_texts}")
    base: dict[str, Any] = {"published": product or "(no product named)", "models": models, "record": url}
    if (not models and product and product.lower() not in NO_VERSION and not device_types(product)
            and resolve.label(product) is None):
        # a named product (software, a service), matched only by that exact name; a label's own
        # name in `product` ("Amcrest") names no product
        base["models"] = [product]
        base["match"] = "exact"
    elif not models:
        base["bound_note"] = "the record names no model camaudit can match"
    out: list[dict[str, Any]] = []
    fixed: list[str] = []
    notes: list[str] = []
    ranges: list[dict[str, Any]] = []
    prose: list[dict[str, Any]] = []
    for v in item.get("versions") or []:
        if not isinstance(v, Mapping):
            continue
        status = _text(v.get("status"))
        version = _text(v.get("version"))
        phrase = version_phrase(maker, version) if status == "affected" and " " in version else None
        if phrase is not None:
            ranges.append({**phrase[0], "rule": phrase[1]})
            continue
        if status == "affected" and " " in version and len(version) > 30:
            for seg_models, day, first_day in text_segments(version):
                part: dict[str, Any] = {"published": version, "models": seg_models, "record": url,
                                        "rule": "cve5.version-text"}
                if day:
                    part["build_before"] = day
                    if first_day:
                        part["build_from"] = first_day
                    part["rule"] = "cve5.version-text+cve5.buildtime"
                else:
                    part["bound_note"] = "the record's text gives these models no firmware bound"
                prose.append(part)
            if prose:
                continue
        start, why = _bound(maker, version)
        if why:
            notes.append(_short(why))
        if status == "unaffected":
            if start:
                fixed.append(start)
            continue
        if status != "affected":
            continue
        group: dict[str, Any] = {}
        if start and start == _text(v.get("lessThan")):
            # 'version X, lessThan X' is an empty range as CVE 5 defines it; the CNAs that write it mean
            # "X and earlier" (their advisories say so), so it is read that way and the group says so.
            ranges.append({"to": start, "rule": "cve5.versions",
                           "bound_note": f"the record gives version {start} with lessThan {start}; read as "
                                         f"'{start} and earlier'"})
            continue
        if start:
            group["from"] = start
        for key, target in (("lessThanOrEqual", "to"), ("lessThan", "before")):
            text = _text(v.get(key))
            if text:
                bound, why = _bound(maker, text)
                if bound:
                    group[target] = bound
                elif why:
                    notes.append(why)
        if start and not (v.get("lessThan") or v.get("lessThanOrEqual")):
            group["to"] = start  # one named version
        if group:
            ranges.append(group)
    if prose and not ranges:
        named = {m for part in prose for m in part["models"]}
        own = [m for m in models if m not in named]
        if own:  # "V3.216.0000006.0.R and NVR2XXX-4KS2": the text names another product; keep this one's too
            prose.insert(0, {**base, "models": own, "rule": rule,
                             "bound_note": "the version text also names other models; no bound is read for these"})
        return prose
    for group in ranges or [{}]:
        entry = {**base, "rule": rule, **group}
        if build:
            entry["build_before"] = build
            if build_from:
                entry["build_from"] = build_from
            entry["rule"] = f"{entry['rule']}+cve5.buildtime"
        if fixed:
            entry["fixed"] = list(fixed)
        if notes:
            entry["bound_note"] = "; ".join(dict.fromkeys(notes))
        if entry["models"] and not entry.get("bound_note") and not any(
                k in entry for k in ("from", "to", "before", "build_before", "fixed")):
            entry["bound_note"] = "the record names no affected firmware version"
        out.append(entry)
    return out


# ------------------------------------------------------------------------------------------ NVD --


def _cpe_fields(criteria: str) -> list[str]:
    """Split a CPE 2.3 formatted string on unescaped colons, unescaping the rest."""
    fields: list[str] = []
    cur: list[str] = []
    escaped = False
    for ch in criteria:
        if escaped:
            cur.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ":":
            fields.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    fields.append("".join(cur))
    return fields


def _cpe_model(product: str) -> str:
    name = re.sub(r"_firmware$", "", product)
    return name.replace("_", " ").upper()


def _nvd_metrics(metrics: Any) -> dict[str, Any] | None:
    if not isinstance(metrics, Mapping):
        return None
    for key in ("cvssMetricV40", "cvssMetricV31", "cvssMetricV30", "cvssMetricV2"):
        rows = metrics.get(key)
        if not isinstance(rows, list) or not rows:
            continue
        rows = sorted(rows, key=lambda r: 0 if isinstance(r, Mapping) and r.get("type") == "Primary" else 1)
        data = rows[0].get("cvssData") if isinstance(rows[0], Mapping) else None
        if isinstance(data, Mapping) and isinstance(data.get("baseScore"), (int, float)):
            who = _text(rows[0].get("source")) or "NVD"
            return {"score": float(data["baseScore"]), "version": str(data.get("version") or ""),
                    "vector": _text(data.get("vectorString")) or None,
                    "source": f"{who} ({rows[0].get('type', '?')}) in the NVD record"}
    return None


def parse_nvd(cve_obj: Mapping[str, Any], name: str, resolve: Resolver) -> dict[str, Any] | None:
    """A draft advisory from one NVD CVE API 2.0 ``cve`` object; None when no CPE names a judged maker."""
    cve = _text(cve_obj.get("id"))
    if not CVE_ID.match(cve):
        raise RecordError(f"{name}: 'id' is not a CVE id ({cve!r})")
    where = f"{name} ({cve})"
    if _text(cve_obj.get("vulnStatus")) == "Rejected":
        return None
    configs = cve_obj.get("configurations")
    if configs is not None and not isinstance(configs, list):
        raise RecordError(f"{where}: 'configurations' is not a list")
    url = nvd_url(cve)
    groups: list[dict[str, Any]] = []
    labels: list[str] = []
    vendor: str | None = None
    for c, config in enumerate(configs or []):
        nodes = config.get("nodes") if isinstance(config, Mapping) else None
        if not isinstance(nodes, list):
            raise RecordError(f"{where}: configurations[{c}] has no 'nodes' list")
        hardware: list[str] = []
        software: list[tuple[str, Mapping[str, Any], list[str]]] = []
        for node in nodes:
            for match in node.get("cpeMatch") or [] if isinstance(node, Mapping) else []:
                if not isinstance(match, Mapping) or not isinstance(match.get("criteria"), str):
                    raise RecordError(f"{where}: configurations[{c}] has a cpeMatch without 'criteria'")
                fields = _cpe_fields(match["criteria"])
                if len(fields) < 6 or fields[0] != "cpe" or fields[1] != "2.3":
                    raise RecordError(f"{where}: {match['criteria']!r} is not a CPE 2.3 name")
                maker = resolve.vendor(fields[3]) or resolve.label(fields[3])
                if maker is None:
                    continue
                if resolve.brand(fields[3]):
                    labels.append(resolve.brand(fields[3]) or fields[3])
                if fields[2] == "h":
                    hardware.append(_cpe_model(fields[4]))
                elif match.get("vulnerable") is True:
                    software.append((maker, match, fields))
        for maker, match, fields in software:
            vendor = vendor or maker
            models = hardware or [_cpe_model(fields[4])]
            group: dict[str, Any] = {"published": match["criteria"], "models": list(dict.fromkeys(models)),
                                     "match": "prefix", "rule": "nvd.cpe", "record": url}
            notes: list[str] = []
            version = fields[5]
            for key, target in (("versionStartIncluding", "from"), ("versionEndIncluding", "to"),
                                ("versionEndExcluding", "before")):
                text = _text(match.get(key))
                if text:
                    bound, why = _bound(maker, text)
                    if bound:
                        group[target] = bound
                    else:
                        notes.append(why)
            if _text(match.get("versionStartExcluding")):
                notes.append(f"versions after {match['versionStartExcluding']} (an excluding start) are read as "
                             "unbounded below")
            if version not in ("*", "-", ""):
                bound, why = _bound(maker, version)
                if bound:
                    group["from"] = group["to"] = bound
                else:
                    notes.append(why)
            if notes:
                group["bound_note"] = "; ".join(notes)
            groups.append(group)
    if vendor is None:
        return None
    published = _day(cve_obj.get("published"))
    if not published:
        raise RecordError(f"{where}: no 'published' date")
    kev = None
    if _day(cve_obj.get("cisaExploitAdd")):
        kev = {"date_added": _day(cve_obj["cisaExploitAdd"]), "due_date": _day(cve_obj.get("cisaActionDue")) or None,
               "source": "CISA KEV fields of the NVD record"}
    cwe: list[str] = []
    for w in cve_obj.get("weaknesses") or []:
        for d in w.get("description") or [] if isinstance(w, Mapping) else []:
            value = _text(d.get("value")) if isinstance(d, Mapping) else ""
            if value.startswith("CWE-") and value not in cwe:
                cwe.append(value)
    description = _english(cve_obj.get("descriptions"))
    return {
        "id": cve, "vendor": vendor, "title": _text(cve_obj.get("cisaVulnerabilityName")) or _title(description, cve),
        "summary": description, "published": published, "updated": _text(cve_obj.get("lastModified")),
        "cvss": _nvd_metrics(cve_obj.get("metrics")), "kev": kev, "cwe": cwe, "affected": groups,
        "labels": list(dict.fromkeys(labels)),
        "sources": [{"url": url, "title": f"{cve} NVD CVE API 2.0 record",
                     "date": _day(cve_obj.get("lastModified")) or published}],
    }


def nvd_items(doc: Mapping[str, Any], name: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(name, cve object) for an API 2.0 response (``vulnerabilities[].cve``) or a bare ``cve`` object."""
    if "vulnerabilities" not in doc:
        yield name, doc
        return
    for i, item in enumerate(doc["vulnerabilities"]):
        cve = item.get("cve") if isinstance(item, Mapping) else None
        label = f"{name}: vulnerabilities[{i}]"
        if not isinstance(cve, Mapping):
            yield label, {}
        else:
            yield f"{label} ({_text(cve.get('id')) or '?'})", cve


# ----------------------------------------------------------------------------------------- EPSS --


def parse_epss(data: bytes, name: str) -> tuple[dict[str, tuple[float, float | None]], str]:
    """FIRST's EPSS CSV (``#model_version:...,score_date:...`` then ``cve,epss,percentile``): scores, date."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RecordError(f"{name}: not UTF-8 text") from exc
    lines = text.splitlines()
    score_date = ""
    if lines and lines[0].startswith("#"):
        for part in lines[0].lstrip("#").split(","):
            key, _, value = part.partition(":")
            if key.strip() == "score_date":
                score_date = value.strip()[:10]
        lines = lines[1:]
    reader = csv.DictReader(lines)
    if reader.fieldnames is None or not {"cve", "epss"} <= set(reader.fieldnames):
        raise RecordError(f"{name}: not FIRST's EPSS CSV (expected a 'cve,epss,percentile' header)")
    out: dict[str, tuple[float, float | None]] = {}
    for n, row in enumerate(reader, start=2):
        try:
            score = float(row["epss"])
            pct = float(row["percentile"]) if row.get("percentile") else None
        except (TypeError, ValueError) as exc:
            raise RecordError(f"{name}: line {n}: EPSS score is not a number ({row.get('epss')!r})") from exc
        if not 0.0 <= score <= 1.0:
            raise RecordError(f"{name}: line {n}: EPSS score {score} is outside 0-1")
        out[str(row["cve"]).strip()] = (score, pct)
    return out, score_date



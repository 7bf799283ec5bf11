"""The fields in which a device names itself in free text: an HTTP, RTSP or SSDP ``Server`` header, an
authentication realm, a page title, a telnet greeting, a certificate's subject and issuer, a DHCP vendor
class. Each becomes a ``banner`` statement; whether it names a maker is the maker catalogue's question,
answered by :meth:`camaudit.identify.declared.resolve.Resolver.within` (a catalogue name as whole words,
never a part of a word, and never one a third party's software or a certificate authority carries).

Only these self-descriptive fields are read: a page body, a Date header or a cookie is not.
"""

from __future__ import annotations

import html
import re
from collections import deque
from functools import lru_cache
from typing import Any

from camaudit.identify.declared.message import later_rtsp_heads, split_head, unescape
from camaudit.identify.declared.reading import Statement, load_json
from camaudit.identify.declared.structured import View

MAX_BANNER = 512  # characters of one field looked at
HEAD_WINDOW = 65536  # characters of a message in which :func:`headers` looks for its header lines
#: the only headers :func:`headers` reads (the evidence memo relies on it: keep it in step)
HEADERS_READ = frozenset({"server", "www-authenticate", "proxy-authenticate"})
MAX_FIELDS = 8  # fields of one kind looked at per answer

_TITLE = re.compile(r"<title[^<>]{0,256}>([^<]{1,512})</title\s*>", re.IGNORECASE)
#: an authentication realm, quoted as RFC 9110 has it, or bare up to the next comma as embedded servers write it
#: (``Basic realm=NTP clock``)
_REALM = re.compile(r'\brealm\s*=\s*(?:"([^"]{1,256})"|([^",\s][^",]{0,255}))', re.IGNORECASE)
#: one CN, O or OU of a distinguished name, by its short or its long name (nmap's ssl-cert script writes
#: ``commonName=.../organizationName=...``), after a ``,``, a ``/`` (OpenSSL's one-line form) or a ``;`` (curl's)
_DN_FIELD = re.compile(r"(?:^|[,/;])\s*(CN|O|OU|commonName|organizationName|organizationalUnitName)\s*=\s*"
                       r"((?:\\,|[^,/;])+)", re.IGNORECASE)
_DN_NAMES = {"commonname": "CN", "organizationname": "O", "organizationalunitname": "OU"}
#: the line naming a certificate's subject or issuer, as tools print it: ``Subject: ...`` (a certificate dump,
#: ``openssl x509 -text``), ``subject=...`` (``openssl x509 -subject``), ``| ssl-cert: Subject: ...`` and
#: ``| Issuer: ...`` (nmap's ssl-cert script), ``"subject_dn": "..."`` (a JSON record), ``*  issuer: CN=...; O=...``
#: (``curl -v``, its fields separated by semicolons)
_DN_LINE = re.compile(r"^[\s|_*]*(?:ssl-cert:\s*)?[\"']?(subject|issuer)(?:[ _]?(?:dn|name))?[\"']?\s*[:=]\s*(.*)$",
                      re.IGNORECASE)
#: a heading naming a certificate's subject or issuer whose fields follow on the next lines, each indented deeper
#: than the heading (nmap's ssl-cert elements as a scanner front end lists them: ``Issuer`` then ``    CN: ...``,
#: ``    Org: ...``; ``openssl x509 -text -nameopt multiline`` and ``openssl ca``: ``Subject:`` then
#: ``    commonName = ...``; ``certutil -dump``: ``Issuer:`` then ``    CN=...`` and ``    O=...``)
_DN_HEAD = re.compile(r"^([\s|_*]*)(?:ssl-cert:\s*)?[\"']?(subject|issuer)(?:[ _]?(?:dn|name))?[\"']?\s*:?\s*$",
                      re.IGNORECASE)
#: one field of such a block: its indentation, its name (short or long, in any of those tools' spellings), its value
_DN_ITEM = re.compile(r"^([\s|_*]*)([A-Za-z][A-Za-z ]{0,39}?)\s*[:=]\s*(.*)$")
#: the field names of a block that are read, as the CN, O or OU they are (the others, C, ST, L, email..., are not)
_ITEM_NAMES = {"cn": "CN", "commonname": "CN", "common name": "CN", "o": "O", "org": "O", "organization": "O",
               "organisation": "O", "organizationname": "O", "organization name": "O", "ou": "OU", "orgunit": "OU",
               "org unit": "OU", "organizational unit": "OU", "organisational unit": "OU",
               "organizationalunitname": "OU", "organizational unit name": "OU"}
MAX_BLOCK_LINES = 24  # lines of one heading's block read
#: ``openssl s_client``'s lines about the server's own certificate: ``depth=0 CN = ..., O = ...`` (the verify
#: callback's line for the leaf: its subject) and the chain listing's first entry, `` 0 s:...`` then ``   i:...``
#: (its subject and issuer); deeper entries (``depth=1``, `` 1 s:``) are the CAs that issued it
_S_CLIENT = re.compile(r"^\s{0,8}(?:depth=0 (?P<depth>.+)|0 s:(?P<subject>.+)|i:(?P<issuer>.+))$")
#: a run of ``\xNN`` escapes, as nmap and scanners write the bytes of a non-ASCII character (a no-break space in
#: UTF-8: ``\xC2\xA0``)
_HEX_RUN = re.compile(r"(?:\\x[0-9A-Fa-f]{2}){1,64}")


def _stated(path: str, values: list[str]) -> list[Statement]:
    out = []
    for value in values[:MAX_FIELDS]:
        text = " ".join(value.split())[:MAX_BANNER]
        if text and (text.lower() != text.upper() if text.isascii() else any(ch.isalpha() for ch in text)):
            out.append(Statement("banner", text, path))
    return out


def _server_and_realms(lines: list[tuple[str, str]]) -> list[Statement]:
    """The Server values and the realms of the challenges among (lower-case name, value) header lines."""
    servers = [v for n, v in lines if n == "server"]
    realms = [quoted or bare.strip() for n, v in lines if n in ("www-authenticate", "proxy-authenticate")
              for quoted, bare in _REALM.findall(v)]
    return _stated("Server", servers) + _stated("realm", realms)


def headers(view: View) -> list[Statement]:
    """The Server header and the authentication realms of an HTTP, RTSP or SSDP answer, and of each further
    answer of an RTSP client's transcript (:func:`camaudit.identify.declared.message.later_rtsp_heads`), once
    each."""
    status, lines, body = split_head(view.text[:HEAD_WINDOW])
    lines = lines[:64]
    if status.startswith("RTSP/"):
        for head in later_rtsp_heads(body):
            lines += [line for line in head if line[0] in HEADERS_READ and line not in lines]
    return _server_and_realms(lines)


#: a header line nmap quotes in the fingerprint dump of a service it could not name (``|     Server: TAS-Tech
#: IPCam``, under ``| fingerprint-strings:`` and a probe's name), its bars and indentation taken off
_QUOTED_HEADER = re.compile(r"^\|_?[ \t]{1,16}(Server|WWW-Authenticate|Proxy-Authenticate):[ \t]*(\S.{0,511})$",
                            re.IGNORECASE)


def nmap_fingerprints(view: View) -> list[Statement]:
    """The Server headers and authentication realms of the answers nmap -sV quotes under ``fingerprint-strings:``
    for a service it did not recognise, read as :func:`headers` reads a message's own (the same answer quoted for
    several probes counts once)."""
    text = view.text[:HEAD_WINDOW]
    start = text.find("fingerprint-strings:")
    if start < 0:
        return []
    quoted: list[tuple[str, str]] = []
    inside = False  # within a dump: its lines keep nmap's bar; another port's dump may follow
    for line in text[start:].splitlines():
        if "fingerprint-strings:" in line:
            inside = True
            continue
        if not line.startswith("|"):
            inside = False
        found = _QUOTED_HEADER.match(line) if inside else None
        if found is not None:
            quoted.append((found.group(1).lower(), found.group(2).strip()))
    # the same answer is quoted for each probe nmap sent: each line once, and each realm once
    return list(dict.fromkeys(_server_and_realms(list(dict.fromkeys(quoted)))))


#: the C0 control characters (and DEL) that text does not hold: tab and line breaks apart, NUL apart (padding)
_C0 = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")
DATA_SAMPLE = 4096  # characters of a body looked at to tell data from text


def _data(text: str) -> bool:
    """Whether a body is data rather than a page: more than one character in twenty of its start a C0 control.
    Random bytes hold about one in nine; pages, in whatever encoding they were decoded, next to none. Only C0
    is counted: a page in GBK kept as latin-1 is full of C1 characters (0x80-0x9f) and is text. Garbage from a
    broken device holds a copyright sign or ``<title>`` by chance, and its letters would read as names (``YI``,
    ``MRV``)."""
    sample = text[:DATA_SAMPLE]
    return len(_C0.findall(sample)) * 20 > len(sample)


def title(view: View) -> list[Statement]:
    """The page title of an HTTP body (none in a body that is data, :func:`_data`)."""
    titles = [html.unescape(m.group(1)) for m in _TITLE.finditer(view.text[:262144])]
    return _stated("title", titles) if titles and not _data(view.text) else []


#: a page's ``<meta>`` element (its attributes read by :data:`_ATTRIBUTE`)
_META = re.compile(r"<meta\b([^<>]{1,1024})>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([a-z:_-]{1,32})\s*=\s*(?:"([^"]{0,512})"|'([^']{0,512})'|([^\s"'<>]{1,256}))""",
                        re.IGNORECASE)
#: the ``<meta>`` names (or Open Graph properties) in which a page describes itself or names who made it; a
#: ``keywords`` list (often other makers' names, for search engines) and a ``generator`` (the CMS) are not read
META_NAMES = frozenset({"description", "author", "copyright", "application-name", "og:site_name", "og:title"})
#: the parts of a page that are no text of it: its scripts and styles (where a library's licence names the
#: library's authors); a comment is read (embedded servers' pages keep their maker's notice in one: nmap's
#: "<!-- Copyright (c) ... Xerox Corporation" and "<!-- (c) Copyright Axis Communications" match lines), its
#: markers taken out, and so are other elements' tags
_NOT_TEXT = ("script", "style")
_COMMENT_MARK = re.compile(r"<!--+|--+>")
_TAG = re.compile(r"<[^<>]{0,2048}>")
#: a copyright notice in a page's text: "Copyright", a copyright sign, or "(c)" before a year, then the rest of
#: its line (up to a bar or a bullet, which start another item of a footer, or the next notice)
_COPYRIGHT = re.compile(r"(?:\bcopyright\b(?:\s{0,3}(?:\(c\)|\u00a9))?|\u00a9(?:\s{0,3}copyright\b)?"
                        r"|\(c\)(?:\s{0,3}copyright\b|(?=\s{0,3}(?:19|20)\d\d)))"
                        r"((?:(?!copyright|\u00a9|\(c\))[^\n|\u2022]){2,160})", re.IGNORECASE)
PAGE_WINDOW = 262144  # characters of a page read


def _without_scripts(text: str) -> str:
    """A page with its ``<script>`` and ``<style>`` elements taken out (one left open runs to the end)."""
    lowered = text.lower()
    kept: list[str] = []
    at = 0
    ahead = {name: lowered.find("<" + name) for name in _NOT_TEXT}  # each kind's next start (-1: none left)
    while True:
        for name, found in ahead.items():
            if 0 <= found < at:
                ahead[name] = lowered.find("<" + name, at)
        starts = [(found, name) for name, found in ahead.items() if found >= 0]
        if not starts:
            break
        start, name = min(starts)
        kept.append(text[at:start])
        end = lowered.find("</" + name, start)
        if end < 0:
            return " ".join(kept)
        close = lowered.find(">", end)
        at = len(text) if close < 0 else close + 1
    kept.append(text[at:])
    return " ".join(kept)


def visible_text(text: str) -> str:
    """A page's text as a reader sees it (and its comments' text): scripts, styles and tags taken out, entities
    decoded."""
    return html.unescape(_TAG.sub(" ", _COMMENT_MARK.sub(" ", _without_scripts(text))))


def page(view: View) -> list[Statement]:
    """Where a page names itself besides its title: the ``<meta>`` elements that describe it or name its author
    (:data:`META_NAMES`), and the copyright notices of its text and comments (a footer's "Copyright (c) 2019
    Synology Inc.", a ``<!-- Copyright (c) Xerox Corporation -->``), scripts and styles left out. Each is a banner
    of its own, so a name in one is resolved as a title's would be (a third party after "powered by", two makers in
    one notice, a chipset name nothing), and a script library's licence is never read. A body that is data
    (:func:`_data`) names nothing."""
    text = view.text[:PAGE_WINDOW]
    metas: list[str] = []
    if "<meta" in text or "<META" in text:
        for found in _META.finditer(text):
            attrs = {name.lower(): next(v for v in values if v) if any(values) else ""
                     for name, *values in _ATTRIBUTE.findall(found.group(1))}
            key = (attrs.get("name") or attrs.get("property") or "").lower()
            if key in META_NAMES and attrs.get("content"):
                metas.append(html.unescape(attrs["content"]))
    notices: list[str] = []
    lowered = text.lower()
    if "copyright" in lowered or "\u00a9" in text or "&copy;" in lowered or "&#169;" in text or "(c)" in lowered:
        visible = visible_text(text)
        notices = [f"Copyright {found.group(1).lstrip()}" for found in _COPYRIGHT.finditer(visible)]
    if (metas or notices) and _data(text):
        return []
    return _stated("meta", list(dict.fromkeys(metas))) + _stated("copyright", list(dict.fromkeys(notices)))


#: what a terminal is sent besides text: telnet option negotiation (IAC, RFC 854/855: a sub-negotiation, a
#: three-byte option command, a two-byte command), ANSI/VT100 escape sequences (colours, cursor moves) and
#: operating-system commands (``ESC ] 0;title BEL``: a window title, ended by BEL or ``ESC \``)
_TERMINAL = re.compile(r"\xff\xfa.{0,64}?\xff\xf0|\xff[\xfb-\xfe].|\xff[\xf0-\xfa\xff]"
                       r"|\x1b\[[0-9;?]{0,32}[ -/]{0,4}[@-~]|\x1b[()#][0-9A-Za-z]|\x1b[=>78DEHMc]"
                       r"|\x1b\][^\x07\x1b]{0,256}(?:\x07|\x1b\\)", re.DOTALL)
#: a login prompt's line: the device's host name, then "login:" (``axis-00408c login:``, ``(none) login:``)
_LOGIN = re.compile(r"^(\S{2,64})\s+login:\s*$", re.IGNORECASE)
MAX_GREETING_LINES = 64  # lines of a greeting in which a login prompt is looked for


def _terminal_text(text: str) -> str:
    """A greeting as its reader would see it on a terminal: escaped bytes decoded (when the greeting was kept in
    escaped form, its line breaks written ``\r\n``), telnet negotiation and ANSI escape sequences taken out, other
    control characters made spaces."""
    text = _TERMINAL.sub(" ", unescape(text))
    return "".join(ch if ch >= " " or ch in "\r\n\t" else " " for ch in text)


def _binary(text: str) -> bool:
    """Whether a greeting is data rather than text, as :func:`_data` tells a body, once terminal sequences (telnet
    negotiation, ANSI escapes, whose bytes are controls) are out: random bytes' short runs of letters would
    otherwise read as names (``LG``, ``HP``, ``2N``)."""
    return _data(_TERMINAL.sub(" ", unescape(text)))


def greeting(view: View) -> list[Statement]:
    """A telnet (or other line protocol's) greeting: its first lines, where devices name themselves, and the host
    name of its login prompt as a field of its own (a device's default host name is often its maker's or its
    product's name: ``(none)`` and ``DVR`` name nothing). Data that is no text (:func:`_binary`) names nothing."""
    if _binary(view.text[:4096]):
        return []
    text = _terminal_text(view.text[:4096])
    lines = [line.strip() for line in text.replace("\r", "\n").split("\n") if line.strip()]
    if not lines:
        return []
    # the prompt may follow a long message of the day: looked for in every line read
    hosts = [found.group(1) for line in lines[:MAX_GREETING_LINES] if (found := _LOGIN.match(line)) is not None]
    return _stated("greeting", [" ".join(lines[:6])]) + _stated("login", hosts[:1])


#: how a line protocol's greeting starts: an SSH identification string (RFC 4253 section 4.2), an FTP or SMTP
#: welcome reply (RFC 959 section 4.2, RFC 5321 section 4.2: "220", then a space or a hyphen), telnet option
#: negotiation (RFC 854: IAC and a command)
_LINE_GREETING = re.compile(r"[\r\n\t ]{0,8}(?:SSH-(?:1\.\d{1,2}|2\.0)-|220[ -]|\xff[\xfb-\xfe])")
#: what a greeting kept as an answer of no known kind carries, for the parser's anchors: the starts above,
#: as bytes or written out in escaped form
LINE_GREETING_ANCHORS = ("SSH-", "220", "\xff", "\\xff")


def line_greeting(view: View) -> list[Statement]:
    """A greeting kept as an answer of no known kind (an SSH, FTP or telnet greeting a tool stored as text), read
    as :func:`greeting` reads a telnet one, only when the answer starts as such a greeting does: other text (a
    page, a tool's report) is not read line by line as a banner."""
    if _LINE_GREETING.match(unescape(view.text[:512])) is None:
        return []
    return greeting(view)


def certificate(view: View) -> list[Statement]:
    """The CN, O and OU of a certificate's issuer, and of its subject when it signed itself (or no issuer is
    given): a certificate issued by someone else names its owner in the subject (a website's company, the
    organisation that enrolled the device), and its maker, if at all, in the issuer (a device CA)."""
    dns = certificate_names(view.text)
    issuer, subject = dns.get("issuer"), dns.get("subject")
    read = ["issuer"] if issuer is not None else []
    if subject is not None and (issuer is None or issuer == subject or _dn_key(issuer) == _dn_key(subject)):
        read.insert(0, "subject")
    out: list[Statement] = []
    for key in read:
        # one statement per name, its CN, O and OU together: a public CA's name in one field (CN=Google Internet
        # Authority) keeps its O= from naming a device maker
        if out and key == "issuer" and dns[key] == out[-1].value == dns["subject"]:  # a self-signed one's name
            out.append(Statement("banner", out[-1].value, key))  # as _stated gives it, the same text again
            continue
        out += _stated(key, [dns[key]])
    return out


def certificate_names(text: str) -> dict[str, str]:
    """A certificate's subject and issuer as ``CN=..., O=..., OU=...`` (only those fields, in their order), read
    from the lines tools print them on or from a JSON record (see :data:`_DN_LINE`, :func:`_json_dns`)."""
    return dict(_names(text))


#: how the importers write a name's line (``subject: CN=...``): a line starting so, with a name after it, is read
#: by :data:`_DN_LINE` alone (neither :data:`_S_CLIENT` nor :data:`_DN_HEAD` matches it), so it is read directly
_PLAIN_DN_LINES = ("subject:", "issuer:")


@lru_cache(maxsize=256)  # an answer's statements and its parts read its names in turn: worked out once
def _names(text: str) -> tuple[tuple[str, str], ...]:
    dns: dict[str, str] = {}
    last: str | None = None
    lines = text[:16384].splitlines()
    for number, line in enumerate(lines):
        if last is not None and line.startswith("/"):  # nmap wraps a long name: "/countryName=US" goes on
            dns[last] += line.strip()
            continue
        last = None
        if line.startswith(_PLAIN_DN_LINES):  # "subject: CN=..., O=..." as the importers write it, read sooner
            name, _, given = line.partition(":")
            given = given.strip()
            if given:  # what _DN_LINE reads from it (no other pattern below takes a line so started and not blank)
                given = given.rstrip(",").strip().strip("\"'")
                if name not in dns and _DN_FIELD.search(given):
                    dns[name], last = given, name
                continue
        chain = _S_CLIENT.match(line)
        if chain is not None:
            subject = chain.group("depth") or chain.group("subject")
            # an issuer line is the leaf's only right after the leaf's own "0 s:" line
            issuer = chain.group("issuer") if number and lines[number - 1].lstrip().startswith("0 s:") else None
            for key, dn in (("subject", subject), ("issuer", issuer)):
                if dn and key not in dns and _DN_FIELD.search(dn.strip()):
                    dns[key] = dn.strip()
            continue
        head = _DN_HEAD.match(line)
        if head is not None:
            key = head.group(2).lower()
            block = _block(lines[number + 1:number + 1 + MAX_BLOCK_LINES], len(head.group(1)))
            if key not in dns and block:
                dns[key] = block
            continue
        found = _DN_LINE.match(line)
        if found is None:
            continue
        key, dn = found.group(1).lower(), found.group(2).strip().rstrip(",").strip().strip("\"'")
        if key not in dns and _DN_FIELD.search(dn):
            dns[key], last = dn, key
    if "{" in text[:16384] and len(dns) < 2:
        for key, dn in _json_dns(text).items():
            dns.setdefault(key, dn)
    out: dict[str, str] = {}
    done: tuple[str, str] | None = None  # the last name read, as read (a self-signed certificate's comes twice)
    for key, dn in dns.items():
        if done is not None and done[0] == dn:
            out[key] = done[1]
            continue
        fields = [f"{_dn_name(name)}={_unescape(value)}" for name, value in _DN_FIELD.findall(dn)]
        if fields:
            out[key] = ", ".join(fields)
            done = (dn, out[key])
    return tuple(out.items())


def _block(lines: list[str], indent: int) -> str:
    """The CN, O and OU of the lines after a heading (see :data:`_DN_HEAD`) as one ``CN=..., O=...`` name: the
    lines indented deeper than the heading, up to the first that is not (or a blank one). A line may hold one
    field (``Org: ...``, ``organizationName = ...``, ``O=...``: its whole value, commas and all) or a whole name
    (``C=US, O=..., CN=...``); a line of any other form (``Name Hash(sha1): ...``) is passed over."""
    fields: list[str] = []
    for line in lines:
        if not line.strip() or len(line) - len(line.lstrip(" \t|_*")) <= indent:
            break
        item = _DN_ITEM.match(line)
        if item is None:
            continue
        whole = _DN_FIELD.findall(line.strip(" \t|_*"))
        if len(whole) > 1:  # a whole name on the line
            fields += [f"{name}={value.strip()}" for name, value in whole]
            continue
        name = _ITEM_NAMES.get(" ".join(item.group(2).split()).lower())
        value = item.group(3).strip()
        if name is not None and value:
            fields.append(f"{name}={value.replace(',', chr(92) + ',')}")
    return ", ".join(fields)


#: the names a JSON record gives a certificate's name fields (Shodan's CN/O/OU, ZGrab2's and Censys'
#: common_name/organization/organizational_unit)
_JSON_DN = {"cn": "CN", "o": "O", "ou": "OU", "common_name": "CN", "organization": "O", "organizational_unit": "OU",
            "organization_unit": "OU", "commonname": "CN", "organizationname": "O", "organizationalunitname": "OU"}


def _json_dns(text: str) -> dict[str, str]:
    """The subject and issuer of a certificate kept as JSON (``"subject": {"CN": ..., "O": ...}``, or a
    ``subject_dn`` string), as ``CN=..., O=...`` names, looked for a few levels deep: those of the shallowest
    object that names either, together (a record's own certificate, not one of the ``chain`` its issuers
    sent after it: ZGrab2 and Censys keep the chain beside the certificate, and sorted keys put it first)."""
    queue: deque[tuple[Any, int]] = deque([(load_json(text[:65536]), 0)])
    seen = 0
    while queue and seen < 4096:
        node, depth = queue.popleft()
        seen += 1
        if isinstance(node, list) and depth < 8:
            queue.extend((item, depth + 1) for item in node[:64])
        if not isinstance(node, dict):
            continue
        out: dict[str, str] = {}
        for key, inner in node.items():
            name = str(key).lower().removesuffix("_dn")
            if name in ("subject", "issuer") and name not in out:
                dn = _json_dn(inner)
                if dn:
                    out[name] = dn
                    continue
            if isinstance(inner, (dict, list)) and depth < 8:
                queue.append((inner, depth + 1))
        if out:
            return out
    return {}


def _json_dn(value: Any) -> str | None:
    if isinstance(value, str):
        return value if _DN_FIELD.search(value) else None
    if not isinstance(value, dict):
        return None
    fields = []
    for key, inner in value.items():
        name = _JSON_DN.get(str(key).lower())
        for item in (inner if isinstance(inner, list) else [inner])[:4]:
            if name and isinstance(item, str) and item.strip():
                fields.append(f"{name}={item.strip().replace(',', chr(92) + ',')}")
    return ", ".join(fields) or None


def _dn_name(name: str) -> str:
    return _DN_NAMES.get(name.lower(), name.upper())


def _unescape(value: str) -> str:
    value = value.replace("\\,", ",")
    return (_HEX_RUN.sub(_hex_text, value) if "\\x" in value else value).strip()  # no "\\x", no run to decode


def _hex_text(run: re.Match[str]) -> str:
    """A run of ``\\xNN`` escapes as the UTF-8 text it encodes, or as it is when it encodes none."""
    try:
        return bytes(int(pair, 16) for pair in run.group(0).split("\\x")[1:]).decode("utf-8")
    except UnicodeDecodeError:
        return run.group(0)


def _dn_key(dn: str) -> list[tuple[str, str]]:
    return sorted((_dn_name(name), value.strip().casefold()) for name, value in _DN_FIELD.findall(dn))


def vendor_class(view: View) -> list[Statement]:
    """A DHCP vendor class identifier (option 60) or any other line of a DHCP record."""
    return _stated("vendor_class", [line.partition("=")[2] or line for line in view.text[:4096].splitlines()
                                    if line.strip()])


_MODEL_TOKEN = re.compile(r"[^\s,;\"'()\[\]{}<>=|]{4,40}")
#: a model number written without a hyphen ("WNR2000", "FD8134", "DS918+"): a capital, at most nine more letters,
#: a run of two to six digits straight after them, then only letters, digits or a plus (no slash, dot or
#: underscore, so a product token such as "Apache/2.4" or "mini_httpd" is none)
_PLAIN_MODEL = re.compile(r"[A-Z][A-Za-z]{0,9}\d{2,6}[A-Za-z0-9+]{0,12}")


def model_candidates(text: str) -> list[str]:
    """Words of a banner that could be model numbers: those with a letter, a digit and a hyphen ("DS-2CD2032-I",
    "DCS-930L") first, then those of letters and then digits with no hyphen ("WNR2000", "FD8134"). Only the
    model-numbering rules read them (models.yaml, each anchored at a model's start): a word is never taken as the
    model itself."""
    hyphened, plain = [], []
    for word in _MODEL_TOKEN.findall(text[:MAX_BANNER]):
        word = word.strip(".:")
        if "-" in word and any(ch.isdigit() for ch in word) and any(ch.isalpha() for ch in word):
            hyphened.append(word)
        elif _PLAIN_MODEL.fullmatch(word):
            plain.append(word)
    return (hyphened + plain)[:MAX_FIELDS]

"""The head of an HTTP-, RTSP- or SSDP-style message as people keep it: the message itself, a header block
whose status line was left out, or a ``curl -v`` transcript (``< HTTP/1.1 401 ...``, ``< Server: ...``, with
curl's ``*`` notes and the ``>`` request lines around it), a message kept in escaped form on one line
(:func:`unescape`), one pasted with an indentation, a time stamp or a container's name before each line
(:func:`without_line_prefixes`), or a client's transcript whose first answer starts a line
of its own after the request it sent (:func:`from_answer`). One splitter for the rules' parts and the banner
parser, so both read the same headers."""

from __future__ import annotations

import re

from camaudit.untrusted import loads_json

_STATUS = re.compile(r"^(?:HTTP|RTSP)/\d(?:\.\d)?\s")
_HEADER = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,63}\s*:")
_CURL_NOTES = ("* ", "> ", "{ ", "} ")
MAX_TRANSCRIPT = 256 * 1024  # characters of a transcript unwrapped


#: one escape of an answer kept in escaped form (nmap's, Shodan's and many logs' way of printing bytes)
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|[rnt\\\"'])")
_ESCAPES = {"r": "\r", "n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}
ESCAPED_WINDOW = 4096  # characters looked at to tell whether a text is kept in escaped form


def decode_escapes(text: str) -> str:
    """Backslash escapes (``\\r``, ``\\n``, ``\\t``, ``\\xNN``, ``\\\\``, quotes) as the characters they stand for."""
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1)) or chr(int(m.group(1)[1:], 16)), text)


def unescape(text: str) -> str:
    """An answer kept in escaped form on one line (``RTSP/1.0 200 OK\\r\\nServer: ...``, ``\\xff\\xfb``) as the
    bytes it stands for; any other text as it is. Only a text with no line break of its own within its first
    :data:`ESCAPED_WINDOW` characters and an escaped one (``\\r\\n`` or ``\\n``) is taken to be escaped, and
    never a JSON document (a one-line JSON body's ``\\n`` and ``\\"`` are JSON's own escapes)."""
    head = text[:ESCAPED_WINDOW]
    if "\n" in head.strip() or not ("\\n" in head or "\\x" in head) or head.lstrip()[:1] in ("{", "["):
        return text
    return decode_escapes(text[:MAX_TRANSCRIPT])


#: what a log or a pasted transcript puts before each line of a message: a time stamp (``2025-03-19
#: 14:47:10.728849715``), a container's name and bar (``camera-1  | ``), a logger's bracketed time, name and
#: level (Frigate's ``[2023-12-18 21:19:41] ffmpeg.cam.detect   ERROR   : ``), a Home Assistant log line's
#: level, thread and logger after its time stamp (``DEBUG (MainThread) [custom_components.x] ``), a plugin's
#: bracketed name and colon (Scrypted's ``[Rebroadcast Plugin]: ``), or up to three of these in turn
_LEVEL = r"(?:DEBUG|INFO|WARNING|ERROR|CRITICAL)"
_LINE_PREFIX = re.compile(r"^(?:\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?[ \t]+"
                          r"|[A-Za-z0-9][\w.-]{0,63}[ \t]+\|[ \t]?"
                          r"|\[\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,6})?\][ \t]{1,8}[\w.-]{1,64}"
                          rf"[ \t]{{1,40}}{_LEVEL}[ \t]{{0,8}}:[ \t]?"
                          rf"|{_LEVEL}[ \t]\([\w-]{{1,40}}\)[ \t]\[[\w.]{{1,128}}\][ \t]?"
                          r"|\[[A-Za-z][\w .-]{0,63}\]:[ \t]*){1,3}")
MIN_PREFIXED = 3  # lines a prefix must lead, and at least half of the lines, to be taken for the log's own


def without_line_prefixes(text: str) -> str:
    """A message pasted with something before each of its lines, as the message: the indentation common to all
    its lines (a quoted or indented paste), or the log's time stamp or container name leading most lines. Any
    other text is left as it is."""
    lines = text[:MAX_TRANSCRIPT].split("\n")
    filled = [line for line in lines if line.strip()]
    if not filled:
        return text
    indent = min(len(line) - len(line.lstrip(" \t")) for line in filled)
    if indent:
        return "\n".join(line[indent:] for line in lines)
    if not _LINE_PREFIX.match(filled[0]):  # a log prefixes its first line too; a message's own body may not
        return text                         # (a page's "name | value" lines are not a container's name)
    prefixed = sum(1 for line in filled if _LINE_PREFIX.match(line))
    if prefixed >= MIN_PREFIXED and prefixed * 2 >= len(filled):
        return "\n".join(_LINE_PREFIX.sub("", line, count=1) for line in lines)
    return text


def unwrap_transcript(text: str) -> str:
    """The response inside a ``curl -v`` transcript (the ``< `` lines, then the body), or the text itself."""
    if not (text.startswith("< ") or text.find("\n< ", 0, MAX_TRANSCRIPT) >= 0):  # no copy of the text
        return text
    out: list[str] = []
    started = in_body = False
    for line in text[:MAX_TRANSCRIPT].split("\n"):
        bare = line.rstrip("\r")
        if not started:
            if bare.startswith("< ") and _STATUS.match(bare[2:]):
                started = True
                out.append(bare[2:])
            continue
        if in_body:
            if not bare.startswith(_CURL_NOTES):
                out.append(bare)
        elif bare == "<":
            out.append("")
            in_body = True
        elif bare.startswith("< "):
            out.append(bare[2:])
        elif not bare.startswith(_CURL_NOTES):
            out += ["", bare]
            in_body = True
    return "\n".join(out) if started else text


_ANSWER = re.compile(r"^(?:HTTP|RTSP)/\d(?:\.\d)?[ \t]+\d{3}\b", re.MULTILINE)


def from_answer(text: str) -> str:
    """The text from its first answer on, when it is a client's transcript that starts elsewhere (a request it
    sent, a client's notes: "Sending request: DESCRIBE ...", "Received a complete DESCRIBE response:", as
    live555's openRTSP and VLC print them): the answer's status line starts a line of its own. A text that
    starts with a status line or a header line, or holds no answer's status line, is left as it is."""
    first = text.lstrip("\r\n").split("\n", 1)[0].strip()
    if not first or _STATUS.match(first + " ") or _HEADER.match(first):
        return text
    found = _ANSWER.search(text, 0, MAX_TRANSCRIPT)
    return text[found.start():] if found else text


#: a line of tcpdump's hex dump (``-x``, ``-X``, ``-XX``): the offset, up to eight groups of four hex digits (the last
#: may hold two), then with ``-X`` the same bytes as ASCII (as in ZoneMinder/zoneminder issue #3194)
_HEX_LINE = re.compile(r"^[ \t]{0,16}0x([0-9a-f]{4}):[ \t]{1,4}((?:(?:[0-9a-f]{4}|[0-9a-f]{2}) ?){1,8})"
                       r"(?:[ \t].{0,72})?$")
MIN_HEX_LINES = 2  # lines a hex dump must hold to be read as one


def _payload(packet: bytes) -> bytes:
    """The TCP payload of a packet as tcpdump dumps it (from its IP header, or its Ethernet header with -XX); the
    bytes as they are when they are no IPv4 or IPv6 TCP packet."""
    if len(packet) > 14 and packet[12:14] in (b"\x08\x00", b"\x86\xdd") and packet[14] >> 4 in (4, 6):
        packet = packet[14:]  # -XX: the Ethernet header first
    if len(packet) >= 20 and packet[0] >> 4 == 4 and packet[9] == 6 and packet[0] & 0x0F >= 5:
        ip = (packet[0] & 0x0F) * 4
    elif len(packet) >= 40 and packet[0] >> 4 == 6 and packet[6] == 6:
        ip = 40
    else:
        return packet
    if len(packet) < ip + 20 or packet[ip + 12] >> 4 < 5:  # too short, or a TCP header shorter than TCP's own
        return b""
    return packet[ip + (packet[ip + 12] >> 4) * 4:]


def unwrap_hexdump(text: str) -> str:
    """The packets of a tcpdump hex dump as the text their TCP payloads held (each packet's hex lines, from offset
    0x0000 on, joined and its IP and TCP headers left out); the lines around them (tcpdump's packet lines, a
    prompt) stay as they are. Any other text is left as it is."""
    if "0x0000:" not in text:  # the substring test first: cheap
        return text
    lines = text[:MAX_TRANSCRIPT].split("\n")
    out: list[str] = []
    packet: bytearray | None = None
    hex_lines = 0

    def flush() -> None:
        if packet is not None:
            out.append(_payload(bytes(packet)).decode("latin-1"))

    for line in lines:
        found = _HEX_LINE.match(line.rstrip("\r"))
        if found is None:
            flush()
            packet = None
            out.append(line)
            continue
        hex_lines += 1
        if found.group(1) == "0000":
            flush()
            packet = bytearray()
        if packet is not None:
            try:
                packet += bytes.fromhex("".join(found.group(2).split()))
            except ValueError:  # not whole bytes after all: the packet ends here
                flush()
                packet = None
    flush()
    return "\n".join(out) if hex_lines >= MIN_HEX_LINES else text


#: the line ngrep prints before each packet it shows: protocol letter, source -> destination, TCP flags
_NGREP_PACKET = re.compile(r"^[TUI] \d{1,3}(?:\.\d{1,3}){3}:\d{1,5} -> \d{1,3}(?:\.\d{1,3}){3}:\d{1,5}"
                           r"(?: \[[A-Z]{1,8}\])?[ \t]*$", re.MULTILINE)


def unwrap_ngrep(text: str) -> str:
    """The packets of an ngrep print as the bytes they held: ngrep shows each payload wrapped at a fixed width
    on lines indented by two spaces (a header's value cut anywhere, "Login t" / "o AMC0007..."), with each
    unprintable byte, the CR and LF of the message's line ends among them, as a dot. The wrapped lines are
    joined and each ".." taken for a line end; the packets' own header lines are left out. Any other text is
    left as it is."""
    if " -> " not in text or not _NGREP_PACKET.search(text, 0, MAX_TRANSCRIPT):  # the substring test first: cheap
        return text
    out: list[str] = []
    packet: list[str] | None = None
    for line in text[:MAX_TRANSCRIPT].split("\n"):
        bare = line.rstrip("\r")
        if _NGREP_PACKET.match(bare):
            if packet is not None:
                out.append("".join(packet).replace("..", "\n"))
            packet = []
        elif packet is not None and bare.startswith("  "):
            packet.append(bare[2:])
        else:
            if packet is not None:
                out.append("".join(packet).replace("..", "\n"))
                packet = None
            out.append(bare)
    if packet is not None:
        out.append("".join(packet).replace("..", "\n"))
    return "\n".join(out)


#: a line of FFmpeg's RTSP log (``-loglevel trace``): the demuxer's name and address in brackets, then each
#: line it read quoted (``[rtsp @ 0x55d0c0] line='Server: ...'``), or another note of its own (``ret=1 c=52 [R]``)
_FFMPEG_LINE = re.compile(r"^\[[\w.-]{1,32} @ 0x[0-9a-fA-F]{1,16}\][ \t]?(?:line='(.{0,4096})'[ \t]*$)?")
MIN_FFMPEG_LINES = 3  # quoted lines an FFmpeg log must hold to be read as one


def unwrap_ffmpeg(text: str) -> str:
    """The lines FFmpeg's RTSP demuxer quotes in its trace log (``line='...'``, one for each line of an answer
    it read, ``line=''`` for the blank line that ends a head) as those lines; its other notes in brackets are
    left out, and lines it prints bare (the SDP after its ``SDP:`` note, the requests it sent) are kept. Any
    other text is left as it is."""
    if "] line='" not in text:  # the substring test first: cheap
        return text
    lines = text[:MAX_TRANSCRIPT].split("\n")
    if sum(1 for line in lines if "] line='" in line) < MIN_FFMPEG_LINES:
        return text
    out: list[str] = []
    for line in lines:
        found = _FFMPEG_LINE.match(line)
        if found is None:
            out.append(line)
        elif found.group(1) is not None:
            out.append(found.group(1))
        elif line.rstrip().endswith("SDP:"):  # the note before the SDP it prints bare: the SDP starts a body
            out.append("")
    return "\n".join(out)


#: the dissection of an RTSP or HTTP message as Wireshark prints it (File > Export Packet Dissections > As Plain
#: Text, ``tshark -V``): the protocol's name on a line, then the start line after ``Response: `` and each header
#: line with its line end written out (``    Server: ...\\r\\n``), the blank line as ``    \\r\\n``, and the SDP as a
#: tree of labelled fields whose SDP type is in brackets (``        Session Name (s): ...``)
_DISSECTION = ("Real Time Streaming Protocol", "Hypertext Transfer Protocol")
_DISSECTED_START = re.compile(r"^\s{0,16}Response: ((?:RTSP|HTTP)/\d(?:\.\d)?[ \t]+\d{3}\b.{0,256}?)(?:\\r\\n)?\s*$")
_DISSECTED_LINE = re.compile(r"^\s{0,16}(.{0,4096}?)\\r\\n\s*$")
_DISSECTED_SDP = re.compile(r"^\s{0,24}[A-Z][\w ,/-]{0,64} \(([a-z])\): (.{0,4096})$")


def unwrap_dissection(text: str) -> str:
    """The RTSP or HTTP answers in Wireshark's printed dissection as the messages they were: the start line after
    ``Response:``, each header line whose written-out line end it keeps, the blank line, and each labelled SDP
    field as its ``<type>=<value>`` line. The dissector's own items (frame, IP and TCP lines, ``Status: 200``, an
    origin's sub-fields) are left out. Any other text is left as it is."""
    if "Response: " not in text or not any(text.find(name, 0, MAX_TRANSCRIPT) >= 0 for name in _DISSECTION):
        return text  # the substring tests first: cheap
    out: list[str] = []
    answer = False
    for line in text[:MAX_TRANSCRIPT].split("\n"):
        line = line.rstrip("\r")
        start = _DISSECTED_START.match(line)
        if start is not None:
            if out:
                out.append("")
            out.append(start.group(1))
            answer = True
        elif not answer:
            continue
        elif (field := _DISSECTED_SDP.match(line)) is not None:
            out.append(f"{field.group(1)}={field.group(2).strip()}")
        elif (header := _DISSECTED_LINE.match(line)) is not None:
            out.append(header.group(1).strip())
    return "\n".join(out) if answer else text


MAX_JSON_VALUES = 256  # values of a JSON record looked at for an answer kept in it


#: the first lines of an SDP kept as a JSON string value (RFC 8866 section 5: v=0, then the origin)
_SDP_VALUE = re.compile(r"v=0[ \t]*\r?\n[ \t]*o=")


def from_json_record(text: str) -> str:
    """The answer a JSON record keeps as one of its string values (a search engine's or a scanner's banner field,
    ``{"data": "RTSP/1.0 200 OK\\r\\n..."}``, or the SDP a streaming tool keeps of a source, go2rtc's
    ``"sdp": "v=0\\r\\no=..."``): the first value that starts with an RTSP or HTTP status line or with an SDP's
    first lines, its JSON escapes decoded. Any other text is left as it is."""
    head = text[:ESCAPED_WINDOW].lstrip()
    if head[:1] not in ("{", "[") or len(text) > MAX_TRANSCRIPT:
        return text
    if not ('"RTSP/' in head or '"HTTP/' in head or '"v=0\\r\\n' in text or '"v=0\\n' in text):
        return text
    try:
        record = loads_json(text)  # the careful reader: a device's text may nest past the recursion limit
    except ValueError:  # InputError: not JSON, or JSON no reader should take
        return text
    pending, seen = [record], 0
    while pending and seen < MAX_JSON_VALUES:
        value = pending.pop(0)
        seen += 1
        if isinstance(value, str) and (_ANSWER.match(value) or _SDP_VALUE.match(value)):
            return value
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return text


#: a log entry whose message is an answer: the logger's prefix (time, process, tag, ending in a colon, bracket, bar
#: or space), then the status line, the rest of the message on the indented lines that follow (Android's logcat as
#: ExoPlayer's RTSP client logs an answer: ``2021-12-21 12:05:35.929 ... D/RtspClient: RTSP/1.0 401 Unauthorized``,
#: then ``    CSeq: 1``...)
_LOGGED_STATUS = re.compile(r"^([^\n]{1,256}?[:\]>|][ \t]{1,8})((?:RTSP|HTTP)/\d\.\d[ \t]+\d{3}\b[^\n]{0,256})$")


def unindent_entries(text: str) -> str:
    """Answers logged as one entry each, the status line after the logger's prefix and the headers on indented
    lines after it, as the answers they were: the prefix stays a line of its own, the status line starts a line,
    the indented lines lose their indentation, and a blank line ends the head. Entries of other messages (the
    requests between the answers) and any other text are left as they are."""
    if "\n " not in text and "\n\t" not in text:  # no indented line at all: cheap
        return text
    lines = text[:MAX_TRANSCRIPT].split("\n")
    out: list[str] = []
    changed = False
    index = 0
    while index < len(lines):
        line = lines[index]
        logged = _LOGGED_STATUS.match(line.rstrip("\r")) if line[:1] not in (" ", "\t") else None
        block: list[str] = []
        if logged is not None:
            after = index + 1
            while after < len(lines) and lines[after][:1] in (" ", "\t") and lines[after].strip():
                block.append(lines[after].strip())
                after += 1
        if logged is None or not any(_HEADER.match(item) for item in block):
            out.append(line)
            index += 1
            continue
        out += [logged.group(1).rstrip(), logged.group(2), *block, ""]
        changed = True
        index = after
    return "\n".join(out) if changed else text


#: the header names an answer kept on one line is split at (:func:`unflatten`): the ones RTSP and HTTP answers of
#: cameras carry (RFC 2326 section 12, RFC 9110), longest first so that no name is cut at a shorter one inside it
_FLAT_NAMES = sorted((
    "CSeq", "Date", "Server", "WWW-Authenticate", "Proxy-Authenticate", "Public", "Allow", "Content-Type",
    "Content-Base", "Content-Length", "Content-Location", "Content-Encoding", "Session", "Transport", "RTP-Info",
    "Range", "Cache-Control", "Expires", "Pragma", "Last-Modified", "Connection", "Supported", "Unsupported",
    "Require", "Location", "Accept-Ranges", "Keep-Alive", "x-Accept-Retransmit", "x-Accept-Dynamic-Rate",
), key=len, reverse=True)
_FLAT_HEADER = re.compile(r"(" + "|".join(re.escape(name) for name in _FLAT_NAMES) + r")[ \t]*:[ \t]*",
                          re.IGNORECASE)
_FLAT_STATUS = re.compile(r"(?:HTTP|RTSP)/\d\.\d[ \t]+\d{3}\b")
MAX_FLAT_LINE = 8192  # characters of one line looked at for an answer kept on it
MAX_FLAT_HEADERS = 64  # header lines taken out of one such line


def unflatten(text: str) -> str:
    """Answers kept with their line breaks lost, one to a line: a player's log that prints each answer on one
    line with its headers separated by spaces (``[client:rtsp] RTSP/1.0 401 Unauthorized CSeq: 1
    WWW-Authenticate: Digest realm=...``), or a log pasted through a web page's table that glued them
    (``client response:RTSP/1.0 401 UnauthorizedCseq: 1Date: ...GMTWww-Authenticate: Basic realm=...``). A line
    holding a status line and, after it, at least one of the usual header names with its colon is taken for an
    answer: what comes before its status line stays a line of its own, each header starts a line, and a blank
    line ends the head. Only those names split it, so a value is cut nowhere else. Any other line is left as it
    is."""
    if "RTSP/" not in text and "HTTP/" not in text:  # the substring tests first: cheap
        return text
    lines = text[:MAX_TRANSCRIPT].split("\n")
    changed = False
    for index, line in enumerate(lines):
        status = _FLAT_STATUS.search(line, 0, MAX_FLAT_LINE)
        if status is None:
            continue
        starts = [m for m in _FLAT_HEADER.finditer(line, status.end(), MAX_FLAT_LINE)][:MAX_FLAT_HEADERS]
        if not starts:
            continue
        out = [line[:status.start()].rstrip()] if line[:status.start()].strip() else []
        out.append(line[status.start():starts[0].start()].rstrip())
        for here, after in zip(starts, [*starts[1:], None], strict=True):
            value = line[here.end():after.start() if after is not None else len(line)].strip()
            out.append(f"{here.group(1)}: {value}")
        lines[index] = "\n".join(out) + "\n"
        changed = True
    return "\n".join(lines) if changed else text


#: the start of an answer kept as a list of its lines in a program's print (Python's repr of a list of strings, as
#: Home Assistant's Axis integration logs what it received: ``Received data ['RTSP/1.0 200 OK', 'CSeq: 4', ...]``)
_LIST_START = re.compile(r"""\[[ \t]?(?=(['"])(?:RTSP|HTTP)/\d\.\d[ \t]+\d{3}\b)""")
#: one item of such a list: a quoted string (its quote escaped inside it), then a comma or the closing bracket
_LIST_ITEM = re.compile(r"""[ \t]*(['"])((?:\\.|(?!\1)[^\\\n]){0,4096})\1[ \t]*([,\]])""")
MAX_LIST_ITEMS = 512  # lines of one answer kept as a list


def unlist(text: str) -> str:
    """Answers a program printed as the list of their lines (``['RTSP/1.0 200 OK', 'CSeq: 4', 'Server: ...', '']``)
    as the lines they were, each item's escapes decoded; what comes before and after a list stays on lines of its
    own. Only a list whose first item is a status line is taken. Any other text is left as it is."""
    if "['RTSP/" not in text and '["RTSP/' not in text and "['HTTP/" not in text and '["HTTP/' not in text:
        return text  # the substring tests first: cheap
    out: list[str] = []
    done = 0
    for start in _LIST_START.finditer(text, 0, MAX_TRANSCRIPT):
        if start.start() < done:
            continue
        items: list[str] = []
        here, closed = start.end(), False
        while len(items) < MAX_LIST_ITEMS:
            item = _LIST_ITEM.match(text, here)
            if item is None:
                break
            items.append(decode_escapes(item.group(2)))
            here = item.end()
            if item.group(3) == "]":
                closed = True
                break
        if not closed:
            continue
        out += [text[done:start.start()], "\n", "\n".join(items), "\n"]
        done = here
    if not out:
        return text
    return "".join(out) + text[done:]


def normalise(text: str) -> str:
    """A message as it was sent, from the forms people keep it in: kept in a JSON record, escaped on one line,
    printed as the list of its lines, dissected by Wireshark, wrapped by ngrep, with each line prefixed, quoted line
    by line in FFmpeg's log, logged as an entry whose headers are indented, kept on one line with its line breaks
    lost, dumped in hex by tcpdump, with CRLF line ends (see :func:`from_json_record`, :func:`unescape`,
    :func:`unlist`, :func:`unwrap_dissection`, :func:`unwrap_hexdump`, :func:`unwrap_ngrep`,
    :func:`without_line_prefixes`, :func:`unwrap_ffmpeg`, :func:`unindent_entries`, :func:`unflatten`). The head
    splitter and the SDP reader both start from it."""
    text = unwrap_dissection(unescape(unlist(from_json_record(text))).replace("\r\n", "\n"))
    return unflatten(unindent_entries(unwrap_ffmpeg(without_line_prefixes(unwrap_ngrep(unwrap_hexdump(text))))))


_RTSP_ANSWER = re.compile(r"^RTSP/\d(?:\.\d)?[ \t]+\d{3}\b", re.MULTILINE)
MAX_ANSWERS = 8  # answers of one RTSP transcript whose heads are read


def later_rtsp_heads(body: str) -> list[list[tuple[str, str]]]:
    """The (lower-case name, value) header lines of each further RTSP answer in what follows the first answer's
    head (:func:`split_head`'s body): a client's transcript holds one answer for each request it sent (OPTIONS,
    then DESCRIBE and its challenge), and the answer that names the server need not be the first. Only an RTSP
    status line starting a line of its own starts one; the requests between them are not answers."""
    heads: list[list[tuple[str, str]]] = []
    for found in _RTSP_ANSWER.finditer(body, 0, MAX_TRANSCRIPT):
        if len(heads) >= MAX_ANSWERS:
            break
        head = body[found.start():found.start() + MAX_TRANSCRIPT].partition("\n\n")[0]
        heads.append(_header_lines(head.split("\n")[1:65]))
    return heads


def _header_lines(lines: list[str]) -> list[tuple[str, str]]:
    """(lower-case name, value) of each ``name: value`` line."""
    return [(name.strip().lower(), value.strip()) for name, sep, value in (line.partition(":") for line in lines)
            if sep]


def split_head(text: str) -> tuple[str, list[tuple[str, str]], str]:
    """Status line, (lower-case name, value) headers and whatever follows the blank line. A head that starts
    with a header line has no status line: the status is empty and that line is a header; a bare SDP (a tool's
    record of a source's session description) has neither head nor status: all of it is the body."""
    normalised = from_answer(unwrap_transcript(normalise(text)))
    if _SDP_VALUE.match(normalised.lstrip()):
        return "", [], normalised
    head, _, body = normalised.partition("\n\n")
    lines = head.split("\n")
    first = lines[0].strip() if lines else ""
    if first and not _STATUS.match(first + " ") and _HEADER.match(first):
        status, rest = "", lines
    else:
        status, rest = first, lines[1:]
    return status, _header_lines(rest), body

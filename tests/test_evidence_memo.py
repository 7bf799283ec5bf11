"""The evidence memo never changes an answer: evidence read from it equals evidence worked out afresh, for
answers seen exactly before, for HTTP and RTSP heads that differ only in their volatile headers (Date,
cookies...), including the RTSP rule that reads the Date header's layout in the whole text, and a token is only
shared by answers whose evidence is the same."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest

from camaudit.audit import Stages
from camaudit.identify.engine import Memo, answer_evidence, answer_of
from camaudit.model import Observation
from camaudit.simulate.recordings import load_recordings

IDENTIFIER = Stages.default().identifier
MESSAGES = [rec for rec in load_recordings().values() if rec.protocol in ("http_header", "rtsp")]


def _variants(response: str, n: int) -> list[str]:
    """The same head with another Date (one and two spaces after the colon), cookies, a tag and a length."""
    newline = "\r\n" if "\r\n" in response else "\n"
    head, sep, body = response.partition(newline * 2)
    lines = head.split(newline)
    kept = [line for line in lines[1:] if line.split(":", 1)[0].strip().lower() not in ("date", "set-cookie", "etag")]
    date = formatdate(1_700_000_000 + n * 97, usegmt=True)
    hikvision_layout = time.strftime("%a, %b %d %Y %H:%M:%S GMT", time.gmtime(1_700_000_000 + n * 97))
    out = []
    for extra in ([f"Date: {date}"], [f"Date:  {hikvision_layout}"], [f"DATE : {date}", f"Set-Cookie: s={n}"],
                  [f"ETag: \"{n:x}\"", f"Content-Length: {n}"], []):
        out.append(newline.join([lines[0], *extra, *kept]) + (sep + body if sep else newline * 2))
    out.append(out[0] + "x" * 70_000)  # longer than the parsers' window: remembered exactly only
    return out


def _fresh(obs: Observation) -> tuple[object, object]:
    return answer_evidence(obs, IDENTIFIER.rulebook, IDENTIFIER.clouds, None, IDENTIFIER.declarations)


@pytest.mark.parametrize("rec", MESSAGES, ids=lambda r: f"{r.file}:{r.protocol}")
def test_remembered_evidence_equals_fresh_evidence(rec: object) -> None:
    memo = Memo()
    response = rec.response  # type: ignore[attr-defined]
    protocol = rec.protocol  # type: ignore[attr-defined]
    for round_ in range(3):  # first sight, seen again exactly, seen again as a variant
        for n, text in enumerate([response, *_variants(response, round_ * 10)]):
            obs = Observation(id=f"r{round_}-{n}", protocol=protocol, response=text)
            remembered = answer_evidence(obs, IDENTIFIER.rulebook, IDENTIFIER.clouds, memo, IDENTIFIER.declarations)
            assert remembered == _fresh(obs), (round_, n, text[:200])


def test_a_token_means_the_same_evidence() -> None:
    memo = Memo()
    by_token: dict[int, tuple[object, ...]] = {}
    for i, rec in enumerate(load_recordings().values()):
        texts = _variants(rec.response, i) if rec.protocol in ("http_header", "rtsp") else [rec.response]
        for n, text in enumerate([rec.response, *texts]):
            obs = Observation(id=f"x{i}-{n}", protocol=rec.protocol, response=text)
            answer = answer_of(obs, IDENTIFIER.rulebook, IDENTIFIER.clouds, memo, IDENTIFIER.declarations)
            cloud, rules = _fresh(obs)
            content = tuple((e.rule, tuple(e.asserts.items()), e.matched, e.confidence, e.source)  # type: ignore
                            for e in [*cloud, *rules])  # type: ignore[misc]
            assert by_token.setdefault(answer.token, content) == content


def test_the_memo_is_bounded() -> None:
    memo = Memo(limit=4)
    rec = MESSAGES[0]
    for n in range(50):
        for text in _variants(rec.response, n):
            answer_of(Observation(id=f"b{n}", protocol=rec.protocol, response=text + f"X-N: {n}\r\n"),
                      IDENTIFIER.rulebook, IDENTIFIER.clouds, memo, IDENTIFIER.declarations)
    assert len(memo.exact) <= 4 and len(memo.recent) <= 4 and len(memo.stable) <= 4 and len(memo.content) <= 16

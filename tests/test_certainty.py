"""Certainty is earned: the device's own self-description, or two independent kinds of evidence.

Rules keyed on the same bytes of one answer are one signal; one answer of a kind that copies can reproduce
(an RTSP session line, a certificate, a realm, a MAC prefix) is at most probable, and says what is missing;
a SADP or DHIP answer counts as the device's own word only with a model its maker's numbering recognises.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from camaudit.assess.restrictions import Restrictions
from camaudit.identify.certainty import same_bytes, signals
from camaudit.identify.pipeline import Identifier
from camaudit.knowledge.authority import SELF_DESCRIPTION, WITH_MODEL, default_authority, load_authority
from camaudit.knowledge.files import KnowledgeError
from camaudit.model import PROTOCOLS, Evidence, Identity, Observation
from camaudit.simulate.recordings import load_recordings

IDENTIFIER = Identifier.default()
RECORDINGS = load_recordings()


NO_MAC = (r"<MAC>[^<]*</MAC>", "<MAC>02-00-00-00-00-01</MAC>")  # a locally administered address: no registrant


def identify(*recording_ids: str, replace: tuple[tuple[str, str], ...] = ()) -> Identity:
    observations = []
    for rid in recording_ids:
        rec = RECORDINGS[rid]
        text = rec.response
        for pattern, repl in replace:
            text = re.sub(pattern, repl, text)
        observations.append(Observation(id=rid, protocol=rec.protocol, response=text, device="one"))
    (identity,) = IDENTIFIER.identify_all(observations)
    return identity


def ndaa(identity: Identity) -> tuple[str, str, str]:
    finding = next(f for f in Restrictions().assess(identity) if f.id == "us-ndaa-889")
    return finding.status, finding.certainty, finding.detail


def test_two_rules_on_one_date_header_are_one_signal() -> None:
    identity = identify("hik-ipc-c2875-rtsp-options")
    rules = {e.rule for e in identity.evidence}
    assert {"rtsp.hikvision.public-and-date-layout", "rtsp.hikvision.date-double-space"} <= rules
    both = [e for e in identity.evidence if e.rule.startswith("rtsp.")]
    assert same_bytes(both[0], both[1]) and len(signals(both)) == 1
    # one signal: the stronger rule's confidence, not the two combined as if independent
    assert identity.confidence == max(e.confidence for e in both)


def test_one_kind_of_evidence_is_probable_and_says_what_is_missing() -> None:
    identity = identify("hik-ipc-c2875-rtsp-options")
    assert identity.manufacturer == "Hikvision" and identity.certain_because is None
    assert identity.probable_because and "only one kind of evidence" in identity.probable_because
    status, certainty, detail = ndaa(identity)
    assert (status, certainty) == ("covered", "probable")
    assert "two independent kinds" in detail


def test_two_independent_kinds_are_certain() -> None:
    identity = identify("hik-ipc-c2875-rtsp-options", "hik-firmware-default-tls-cert-subject")
    assert identity.certain_because and "2 independent kinds" in identity.certain_because
    assert "rtsp" in identity.certain_because and "tls_cert" in identity.certain_because
    assert ndaa(identity)[:2] == ("covered", "certain")


def test_the_devices_own_self_description_is_certain() -> None:
    identity = identify("hik-ids-2pt91jnlc-onvif-getdeviceinformation")
    assert identity.manufacturer == "Hikvision"
    assert identity.certain_because and "onvif_device_info" in identity.certain_because
    assert ndaa(identity)[:2] == ("covered", "certain")


def test_sadp_with_a_hikvision_model_is_the_devices_own_word() -> None:
    identity = identify("hik-ds2cd2385g1-i-sadp-probematch", replace=(NO_MAC,))
    assert identity.certain_because and "sadp" in identity.certain_because and "model" in identity.certain_because


def test_a_sadp_answer_naming_another_model_is_at_most_probable() -> None:
    # the same answer from a unit whose model is no Hikvision number (an SDK licensee's, say)
    identity = identify("hik-ds2cd2385g1-i-sadp-probematch", replace=(NO_MAC, (r"DS-2CD2385G1-I", "QX-9000")))
    assert identity.manufacturer == "Hikvision" and identity.certain_because is None
    assert identity.probable_because and "model numbers" in identity.probable_because
    assert ndaa(identity)[1] == "probable"


def test_a_mac_prefix_alone_is_probable() -> None:
    obs = Observation(id="m", protocol="other", response="", mac="44:19:b6:00:00:01")
    (identity,) = IDENTIFIER.identify_all([obs])
    if identity.manufacturer is None:
        pytest.skip("that prefix is not in the MAC registry")
    assert identity.manufacturer_basis == "oui" and identity.certain_because is None
    assert ndaa(identity)[1] == "probable"


def test_labels_never_count_as_a_kind_of_their_own() -> None:
    ev = Evidence(record="r", rule="brand.ezviz", asserts={"manufacturer": "Hikvision"}, matched="label",
                  confidence=0.6, source="https://example.org")
    from camaudit.identify.certainty import kind_of

    assert kind_of(ev, {"r": "http_header"}) is None


def test_authority_is_data_and_names_only_known_kinds() -> None:
    authority = default_authority()
    assert authority.of("isapi_deviceinfo") == SELF_DESCRIPTION
    assert authority.of("sadp") == WITH_MODEL and authority.of("dhip") == WITH_MODEL
    assert authority.of("rtsp") == "trait" and authority.of("never-heard-of") == "trait"
    for kind in authority.kinds:
        assert kind in PROTOCOLS or kind == "oui", kind


def test_an_unknown_key_in_an_authority_file_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "authority-mine.yaml").write_text(
        "- kind: rtsp\n  authority: self-description\n  says: x\n  sources: [https://example.org]\n"
        "  checked: 2026-12-02\n  trust: 1\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="trust"):
        load_authority([tmp_path])


def _one(*answers: tuple[str, str, str]) -> Identity:
    observations = [Observation(id=rid, protocol=protocol, response=text, device="one")
                    for rid, protocol, text in answers]
    (identity,) = IDENTIFIER.identify_all(observations)
    return identity


HIK_SDP = ("sdp", "rtsp", "RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\n\r\n"
           "v=0\r\no=- 1589474735691720 1589474735691720 IN IP4 192.168.10.147\r\ns=Media Presentation\r\ne=NONE\r\n"
           "m=video 0 RTP/AVP 96\r\na=Media_header:MEDIAINFO=494D4B48010200000400000101200110803E0000803E00000000;\r\n")
DAHUA_SERVER = ("options", "rtsp", "RTSP/1.0 200 OK\r\nCSeq: 1\r\nServer: Rtsp Server/3.0\r\n\r\n")


def test_conflicting_makers_give_undetermined_with_both_sides() -> None:
    """A Hikvision SDP (IMKH media header) and a Dahua Server header on one device: neither side is picked, however
    strong; the reason names both, with their evidence, and every restriction is undetermined."""
    alone = [_one(HIK_SDP).manufacturer, _one(DAHUA_SERVER).manufacturer]
    assert alone == ["Hikvision", "Dahua"]  # each answer alone names its maker
    identity = _one(HIK_SDP, DAHUA_SERVER)
    assert identity.manufacturer is None and identity.confidence == 0.0
    reason = identity.unknown["manufacturer"]
    assert "Hikvision" in reason and "Dahua" in reason and "does not pick" in reason
    assert {"rtsp.hikvision.sdp-imkh", "rtsp.server.dahua-rtsp-server-3"} <= {e.rule for e in identity.evidence}
    assert any(c.field == "manufacturer" for c in identity.conflicts)
    assert identity.certain_because is None
    for finding in Restrictions().assess(identity):
        assert finding.status == "undetermined", finding


def test_makers_of_one_group_do_not_contest() -> None:
    """EZVIZ is Hikvision's: an EZVIZ label and a Hikvision trait are one group, not a contest."""
    identity = _one(("onvif", "onvif_device_info",
                     "<tds:GetDeviceInformationResponse><tds:Manufacturer>EZVIZ</tds:Manufacturer>"
                     "<tds:Model>CS-C6N</tds:Model><tds:FirmwareVersion>V5.3.0</tds:FirmwareVersion>"
                     "</tds:GetDeviceInformationResponse>"), HIK_SDP)
    assert identity.manufacturer is not None and "different makers" not in identity.unknown.get("manufacturer", "")


def test_sdp_session_lines_never_make_hikvision_certain() -> None:
    """Every RTSP answer of a Hikvision camera (its OPTIONS layout, its SDP's session lines, IMKH header and origin)
    is still one kind of evidence: copies and clones reproduce RTSP answers, so the maker stays probable."""
    identity = identify("hik-ipc-c2875-rtsp-options", "hik-ipc-c2875-rtsp-describe-200-sdp")
    rules = {e.rule for e in identity.evidence}
    assert {"rtsp.hikvision.sdp-imkh", "rtsp.hikvision.sdp-session-lines"} <= rules
    assert identity.manufacturer == "Hikvision" and identity.certain_because is None
    assert ndaa(identity)[:2] == ("covered", "probable")


def test_a_clone_copying_hikvisions_session_lines_is_not_called_hikvision() -> None:
    """The clone of tests/fixtures/hard_negatives (clone-015) copies s=Media Presentation, e=NONE, x-dimensions and
    the IMKH header, but not the origin line Hikvision's server writes: no maker is named, the firmware family is."""
    import json

    path = Path(__file__).parent / "fixtures" / "hard_negatives" / "clones.jsonl"
    item = next(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip() and json.loads(line)["id"] == "clone-015")
    (identity,) = IDENTIFIER.identify_all([Observation(id="c", protocol="rtsp", response=item["response"], device="c")])
    assert identity.manufacturer is None
    assert identity.family == "Hikvision firmware"  # what the copied lines do say


def _signals_by_every_pair(evidence: list[Evidence]) -> list[list[Evidence]]:
    """The definition :func:`signals` keeps, compared pair by pair (quadratic: a device whose answers repeat
    thousands of times took seconds with it)."""
    groups: list[list[int]] = []
    for i, a in enumerate(evidence):
        joined = [g for g in groups if any(a.rule == evidence[j].rule or same_bytes(a, evidence[j]) for j in g)]
        merged = sorted({i, *(j for g in joined for j in g)})
        groups = [g for g in groups if g not in joined] + [merged]
    return [[evidence[j] for j in g] for g in sorted(groups)]


def test_signals_are_those_of_every_pair_compared() -> None:
    chooser = random.Random(20261202)  # fixed: the same 300 lists on every run
    matches = ("", "Server: App-webs/", "App-webs/", "IMKH session line example", "session line example of sixteen+",
               "webs/")
    for _ in range(300):
        evidence = [Evidence(record=chooser.choice(("r1", "r2", "r3")), rule=f"rule.{chooser.choice('abc')}",
                             asserts={}, matched=chooser.choice(matches), confidence=0.5, source="test")
                    for _ in range(chooser.randrange(25))]
        assert signals(evidence) == _signals_by_every_pair(evidence)


def test_an_answer_repeated_many_times_is_one_signal_per_rule() -> None:
    one = [Evidence(record="r1", rule="rule.a", asserts={}, matched="Server: App-webs/", confidence=0.5,
                    source="test"),
           Evidence(record="r1", rule="rule.b", asserts={}, matched="App-webs/", confidence=0.5, source="test")]
    assert len(signals(one * 5000)) == 1


AXIS_REALM = "axis-ws-http-401-apache"  # an Axis unit's 401 with the realm AXIS_WS_<MAC> (node-onvif #40)


def test_a_mac_prefix_read_from_the_bytes_that_name_the_maker_is_not_a_second_kind() -> None:
    """The realm names Axis, and its MAC's registrant is Axis too: one realm, one kind (probable)."""
    identity = identify(AXIS_REALM)
    assert identity.manufacturer == "Axis"
    assert identity.certain_because is None
    assert "only one kind of evidence" in str(identity.probable_because)
    assert any(e.rule == "oui.axis" and "as read by realm.axis.mac" in e.matched for e in identity.evidence)


def test_the_same_mac_from_the_link_layer_is_a_kind_of_its_own() -> None:
    """The same answer, with the MAC the capture saw it come from: the registry lookup is independent."""
    rec = RECORDINGS[AXIS_REALM]
    (identity,) = IDENTIFIER.identify_all([Observation(id="r1", protocol=rec.protocol, response=rec.response,
                                                       device="d", mac="ac:cc:8e:49:45:78")])
    assert identity.manufacturer == "Axis"
    assert identity.certain_because is not None and "oui" in identity.certain_because

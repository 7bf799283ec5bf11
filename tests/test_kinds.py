"""Device kinds in a device's own words (knowledge/kinds.yaml) and what they decide: a label's brand relationship,
which is about the label's video lines, applies only where the device's answers do not show it to be something
else. An Intelbras page that is a router's is Intelbras's; one that shows video equipment, or says nothing of its
kind, stays the Dahua-built camera brands.yaml describes (probable)."""

from __future__ import annotations

import pytest

from camaudit.identify.kinds import answer_words, kind_words
from camaudit.identify.pipeline import Identifier
from camaudit.knowledge.kinds import default_kind_book, load_kind_book, word_pattern
from camaudit.model import Identity, Observation

IDENTIFIER = Identifier.default()
BOOK = default_kind_book()


def _identify(*answers: tuple[str, str]) -> Identity:
    observations = [Observation(id=f"r{n}", protocol=protocol, response=response, device="d")
                    for n, (protocol, response) in enumerate(answers)]
    (identity,) = IDENTIFIER.identify_all(observations)
    return identity


def _brand_reason(identity: Identity) -> str:
    return next(e.matched for e in identity.evidence if e.rule.startswith("brand."))


def test_every_kind_is_sourced_and_its_examples_name_it() -> None:
    book = load_kind_book([])
    assert {"Router", "Switch", "Access Point", "Printer", "NAS", "UPS"} <= book.not_video
    assert all(book.video(name) for name in ("IP Camera", "NVR", "DVR", "Intercom", "Encoder"))
    for kind in book.kinds:
        assert kind.examples and kind.words, kind.name
        for example in kind.examples:
            assert kind.name in book.read(example), (kind.name, example)


@pytest.mark.parametrize(("text", "kinds"), [
    ("Roteador Wireless N WRN 240", {"Router"}),
    ('<p id="product">WRN 240</p>', {"Router"}),
    ("nas câmeras da casa", set()),  # Portuguese "nas" (in the) is no NAS: acronyms match only in capitals
    ("Synology NAS", {"NAS"}),
    ("Upgrade popups", set()),
    ("a routerboard", set()),  # whole words only
    ("VTO2311R-WP", {"Intercom"}),  # a product line's model with its suffix
    ("Intelbras MHDX 1016", {"DVR"}),
    ("Intelbras VIP3230D", {"IP Camera"}),
    ("nmap.product=Intelbras webcam httpd", {"IP Camera"}),
])
def test_words_and_lines_name_kinds(text: str, kinds: set[str]) -> None:
    assert set(BOOK.read(text)) == kinds


def test_a_word_in_capitals_only_matches_in_capitals() -> None:
    assert word_pattern("NAS").count("(?-i:") == 1 and "(?-i:" not in word_pattern("router")


def test_a_page_is_read_as_its_visible_text() -> None:
    page = "<title>Intelbras</title><script>var router = 1;</script><style>.camera{}</style><p>WRN 240</p>"
    text = answer_words(Observation(id="r", protocol="http_body", response=page))
    assert "router" not in text and "camera" not in text and "WRN 240" in text
    head = "HTTP/1.1 401 Unauthorized\r\nServer: Router\r\nX-Note: camera\r\n\r\n"
    assert answer_words(Observation(id="r", protocol="http_header", response=head)).strip() == "Router"
    assert answer_words(Observation(id="r", protocol="tls_cert", response="subject: CN=router")) == ""


def test_an_intelbras_router_page_is_intelbras_with_the_reason() -> None:
    identity = _identify(("http_body", '<html><head><title>Intelbras</title></head><p id="product">WRN 240</p>'))
    assert identity.manufacturer == "Intelbras" and identity.brand == "Intelbras"
    reason = _brand_reason(identity)
    assert "a Router ('WRN 240')" in reason and "non-video lines are not made by Dahua" in reason


def test_a_bare_intelbras_title_stays_the_dahua_built_camera_probable() -> None:
    """nmap's match for a page titled only "Intelbras" is a webcam (nmap-service-probes L10612): nothing in the page
    says otherwise, so brands.yaml's relationship stands, probable only."""
    identity = _identify(("http_body", "<html><head><title>Intelbras</title></head>"))
    assert identity.manufacturer == "Dahua" and identity.confidence <= 0.5 and not identity.certain_because


@pytest.mark.parametrize("answers", [
    # a model of the label's camera line (Intelbras VIP), nothing else
    [("http_body", '<title>Intelbras</title><p id="product">VIP 3230 D</p>')],
    # a camera word beside the router word: video equipment
    [("http_body", "<title>Intelbras</title><p>Roteador</p><p>Câmera IP camera VIP 3230</p>")],
    # an answer only video equipment gives (Dahua's DHIP) beside a router page of the same label
    [("http_body", "<title>Intelbras</title><p>Roteador</p>"),
     ("dhip", '{"method":"client.notifyDevInfo",'
              '"params":{"deviceInfo":{"Vendor":"Intelbras","DeviceType":"MHDX 1016"}}}')],
    # nmap's conclusion names a webcam
    [("other", "nmap.port=80/tcp\nnmap.product=Intelbras webcam httpd\nnmap.devicetype=webcam\n"),
     ("http_body", "<title>Intelbras</title>")],
])
def test_video_evidence_keeps_the_label_oem(answers: list[tuple[str, str]]) -> None:
    assert _identify(*answers).manufacturer == "Dahua"


def test_words_count_only_for_a_label_whose_maker_sells_other_kinds() -> None:
    """Amcrest sells cameras and recorders only (the maker catalogue): a router word on an Amcrest page (a help
    text about port forwarding) does not make the device Amcrest's own router."""
    identity = _identify(("http_body", "<title>Amcrest</title><p>Set up port forwarding on your router</p>"))
    assert identity.manufacturer == "Dahua"


def test_kind_words_keep_video_apart() -> None:
    found = kind_words([Observation(id="r", protocol="http_body", response="<p>NVR</p><p>Managed Switch</p>")], BOOK)
    assert found.video == {"NVR": "NVR"} and found.other == {"Switch": "Managed Switch"}


def test_a_hostile_page_is_read_within_its_window() -> None:
    page = "<script" * 100_000 + "router"
    assert kind_words([Observation(id="r", protocol="http_body", response=page)], BOOK).other == {}
    long_text = "x " * 1_000_000 + "router"
    assert kind_words([Observation(id="r", protocol="other", response=long_text)], BOOK).other == {}

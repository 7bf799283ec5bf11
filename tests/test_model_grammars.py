"""Model-number grammars (fingerprints/models.yaml): each shape yields what its examples say, and a prefix
several makers share never decides a maker on its own."""

from __future__ import annotations

import pytest

from camaudit.identify.pipeline import Identifier
from camaudit.knowledge.brands import load_brandbook
from camaudit.knowledge.fingerprints import load_collisions, load_rulebook
from camaudit.model import Observation

RULES = [r for r in load_rulebook().rules if r.part == "model" and r.kind == "isapi_deviceinfo"]
COLLISIONS = load_collisions()
BOOK = load_brandbook([])


def _maker_of(label: str) -> str:
    """The maker a label stands for (HiLook -> Hikvision), or the label itself for a maker."""
    entry = BOOK.brand(label)
    return entry.manufacturer if entry is not None and entry.manufacturer else label


def test_the_shared_prefixes_are_stated() -> None:
    ipc = next(c for c in COLLISIONS if c.prefix == "IPC-")
    assert {"Dahua", "Uniview", "HiLook"} <= set(ipc.makers)
    for collision in COLLISIONS:
        assert collision.sources
        for examples in collision.examples.values():
            assert all(e.startswith(collision.prefix) for e in examples), collision.prefix


@pytest.mark.parametrize("collision", COLLISIONS, ids=lambda c: c.prefix)
def test_a_collision_alone_never_decides(collision) -> None:  # type: ignore[no-untyped-def]
    for owner, examples in collision.examples.items():
        for example in examples:
            for rule in RULES:
                found = rule.match(example)
                if not found:
                    continue
                for field in ("brand", "manufacturer"):
                    named = found.get(field)
                    assert named is None or _maker_of(named) == _maker_of(owner), (
                        f"{rule.id} names {named} for {owner}'s {example} (shared prefix {collision.prefix})")
    # the shared part alone: a maker may be named only when every sharer is that one maker (HiWatch is Hikvision's)
    bare = collision.prefix + "0000"
    sharers = {_maker_of(m) for m in collision.makers}
    for rule in RULES:
        for field in ("brand", "manufacturer"):
            named = (rule.match(bare) or {}).get(field)
            assert named is None or (len(sharers) == 1 and _maker_of(named) in sharers), (rule.id, bare)


def test_grammars_cover_the_makers_the_issue_names() -> None:
    ids = {r.id for r in RULES}
    for needed in ("model.hikvision.ds", "model.hikvision.intercom", "model.dahua.dh-prefix", "model.dahua.ipc",
                   "model.dahua.nvr", "model.dahua.xvr", "model.dahua.intercom", "model.amcrest.ip",
                   "model.imou.suffix", "model.uniview.ipc", "model.hilook.ipc"):
        assert needed in ids, needed


def test_every_grammar_example_has_a_source() -> None:
    for rule in RULES:
        for example in rule.examples:
            assert example.source, (rule.id, example.value)


#: grammars of makers beyond Hikvision and Dahua (issue 9): each names its label from the model alone
FURTHER = ("model.axis.named", "model.bosch.part", "model.bosch.line", "model.hanwha.wisenet", "model.vivotek.series",
           "model.mobotix.mx", "model.mobotix.move", "model.milesight.ms-c", "model.foscam.fi", "model.tplink.tapo",
           "model.tplink.vigi", "model.ezviz.cs", "model.lorex.ln", "model.swann.nhd", "model.pelco.sku",
           "model.sony.snc", "model.canon.vb", "model.ubiquiti.uvc", "model.arecont.av", "model.idis.dc",
           "model.geovision.gv", "model.tiandy.tc", "model.avigilon.h", "model.arlo.vm", "model.dw.dwc",
           "model.panasonic.bb-hc")


def test_grammars_cover_further_makers() -> None:
    ids = {r.id for r in RULES}
    assert set(FURTHER) <= ids, set(FURTHER) - ids
    brands = {r.asserts.get("brand") for r in RULES if r.id in FURTHER}
    assert len(brands) >= 20, brands
    for rule in RULES:
        if rule.id in FURTHER:
            assert rule.pattern.pattern.startswith("^"), rule.id  # anchored: a model's start is its maker's
            assert rule.checked and rule.source.startswith("https://"), rule.id
            named = rule.asserts.get("brand") or rule.asserts.get("manufacturer")
            assert named and (BOOK.brand(named) is not None or BOOK.makers.resolve(named) is not None), rule.id


@pytest.mark.parametrize("value", [
    "M3045-V",  # Axis's number without the AXIS word: a letter and four digits is too common a shape
    "C6N",  # EZVIZ's short name
    "IXE20",  # Pelco's family name
    "M16B",  # a Mobotix body name alone
    "UVC Camera",  # the USB video class, not Ubiquiti
    "GV-RX580",  # a graphics card's GV- number, not GeoVision's
    "SNC-4241BE",  # Samsung Techwin's SNC- numbering, not Sony's
    "IP8M-2496EB",  # an IP8M- model is not Vivotek's IP8xxx
    "TPC-BF1241",  # Dahua thermal, not Tiandy's TC-
    "TC-100",  # a TC- number with no line letter
    "CS-X400D2",  # an air conditioner's CS- number, not EZVIZ's
    "GV-N4090GAMING",  # a graphics card
    "DC-GH5",  # a still camera's DC- number, not IDIS's
    "AV1500 (Ceiling mount)",  # a small cell's AV number, not Arecont's
    "VMC1060",  # a machining centre, not an Arlo camera
    "NHD-TX",  # an AV-over-IP encoder, not a Swann camera
    "NHD-800-RX",
    "S16B-X1",  # a body-like code without Mx-
    "IP810",  # three digits with no feature letters
])
def test_short_or_shared_forms_name_no_further_maker(value: str) -> None:
    for rule in RULES:
        if rule.id in FURTHER:
            assert rule.match(value) is None, (rule.id, value)


@pytest.mark.parametrize(("model", "maker"), [
    ("NDE-5503-AL", "Bosch"), ("XNV-8080R", "Hanwha Vision"), ("MS-C2964-FPD", "Milesight"), ("DC-D4236RX", "IDIS"),
    ("SNC-EM602R", "Sony"), ("VB-R13VE", "Canon"), ("2.0W-H3-BO1-IR", "Avigilon"), ("CS-C6N", "Hikvision"),
    ("SNC-4241BE", None),
])
def test_a_model_in_a_realm_names_its_maker(model: str, maker: str | None) -> None:
    """A realm holding a model number (examples of the grammars above): the grammar names the label, and the
    brand book its maker (EZVIZ is Hikvision's); a number no grammar reads names none."""
    response = f'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="{model}"\r\n\r\n'
    (identity,) = Identifier.default().identify_all([Observation(id="h", protocol="http_header", response=response)])
    assert identity.manufacturer == maker, model


#: grammars for further labels of Hikvision and Dahua (issue 9, 2026-12-03): each names a label (or only a kind of
#: device) from the model; the label's maker, if any, comes from the brand book
OEM_LABELS = ("model.hiwatch.hw", "model.lts.cmip", "model.lts.ltn", "model.icrealtime.ip", "model.amcrest.doorbell",
              "model.amcrest.ash", "model.honeywell.performance", "model.dahua.ptz")


def test_oem_label_grammars_are_anchored_sourced_and_name_known_labels() -> None:
    by_id = {r.id: r for r in RULES}
    assert set(OEM_LABELS) <= set(by_id), set(OEM_LABELS) - set(by_id)
    for rule_id in OEM_LABELS:
        rule = by_id[rule_id]
        assert rule.pattern.pattern.startswith("^"), rule_id
        assert rule.checked == "2026-12-03" and rule.source.startswith("https://"), rule_id
        assert "manufacturer" not in rule.asserts, rule_id  # a label grammar never names the maker itself
        named = rule.asserts.get("brand")
        assert named is None or BOOK.brand(named) is not None, rule_id


def test_honeywell_performance_names_no_maker() -> None:
    """Honeywell's Performance line was only partly Dahua-made, and only until April 2022: the label alone
    names no maker."""
    entry = BOOK.brand("Honeywell")
    assert entry is not None and entry.manufacturer is None
    rule = next(r for r in RULES if r.id == "model.honeywell.performance")
    assert rule.asserts.get("brand") == "Honeywell"


@pytest.mark.parametrize("value", [
    "CMIP6",  # the climate model project, not an LTS camera
    "CMIP5-ESM",
    "CMHT1722-28LS",  # LTS's coaxial camera: no network answer, not the CMIP grammar
    "LTD2316SE-SL",  # an LTS DVR of another firmware family: not the LTN grammar
    "LTN-7616",
    "HW-2404",  # HW with no line letter
    "HWT-T120-M",  # HiWatch's coaxial camera line is left out
    "IPMX",  # the media-over-IP standard's name
    "IPMX-2",
    "AD100",  # not an Amcrest doorbell number
    "AD110X",
    "ASH21-PRO",  # more than a colour letter after the dash
    "ASHRAE-90",
    "HC35W45R2",  # Honeywell's 30/35 Series cameras, not the Performance grammar
    "IPC-D122-PF28",  # Uniview (shared IPC- stem): none of these grammars reads it
    "IPC-B140H-M",  # HiLook
    "DS-2DE2A404IW-DE3",  # Hikvision's PTZ: not Dahua's SD grammar
])
def test_oem_label_grammars_refuse_near_misses(value: str) -> None:
    for rule in RULES:
        if rule.id in OEM_LABELS:
            assert rule.match(value) is None, (rule.id, value)


@pytest.mark.parametrize(("model", "maker"), [
    ("CMIP3C42WI-28SDL", "Hikvision"),  # LTS, a Hikvision OEM label (brand book)
    ("HWN-2408MH-8P", "Hikvision"),  # HiWatch, Hikvision's brand
    ("IPEL-E80F-IRW2", "Dahua"),  # IC Realtime, a Dahua OEM label
    ("ASH21-B", "Dahua"),  # Amcrest
    ("SD22404DB-GNY", None),  # Dahua's PTZ shape says the kind of device, not the maker
    ("DS-9632NI-I8", "Hikvision"),
])
def test_an_oem_label_model_in_a_realm(model: str, maker: str | None) -> None:
    """A label's model number names its maker through the brand book, and never as certain."""
    response = f'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="{model}"\r\n\r\n'
    (identity,) = Identifier.default().identify_all([Observation(id="h", protocol="http_header", response=response)])
    assert identity.manufacturer == maker, model
    assert not identity.certain_because, (model, identity.certain_because)


#: grammars for the makers whose equipment fills internet scans (issue 9, 2026-12-04): routers, modems, NAS,
#: printers, UPS cards, switches and more camera makers; each names a catalogue maker from the model alone
SCAN_MAKERS = ("model.netgear.network", "model.asus.network", "model.linksys.network", "model.zyxel.network",
               "model.huawei.network", "model.mikrotik.routerboard", "model.synology.nas", "model.qnap.nas",
               "model.brother.printer", "model.epson.workforce", "model.canon.lbp", "model.apc.ups", "model.cisco.sg",
               "model.fortinet.fortigate", "model.draytek.vigor", "model.avtech.av", "model.samsung-techwin.sn",
               "model.panasonic.wv-net", "model.grandstream.ip", "model.acti.cam", "model.mercusys.router",
               "model.ubiquiti.edge", "model.cisco.catalyst", "model.provision.ip",
               "model.sanyo.vcc", "model.sharp.mx", "model.toshiba.e-studio", "model.dlink.more",
               "model.kyocera.printer", "model.lantronix.device", "model.cisco.ip-phone", "model.actiontec.gateway",
               "model.tplink.td", "model.trendnet.network", "model.grandstream.ht", "model.edimax.br",
               "model.belkin.f5d", "model.usrobotics.usr", "model.iqinvision.iqeye", "model.panasonic.aw",
               "model.linksys.bef", "model.vivotek.seven", "model.zebra.printer", "model.koukaam.netio",
               "model.dynalink.rta", "model.smc.networks", "model.levelone.camera", "model.sharp.ar",
               "model.panasonic.kx")


def test_scan_maker_grammars_are_anchored_sourced_and_name_catalogue_makers() -> None:
    by_id = {r.id: r for r in RULES}
    assert set(SCAN_MAKERS) <= set(by_id), set(SCAN_MAKERS) - set(by_id)
    for rule_id in SCAN_MAKERS:
        rule = by_id[rule_id]
        assert rule.pattern.pattern.startswith("^"), rule_id
        assert rule.checked == "2026-12-04" and rule.source.startswith("https://"), rule_id
        assert len(rule.examples) >= 1 and all(e.source.startswith("https://") for e in rule.examples), rule_id
        named = rule.asserts.get("brand")
        assert named and BOOK.makers.resolve(named) is not None, rule_id


@pytest.mark.parametrize("value", [
    "R8000",  # General Dynamics' analyser (nmap): Netgear's bare Nighthawk numbers are left out
    "HG100R",  # Humax, not Huawei's HG
    "HG-4000",  # Hypermedia's GSM gateway
    "XP-8600",  # Enterasys' router, not Epson's Expression
    "TS-350i",  # TalkSwitch's phone system, not QNAP
    "TS-350",
    "RS232", "RS485", "RS422+",  # serial standards (and Synology's RS422+, which shares the name)
    "DS1307",  # a clock chip
    "DS18B20",  # a temperature sensor
    "DS-2CD2032-I",  # Hikvision, not Synology
    "SG210",  # Blue Coat's proxy, not Cisco's switch
    "USG-PRO-4",  # Ubiquiti's gateway, not Zyxel's USG
    "NSA325", "NSA220",  # Zyxel storage and SonicWall firewalls share NSA: neither is named
    "MF4450",  # Canon and ZTE both write MF numbers
    "RV042", "RV082",  # sold as Linksys and as Cisco
    "DSL-2750U",  # D-Link, not ASUS's DSL-N/AC/AX
    "AV10005DN",  # Arecont Vision, not AVTECH
    "SNC-4241BE",  # the SNC- collision
    "WV-S1131",  # i-PRO's numbering, not Panasonic's own-era WV-SC/WV-NP
    "Apache2", "Win32", "OpenSSL1",  # product tokens a Server header holds
    "ER605", "TL-ER604W",  # TP-Link's routers, not Ubiquiti's EdgeRouter ER-
    "MR600",  # TP-Link's Archer MR600, not Mercusys's MR..X
    "WR1300", "WR841N",  # Cudy's and TP-Link's bare WR numbers: the shape is shared, so no grammar reads it
    "GS1900-24", "GS2210",  # Zyxel's switches, not Netgear's GS
    "SPA112", "SPA942", "RVS4000",  # sold as Linksys and as Cisco: neither is named
    "CP-UNC-TA21PL3",  # CP Plus, not a Cisco phone
    "HT-C5200",  # a Samsung home theatre, not a Grandstream HandyTone
    "MX64", "MX711de",  # Meraki's and Lexmark's MX numbers, not Sharp's MX-
    "I3-8100", "I7-9700K",  # processor numbers, not Provision-ISR's I3-/I4- housings (no IP after the series)
])
def test_scan_maker_grammars_refuse_shared_or_foreign_shapes(value: str) -> None:
    for rule in RULES:
        if rule.id in SCAN_MAKERS:
            assert rule.match(value) is None, (rule.id, value)


@pytest.mark.parametrize(("realm", "maker"), [
    ("WNR2200", "Netgear"), ("RT-AC68U", "Asus"), ("WRT54G", "Linksys"), ("P-660HW-D1", "Zyxel"),
    ("HG8245H", "Huawei"), ("RB951G-2HnD", "MikroTik"), ("DS918+", "Synology"), ("TS-419P+", "QNAP"),
    ("MFC-9340CDW", "Brother"), ("AP9630", "Schneider Electric"), ("Vigor2820", "DrayTek"),
    ("FD8134", "Vivotek"), ("FI9821W", "Foscam"), ("AVN801", "AVTECH"), ("SNB-2000", "Hanwha Vision"),
    ("R8000", None), ("HG100R", None), ("RS232", None),
])
def test_a_model_without_a_hyphen_in_a_realm_names_its_maker(realm: str, maker: str | None) -> None:
    """A realm that is a bare model number (nmap's Netgear, Linksys and ASUS realms are): the banner reader hands
    words with or without a hyphen to the grammars, which name the label as probable, never certain."""
    response = f'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="{realm}"\r\n\r\n'
    (identity,) = Identifier.default().identify_all([Observation(id="h", protocol="http_header", response=response)])
    assert identity.manufacturer == maker, realm
    assert not identity.certain_because, (realm, identity.certain_because)


def test_banner_model_words_keep_hyphened_words_first_and_skip_product_tokens() -> None:
    from camaudit.identify.declared.banner import model_candidates

    words = model_candidates("Apache/2.4.41 (Win32) OpenSSL/1.1.1 mini_httpd/1.19 WNR2000v3 DCS-930L")
    assert words[0] == "DCS-930L" and "WNR2000v3" in words
    assert not {"Apache/2.4.41", "OpenSSL/1.1.1", "mini_httpd/1.19"} & set(words)
    assert model_candidates("A1" * 100_000) == []  # a huge run of single digits between letters holds no model shape


@pytest.mark.parametrize(("value", "brand"), [
    ("DI-514", "D-Link"), ("DI-713P", "D-Link"), ("DVG-2032S", "D-Link"),
    ("DI-380IPSN-28", None), ("DI-590IP", None),  # Provision-ISR's DI- cameras, not D-Link's DI- routers
])
def test_dlink_di_routers_and_provision_cameras_kept_apart(value: str, brand: str | None) -> None:
    rule = next(r for r in RULES if r.id == "model.dlink.network")
    assert (rule.match(value) or {}).get("brand") == brand, value


#: the model grammars that read no banner word written without a hyphen: each label stands for Hikvision or Dahua
#: in the brand book, and a word of letters and digits alone in a title or a realm could match by chance
HYPHEN_ONLY = ("model.lts.cmip", "model.lts.ltn", "model.amcrest.doorbell", "model.amcrest.ash", "model.lorex.ln")
BIG_TWO = {"Hikvision", "Dahua"}


def _names_big_two(rule) -> bool:  # type: ignore[no-untyped-def]
    named = rule.asserts.get("brand") or rule.asserts.get("manufacturer")
    return named is not None and _maker_of(named) in BIG_TWO


def test_label_grammars_that_a_plain_word_could_match_for_hikvision_or_dahua_read_hyphened_words_only() -> None:
    """Every grammar naming a Hikvision or Dahua label that matches some example written without a hyphen is a
    hyphen-only grammar for banner words (plain_words: false); the others read plain words as before."""
    by_id = {r.id: r for r in RULES}
    assert all(not by_id[rule_id].plain_words for rule_id in HYPHEN_ONLY)
    for rule in RULES:
        if _names_big_two(rule) and any("-" not in e.value and rule.match(e.value) for e in rule.examples):
            assert not rule.plain_words, rule.id
    for rule_id in ("model.netgear.network", "model.vivotek.series", "model.synology.nas"):
        assert by_id[rule_id].plain_words, rule_id


def _plain_words(count: int) -> list[str]:
    """Words of the plain model shape the banner reader hands on (a capital, letters, digits, then letters and
    digits), drawn with a fixed seed, and the label grammars' own unhyphened numbers."""
    import random
    import string

    from camaudit.identify.declared.banner import _PLAIN_MODEL

    rng = random.Random(20261208)
    words = ["ASH21", "ASH24", "AD410", "AD110", "AD310", "LNB9292B", "LNE8964AB", "LNR6100", "LND4110",
             "LNZ32P12", "LTN7616", "LTN8716", "CMIP8242WB"]
    while len(words) < count:
        head = "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.randint(1, 4)))
        digits = "".join(rng.choice(string.digits) for _ in range(rng.randint(2, 5)))
        tail = "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(rng.randint(0, 3)))
        if len(head + digits + tail) >= 4:  # the banner reader's shortest word
            words.append(head + digits + tail)
    assert all(_PLAIN_MODEL.fullmatch(w) for w in words)
    return words


def test_a_plain_banner_word_never_names_hikvision_or_dahua_through_a_label_grammar() -> None:
    from camaudit.identify.declared.banner import model_candidates
    from camaudit.identify.engine import rule_evidence

    book = load_rulebook()
    named = []
    for word in _plain_words(3000):
        for title in (f"{word}", f"Camera {word} login", f"{word} DS-LOGIN"):
            words = model_candidates(title)
            assert word in words, title
            obs = Observation(id="t", protocol="http_body", response="")
            for found in rule_evidence(obs, book, declared_models=words, banner_words=True):
                rule = book.by_id(found.rule)
                if rule.part == "model" and _names_big_two(rule):
                    named.append((word, rule.id))
    assert named == []


@pytest.mark.parametrize("realm", ["ASH21", "AD410", "LNB9292B", "LNR6100", "LTN7616", "CMIP8242WB"])
def test_a_plain_word_in_a_realm_names_neither_hikvision_nor_dahua(realm: str) -> None:
    response = f'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="{realm}"\r\n\r\n'
    (identity,) = Identifier.default().identify_all([Observation(id="h", protocol="http_header", response=response)])
    assert identity.manufacturer not in BIG_TWO, realm


@pytest.mark.parametrize("rule_id", HYPHEN_ONLY)
def test_a_hyphen_only_grammar_still_reads_its_examples_as_declared_models(rule_id: str) -> None:
    """A declared model is read whatever its spelling (an Amcrest API's deviceType=ASH21), and a banner word with
    a hyphen is read as before (a realm "ASH21-B")."""
    from camaudit.identify.engine import rule_evidence

    book = load_rulebook()
    rule = book.by_id(rule_id)
    for example in rule.examples:
        obs = Observation(id="d", protocol="isapi_deviceinfo", response="")
        fired = {e.rule: e.asserts for e in rule_evidence(obs, book, declared_models=[example.value])}
        assert rule_id in fired and all(fired[rule_id].get(k) == v for k, v in example.yields.items()), example
        from_banner = {e.rule for e in rule_evidence(obs, book, declared_models=[example.value], banner_words=True)}
        assert (rule_id in from_banner) == ("-" in example.value), example


def test_plain_words_is_a_model_grammars_switch_only() -> None:
    from camaudit.knowledge.files import KnowledgeError
    from camaudit.knowledge.fingerprints import _parse_rule

    raw = {"id": "t", "part": "title", "pattern": "^X", "asserts": {"brand": "X"}, "plain_words": False,
           "source": "https://example.org/", "checked": "2026-12-08", "examples": [{"value": "X"}]}
    with pytest.raises(KnowledgeError, match="plain_words"):
        _parse_rule(raw, "http_body", "test", "test.yaml")
    assert not _parse_rule({**raw, "part": "model"}, "http_body", "test", "test.yaml").plain_words

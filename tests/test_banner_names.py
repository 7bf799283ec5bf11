"""Banners that name their maker (Server headers, realms, titles, telnet greetings, certificates, DHCP vendor
classes): a catalogue name as whole words names the maker, with the false positives a banner invites ruled
out (a third party the device mentions, a chipset, software that runs anywhere, two makers in one banner).

Each positive case is a public answer: the parsers.yaml examples (recordings the fleet serves, nmap-service-probes
match lines, a provisioning plugin's list of Cisco vendor classes); the negatives are built to test one guard.
"""

from __future__ import annotations

import pytest

from camaudit.identify.declared.resolve import Resolver
from camaudit.identify.pipeline import Identifier
from camaudit.model import Observation
from camaudit.simulate.recordings import load_recordings

IDENTIFIER = Identifier.default()
RESOLVER = Resolver(IDENTIFIER.brands)
RECORDINGS = load_recordings()


def _named(text: str) -> str | None:
    found = RESOLVER.within(text)
    return None if found is None else (found[1].manufacturer or found[1].brand)


@pytest.mark.parametrize(("banner", "maker"), [
    ("TP-LINK Wireless N Router WR841N", "TP-Link"),  # recording tp-link-router-basic-realm
    ("Epson_IPP-Server/2.0.0", "Epson"),  # recording epson-ipp-server-response-headers
    ("AXIS_B8A44F0002C1", "Axis"),  # recording axis-rtsp-describe-401-realm
    ("MOBOTIX Camera User", "Mobotix"),  # recording mobotix-http-401-thttpd-mx
    ("TRENDNET | modelName | Network | DHCP", "TRENDnet"),  # IOTFuzzer's TRENDnet firmware page
    ("Welcome Visiting Huawei Home Gateway Copyright by Huawei Technologies Co., Ltd. Login:", "Huawei"),  # nmap
    ("Cisco Systems, Inc. IP Phone CP-7941G", "Cisco"),  # wazo-provd-plugins' Cisco vendor classes
    ("Canon Compact Photo Printer", "Canon"),  # recording canon-selphy-cp1500-ipps-tls-cert
    # nmap-service-probes: match rtsp m|^RTSP/1\.0 404 Not Found\r\nServer: AvigilonOnvifNvt/([\d.]+)\r\n| p/Avigilon
    # ONVIF camera rtspd/ (a version filled in): a catalogue name leading a CamelCase word
    ("AvigilonOnvifNvt/2.4.4.38", "Avigilon"),
    # a legal name longer than the window of words looked at, its legal form dropped (makers.yaml's Panasonic)
    ("Copyright Matsushita Electric Industrial Co., Ltd.", "Panasonic"),
])
def test_a_banner_names_its_maker(banner: str, maker: str) -> None:
    assert _named(banner) == maker


@pytest.mark.parametrize(("banner", "why"), [
    ("ZyXEL-RomPager/3.02", "ZyXEL's embedded server, which NetGear routers serve too (not_hardware)"),
    ("Logitech Media Server (8.3.1)", "software that runs on any PC or NAS (not_hardware)"),
    ("CN=GTS CA 1C3, O=Google Trust Services LLC", "a public certificate authority (not_hardware)"),
    ("IP Camera compatible with Hikvision", "a third party after 'with'"),
    ("Web client for Axis cameras", "a third party after 'for'"),
    ("Powered by Sony", "a third party after 'powered by'"),
    ("AV-TECH Video Web Server", "AVTECH is one word in the catalogue: AV and TECH are other words"),
    ("axis rotation server", "a one-word name in lower case is running text"),
    ("Hisilicon Embedded Linux", "a chipset maker names the chip, not the device"),
    ("Cisco-Linksys router", "two makers in one banner"),
    ("Boa/0.94.14rc21", "no catalogue name"),
    ("Hikvisionary", "never a part of a word"),
    ("MyAvigilonServer", "a name inside a CamelCase word, not leading it"),
    ("ServerAvigilon", "a name ending a CamelCase word"),
])
def test_a_banner_that_names_no_maker(banner: str, why: str) -> None:
    assert _named(banner) is None, why


def test_a_certificate_issued_by_another_names_its_owner_not_its_maker() -> None:
    """A website's certificate from Google's public CA (the subject and issuer of Zeek's ssl.log sample): the
    subject's O= is the site's owner and the issuer a public authority, so neither names a maker."""
    cert = ("subject: CN=*.gstatic.com,O=Google Inc,L=Mountain View,ST=California,C=US\n"
            "issuer: CN=Google Internet Authority,O=Google Inc,C=US")
    (identity,) = IDENTIFIER.identify_all([Observation(id="c", protocol="tls_cert", response=cert)])
    assert identity.manufacturer is None
    own = "subject: CN=Axis Camera, O=Axis Communications AB\nissuer: CN=Axis Camera, O=Axis Communications AB"
    (identity,) = IDENTIFIER.identify_all([Observation(id="c", protocol="tls_cert", response=own)])
    assert identity.manufacturer == "Axis"  # self-signed: the subject is the device's own word


def test_banner_evidence_is_a_trait_and_names_the_field() -> None:
    rec = RECORDINGS["tp-link-router-basic-realm"]
    (identity,) = IDENTIFIER.identify_all([Observation(id=rec.id, protocol=rec.protocol, response=rec.response)])
    assert identity.manufacturer == "TP-Link"
    banner = [e for e in identity.evidence if e.rule.startswith("parser.banner-headers:")]
    assert banner and "names 'TP LINK'" in banner[0].matched
    assert identity.certain_because is None and identity.probable_because  # one banner is not certain


def test_a_banner_and_a_rule_naming_different_makers_give_undetermined() -> None:
    """A Dahua RTSP server banner with a certificate naming Axis: a contest, so no maker."""
    answers = [
        Observation(id="rtsp", protocol="rtsp", device="one",
                    response="RTSP/1.0 200 OK\r\nCSeq: 1\r\nServer: Rtsp Server/3.0\r\n\r\n"),
        Observation(id="cert", protocol="tls_cert", device="one",
                    response="subject: O=Axis Communications AB, CN=camera"),
    ]
    (identity,) = IDENTIFIER.identify_all(answers)
    assert identity.manufacturer is None
    assert "Dahua" in identity.unknown["manufacturer"] and "Axis" in identity.unknown["manufacturer"]


def test_model_numbers_in_banners_are_read_by_the_model_grammars() -> None:
    """A realm or title holding a model number (models from JoeyGE0/hikvision-fw-archive and OpenWrt's table of
    hardware): the model grammars name the label; a word with no hyphen or no digit is not a candidate."""
    cases = [
        ("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"AE-DC5013-F6\"\r\n\r\n", "Hikvision"),
        ("HTTP/1.1 200 OK\r\nServer: Linux, HTTP/1.1, DIR-860L Ver 1.00\r\n\r\n", "D-Link"),
        ("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"TL-WR841ND\"\r\n\r\n", "TP-Link"),
        ("HTTP/1.1 200 OK\r\nServer: DS-Lite gateway\r\n\r\n", None),
    ]
    for response, maker in cases:
        (identity,) = IDENTIFIER.identify_all([Observation(id="h", protocol="http_header", response=response)])
        assert identity.manufacturer == maker, response
        if maker:
            assert any(e.rule.startswith("model.") for e in identity.evidence)


@pytest.mark.parametrize(("banner", "maker"), [
    ("AUTODOME IP starlight 7000i", "Bosch"),  # Bosch's user manual title (manualmachine.com NDP-7512-Z30)
    ("FlexiDomeHD 1080p IP Camera", None),  # one word with the line's name inside: never a part of a word
    ("FlexiDome HD 1080p IP Camera", "Bosch"),  # Bosch installation manual AM18-Q0601
    ("EchoLife GPON Terminal HG8245T", "Huawei"),  # Huawei's HG8245T user manual title
    ("ZXHN F660", "ZTE"),  # ZTE's ZXHN F660 product description
    ("Sarix Modular Camera", "Pelco"),  # Pelco operations manual C6719M
    ("NPort 5110", "Moxa"),  # the model name line of nmap's Moxa NPort telnet match
    ("FRITZ!Box Fon WLAN 7390", "AVM"),  # nmap's FRITZ!Box ftpd matches (an alias of AVM itself)
])
def test_a_product_line_names_its_maker(banner: str, maker: str | None) -> None:
    """A device often names only its product line ("EchoLife", "NPort", "AUTODOME"): the catalogue's
    product_lines name the maker, spelled as listed or in capitals, as whole words, with a source each."""
    assert _named(banner) == maker


@pytest.mark.parametrize(("banner", "why"), [
    ("Web client for AUTODOME cameras", "a third party after 'for'"),
    ("sarix viewer", "a one-word line in lower case is running text"),
    ("NPort gateway HIKVISION NVR", "two makers in one banner"),
])
def test_a_product_line_that_names_no_maker(banner: str, why: str) -> None:
    assert _named(banner) is None, why


def test_product_line_evidence_says_it_is_a_line_and_cites_the_line() -> None:
    response = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"ZXHN F660\"\r\n\r\n"
    (identity,) = IDENTIFIER.identify_all([Observation(id="h", protocol="http_header", response=response)])
    assert identity.manufacturer == "ZTE"
    (banner,) = [e for e in identity.evidence if e.rule.startswith("parser.banner-headers:")]
    assert "a product line of ZTE" in banner.matched and "zxhn" in banner.source
    assert identity.certain_because is None  # one banner is probable, never certain


def test_a_vendor_prefix_or_a_domain_names_its_maker_in_any_case() -> None:
    """A banner's first product token led by a maker's name ("Server: cisco-IOS", from nmap-service-probes'
    Cisco IOS http match) and a maker's domain in a realm or greeting name the maker in lower case too; a
    lower-case word anywhere else stays running text, and so does a one-word field ("samsung" in an SDP comes
    from Samsung Techwin cameras, Hanwha Vision's now). Built to test the rule, from that nmap line."""
    assert _named("cisco-IOS") == "Cisco"
    assert _named("support@zyxel.com") == "Zyxel"
    assert _named("www.dahua.com login") == "Dahua"
    assert _named("samsung") is None
    assert _named("mini cisco-IOS") is None  # not the banner's first token
    assert _named("zyxel.com.evil") is None  # a label followed by more labels is not the domain's own


@pytest.mark.parametrize(("banner", "maker"), [
    ("hikvision", "Hikvision"),  # a Server header or realm that is the maker's name alone, in lower case
    ("axis", "Axis"),
    ("bosch 2.1", "Bosch"),  # a version number beside it is no other word
    ("CN=192.168.1.10, O=honeywell", "Honeywell"),  # one field of a certificate's name
    ("GrandStream Rtsp Server V100R001", "Grandstream"),  # a capital inside the word: a name as written
    ("NetGear GS108", "Netgear"),
    ("CN=10.0.0.7, O=unifi", "Ubiquiti"),  # a coined name (UniFi, a capital inside) as a whole field
    ("AsusWRT/3.0.0.4", "Asus"),  # a name leading a word, an acronym after it
])
def test_a_name_that_is_a_whole_field_or_written_as_a_name_counts_in_any_case(banner: str, maker: str) -> None:
    """A field holding nothing but a maker's name is the device naming itself, in whatever case: the catalogue
    must write the name in capitals somewhere (a trademark) and must not list it among the maker's
    ``common_words``. Built to test the rule."""
    assert _named(banner) == maker


@pytest.mark.parametrize(("banner", "why"), [
    ("ring", "an ordinary word (Ring's common_words)"),
    ("brother", "an ordinary word (Brother's common_words)"),
    ("Welcome to my abode", "an ordinary word (Abode's common_words), though the catalogue writes it so"),
    ("ring-doorbell/1.0", "an ordinary word, even as a product token's prefix"),
    ("www.zebra.com", "an ordinary word, even as a domain's label"),
    ("ruckus", "an ordinary word (Ruckus Networks' common_words)"),
    ("CN=ap, O=ruckus", "an ordinary word, even as a whole field"),
    ("samsung", "Samsung Techwin cameras write 'samsung' (Samsung's common_words)"),
    ("vision", "no maker is called so"),
    ("digital", "no maker is called so"),
    ("zte", "three letters in lower case are too short to be a whole-field name"),
    ("axis camera", "not the whole field: running text"),
    ("CN=axis camera, O=Example", "not the whole of its field"),
    ("Checkpoint 4.2", "a capitalised word is not a name in another spelling (Check Point)"),
])
def test_a_lower_case_word_that_is_not_a_whole_field_name_names_no_maker(banner: str, why: str) -> None:
    assert _named(banner) is None, why


@pytest.mark.parametrize("banner", [
    "RingCentral/21.3.0",  # another company's product: Ring's common word leading it
    "SharpSpring",
    "BuffaloGrove",
])
def test_a_common_word_leading_a_camelcase_word_names_no_maker(banner: str) -> None:
    """An ordinary word (a maker's ``common_words``) at the head of a CamelCase word is another company's coined
    name, not the maker's: only a name that is no ordinary word leads one ("AvigilonOnvifNvt"). Built to test
    the rule."""
    assert _named(banner) is None


def test_a_common_word_must_be_one_of_the_makers_names() -> None:
    from camaudit.knowledge.files import KnowledgeError
    from camaudit.knowledge.makers import Maker, MakerCatalogue

    maker = Maker(name="Example", aliases=("EXAMPLE",), country="", makes=("camera",), registrants=(), parent=None,
                  note="", sources=(), checked="2026-12-03", common_words=("Sample",))
    with pytest.raises(KnowledgeError, match="common word"):
        MakerCatalogue([maker])


@pytest.mark.parametrize("cert", [
    # nmap's ssl-cert script (its output as EyeWitness issue #310 shows it), a self-signed device certificate
    "| ssl-cert: Subject: commonName=192.168.1.20/organizationName=Axis Communications AB/countryName=SE\n"
    "| Issuer: commonName=192.168.1.20/organizationName=Axis Communications AB/countryName=SE\n",
    # openssl x509 -noout -subject -issuer (the form adfinis/check-ssl pull request #4 greps)
    "subject=C = SE, O = Axis Communications AB, CN = 192.168.1.20\n"
    "issuer=C = SE, O = Axis Communications AB, CN = 192.168.1.20",
    # a JSON record's distinguished names
    '{"subject_dn": "C=SE, O=Axis Communications AB, CN=192.168.1.20",\n'
    ' "issuer_dn": "C=SE, O=Axis Communications AB, CN=192.168.1.20"}',
    # nmap wraps a long name onto lines that start with "/" (nmap.org/nsedoc/scripts/ssl-cert.html)
    "443/tcp open  https\n| ssl-cert: Subject: commonName=192.168.1.20\n/organizationName=Axis Communications AB"
    "/countryName=SE\n| Issuer: commonName=Axis device ID CA\n/organizationName=Axis Communications AB\n",
    # JSON objects: Shodan's ssl.cert (CN/O keys), Censys' and ZGrab2's parsed names (common_name/organization lists)
    '{"ssl": {"cert": {"subject": {"C": "SE", "O": "Axis Communications AB", "CN": "192.168.1.20"},'
    ' "issuer": {"C": "SE", "O": "Axis Communications AB", "CN": "192.168.1.20"}}}}',
    '{\n  "subject": {\n    "common_name": ["192.168.1.20"],\n    "organization": ["Axis Communications AB"]\n  },\n'
    '  "issuer": {\n    "common_name": ["Axis device ID CA"],\n    "organization": ["Axis Communications AB"]\n  }\n}',
])
def test_a_certificate_is_read_as_tools_print_it(cert: str) -> None:
    """The subject and issuer as nmap, openssl and JSON records print them (long attribute names, ``/`` or
    ``,`` between fields, ``subject=``): built to test the reader, in those tools' formats."""
    (identity,) = IDENTIFIER.identify_all([Observation(id="c", protocol="tls_cert", response=cert)])
    assert identity.manufacturer == "Axis"


@pytest.mark.parametrize(("cert", "maker"), [
    # a heading, then the fields one a line and indented: nmap's ssl-cert elements as a scanner front end lists
    # them (the layout of D4-project/Plum-Island issue #204, its NBSP written as the escapes \xC2\xA0)
    ("Issuer\n    CN: Dahua\\xC2\\xA0Device\\xC2\\xA0NVR\\xC2\\xA0CA\n"
     "    Org: Zhejiang\\xC2\\xA0Dahua\\xC2\\xA0Technology\\xC2\\xA0Co.,Ltd.\n", "Dahua"),
    ("ssl-cert\nSubject\n    CN: 192.168.0.90\n    Org: Axis Communications AB\n    Country: SE\n", "Axis"),
    # the same with a colon after the heading, the "O:"/"OU:" short names, nmap's "| " bars
    ("| Subject:\n|   CN: 192.168.0.20\n|   O: Hanwha Vision\n|_  OU: Security\n", "Hanwha Vision"),
    # openssl x509 -text -nameopt multiline (and openssl ca's "Certificate Details"): "longName = value"
    ("        Subject:\n            countryName               = TW\n"
     "            organizationName          = VIVOTEK Inc.\n            commonName                = cam\n", "Vivotek"),
    # certutil -dump: "Issuer:", then one KEY=value a line, then the name's hashes, less indented
    ("Issuer:\n    CN=Milesight CA\n    O=Xiamen Milesight IoT Co., Ltd.\n  Name Hash(sha1): 0a1b\n", "Milesight"),
    # a whole name on the line after its heading (certigo's layout)
    ("Subject:\n\tC=DE, O=MOBOTIX AG, CN=mx10-0-0-1\n", "Mobotix"),
])
def test_a_certificate_name_under_a_heading_is_read(cert: str, maker: str) -> None:
    """A certificate's subject or issuer written as a heading and its fields on the lines below it, indented, in
    the layouts those tools print (built here with other makers' names): read for every maker, its organisation
    resolved through the maker catalogue, and probable only (a certificate's name is no self-description)."""
    (identity,) = IDENTIFIER.identify_all([Observation(id="c", protocol="tls_cert", response=cert)])
    assert identity.manufacturer == maker, identity.evidence
    assert not identity.certain_because


@pytest.mark.parametrize("cert", [
    # the fields must be indented deeper than their heading: here they are the next heading's, or nobody's
    "Subject\nCN: 192.168.0.90\nOrg: Axis Communications AB\n",
    # a blank line ends the block; a field of another name (Country, Locality) is not read as the organisation
    "Issuer\n\n    Org: Axis Communications AB\n",
    "Issuer\n    Country: SE\n    Locality: Axis Communications AB\n",
    # a heading of another thing than the name
    "Subject Public Key Info:\n    Org: Axis Communications AB\n",
])
def test_lines_that_are_no_name_under_a_heading_are_not_read(cert: str) -> None:
    (identity,) = IDENTIFIER.identify_all([Observation(id="c", protocol="tls_cert", response=cert)])
    assert identity.manufacturer is None, identity.evidence


@pytest.mark.parametrize(("cert", "maker"), [
    # openssl s_client's verify line for the leaf (depth=0) is its subject
    ("CONNECTED(00000003)\ndepth=0 C = SE, O = Axis Communications AB, CN = 192.168.0.90\nverify return:1\n", "Axis"),
    # the chain listing's first entry: its s: line the subject, the i: line right after it the issuer
    ("Certificate chain\n 0 s:CN = 192.168.0.90\n   i:C = SE, O = Axis Communications AB, CN = Axis device ID CA\n",
     "Axis"),
    # a CA further up (depth=1, entry 1) is not the device's certificate: here the only Axis name is the CA's
    ("depth=1 C = SE, O = Axis Communications AB, CN = Axis device ID CA\nverify return:1\n"
     " 1 s:C = SE, O = Axis Communications AB, CN = Axis device ID CA\n"
     "   i:C = SE, O = Axis Communications AB\n", None),
    # an i: line that follows no leaf entry is no issuer of the leaf
    ("---\n   i:C = SE, O = Axis Communications AB\n", None),
    # DigiCert (a public CA) is not Digi International, whose name leads its CamelCase name; nor in curl -v's form
    ("*  subject: CN=cam.example.com\n*  issuer: C=US; O=DigiCert Inc; CN=DigiCert SHA2 Secure Server CA\n", None),
    ("depth=0 CN = cam.example\n 0 s:CN = cam.example\n   i:C = US, O = DigiCert Inc, CN = DigiCert SHA2 Secure "
     "Server CA\n", None),
])
def test_a_certificate_is_read_as_s_client_prints_it(cert: str, maker: str | None) -> None:
    """The leaf's names in openssl s_client's output (the form of chromium/badssl.com issue #421 and
    HomeAssistant-Tapo-Control issue #1207), built here with other names."""
    (identity,) = IDENTIFIER.identify_all([Observation(id="c", protocol="tls_cert", response=cert)])
    assert identity.manufacturer == maker, identity.evidence


@pytest.mark.parametrize(("text", "maker"), [
    # nmap's dump for a port it could not name: the answers' Server headers and realms are the device's own
    ("PORT     STATE SERVICE VERSION\n8080/tcp open  http-proxy?\n| fingerprint-strings: \n|   GetRequest: \n"
     "|     HTTP/1.0 401 Unauthorized\n|     WWW-Authenticate: Basic realm=\"MOBOTIX Camera User\"\n|     Server: x\n"
     "|   HTTPOptions: \n|     HTTP/1.0 401 Unauthorized\n"
     "|_    WWW-Authenticate: Basic realm=\"MOBOTIX Camera User\"\n",
     "Mobotix"),
    # a Server line outside any dump (a script's own output) is not read
    ("PORT   STATE SERVICE\n80/tcp open  http\n|_http-server-header: Server: MOBOTIX\n", None),
    # the dump ends at the first line without nmap's bar
    ("| fingerprint-strings: \n|   GetRequest: \n|_    HTTP/1.0 200 OK\nServer: MOBOTIX\n", None),
])
def test_nmap_fingerprint_dumps_are_read_like_answers(text: str, maker: str | None) -> None:
    """nmap -sV's fingerprint-strings dump (the form of ant-thomas/zsgx1hacks issue #35 and Ullaakut/cameradar
    issue #181), built here with another maker's realm."""
    (identity,) = IDENTIFIER.identify_all([Observation(id="c", protocol="other", response=text)])
    assert identity.manufacturer == maker, identity.evidence


@pytest.mark.parametrize("record", [
    # ZGrab2's layout: the certificate, then the chain its server sent after it
    {"server_certificates": {
        "certificate": {"parsed": {"subject": {"common_name": ["cam"], "organization": ["Axis Communications AB"]},
                                   "issuer": {"common_name": ["Axis device ID CA"],
                                              "organization": ["Axis Communications AB"]}}},
        "chain": [{"parsed": {"subject": {"common_name": ["Intermediate CA"], "organization": ["Sony"]},
                              "issuer": {"common_name": ["Root CA"], "organization": ["Sony"]}}}]}},
    # the chain first, as sorted keys put it ("chain" before "leaf_data")
    {"certificates": {
        "chain": [{"subject": {"organization": ["Sony"]}, "issuer": {"organization": ["Sony"]}}],
        "leaf_data": {"subject": {"organization": ["Axis Communications AB"]},
                      "issuer": {"organization": ["Axis Communications AB"]}}}},
])
def test_a_json_certificate_is_its_own_not_its_chains(record: dict[str, object]) -> None:
    """The names of a JSON record's own certificate are read, not those of the chain kept beside it (another
    company's CA, here). Built to test the reader, in ZGrab2's and Censys' layouts."""
    import json

    response = json.dumps(record)
    (identity,) = IDENTIFIER.identify_all([Observation(id="c", protocol="tls_cert", response=response)])
    assert identity.manufacturer == "Axis"


def test_a_certificate_line_that_is_not_its_name_is_not_read() -> None:
    """openssl's "Subject Public Key Info" and "X509v3 Subject Alternative Name" are not the subject."""
    cert = ("        Subject Public Key Info:\n            Public Key Algorithm: rsaEncryption O=Axis\n"
            "            X509v3 Subject Alternative Name:\n                DNS:axis.example, O=Axis\n")
    (identity,) = IDENTIFIER.identify_all([Observation(id="c", protocol="tls_cert", response=cert)])
    assert identity.manufacturer is None


@pytest.mark.parametrize(("greeting", "maker"), [
    ("\xff\xfb\x01\xff\xfb\x03\xff\xfd\x18HIKVISION login: ", "Hikvision"),  # telnet option negotiation first
    ("\x1b[1;32mHIKVISION\x1b[0m login: ", "Hikvision"),  # ANSI colours around the name
    ("\x1b]0;camera\x07hikvision login: ", "Hikvision"),  # a window title set first (an OSC sequence)
    (r"\xff\xfb\x01\xff\xfb\x03\r\nHIKVISION login: ", "Hikvision"),  # a transcript kept in escaped form
    ("BusyBox v1.20.2 built-in shell\r\nhikvision login: ", "Hikvision"),  # a login prompt's host name alone
    ("(none) login: ", None),  # a host name that names nothing
    ("DVR login: ", None),
    ("192.0.0.64 login: ", None),
    ("Welcome\r\nring login: ", None),  # a common word (Ring's common_words) in lower case
    # the shapes of nmap-service-probes' LANCOM and Areca telnet matches: negotiation, then a banner or a screen
    # drawn with ANSI sequences (built here with other values)
    ("\xff\xfb\x01\xff\xfb\x03\r\n\r\n#\r\n| LANCOM 1790VA\r\n| Ver. 10.50 / 01.01.2024\r\n", "LANCOM Systems"),
    ("\xff\xfe\"\xff\xfb\x01\x1b[0m\x1b[2J\x1b(B\x1b[7m\x1b[f   Areca Technology Corporation RAID Controller", "Areca"),
])
def test_a_telnet_greeting_is_read_as_a_terminal_shows_it(greeting: str, maker: str | None) -> None:
    """Telnet negotiation, ANSI escape sequences and escaped transcripts do not hide a name, and a login prompt's
    host name is a field of its own (a whole-field name counts in lower case). Built to test the reader."""
    (identity,) = IDENTIFIER.identify_all([Observation(id="t", protocol="telnet_banner", response=greeting)])
    assert identity.manufacturer == maker


@pytest.mark.parametrize(("protocol", "response"), [
    # a client's transcript: the request it sent and its notes, then the answer on a line of its own (the layout
    # live555's openRTSP prints, as in djwackey/dorsvr issue #12)
    ("rtsp", "Sending request: DESCRIBE rtsp://192.168.1.20/stream1 RTSP/1.0\nCSeq: 2\nAccept: application/sdp\n\n"
             "Received a complete DESCRIBE response:\nRTSP/1.0 200 OK\nCSeq: 2\nServer: AXIS Media Server\n"
             "Content-Type: application/sdp\n\nv=0\no=- 1 1 IN IP4 192.168.1.20\ns=Session\nt=0 0\n"),
    ("rtsp", "Received a complete DESCRIBE response:\nRTSP/1.0 200 OK\nCSeq: 2\nContent-Type: application/sdp\n\n"
             "v=0\no=- 1 1 IN IP4 192.168.1.20\ns=AXIS Media Presentation\nt=0 0\n"),
    # an answer kept in escaped form on one line, as nmap and scan exports print bytes
    ("rtsp", r"RTSP/1.0 200 OK\r\nCSeq: 1\r\nServer: AXIS Media Server\r\n\r\n"),
    ("http_header", r"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"AXIS_00408C123456\"\r\n\r\n"),
])
def test_an_answer_inside_a_transcript_or_kept_escaped_is_read(protocol: str, response: str) -> None:
    """Built to test the message splitter: the answer is found after a client's request and notes, and an
    escaped one-line copy is read as the bytes it stands for."""
    (identity,) = IDENTIFIER.identify_all([Observation(id="r", protocol=protocol, response=response)])
    assert identity.manufacturer == "Axis"


#: a client's transcript of two exchanges: OPTIONS answered without a name, then DESCRIBE answered with a challenge
#: (the layout of Scrypted's Rebroadcast log of a Tapo C110 in koush/scrypted issue #441)
TWO_ANSWERS = ("[Rebroadcast Plugin]: rtsp outgoing message\n"
               "[Rebroadcast Plugin]:  OPTIONS rtsp://10.10.0.140:554/stream1 RTSP/1.0\n"
               "[Rebroadcast Plugin]: CSeq: 0\n[Rebroadcast Plugin]: User-Agent: Scrypted\n[Rebroadcast Plugin]: \n"
               "[Rebroadcast Plugin]: rtsp incoming message\n[Rebroadcast Plugin]:  RTSP/1.0 200 OK\n"
               "[Rebroadcast Plugin]: CSeq: 0\n[Rebroadcast Plugin]: Date: Thu, Nov 24 2022 23:50:14 GMT\n"
               "[Rebroadcast Plugin]: Public: OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY, GET_PARAMETER, SET_PARAMETER\n"
               "[Rebroadcast Plugin]: \n[Rebroadcast Plugin]: rtsp outgoing message\n"
               "[Rebroadcast Plugin]:  DESCRIBE rtsp://10.10.0.140:554/stream1 RTSP/1.0\n"
               "[Rebroadcast Plugin]: Accept: application/sdp\n[Rebroadcast Plugin]: CSeq: 1\n"
               "[Rebroadcast Plugin]: User-Agent: Scrypted\n[Rebroadcast Plugin]: \n"
               "[Rebroadcast Plugin]: rtsp incoming message\n[Rebroadcast Plugin]:  RTSP/1.0 401 Unauthorized\n"
               "[Rebroadcast Plugin]: CSeq: 1\n[Rebroadcast Plugin]: Date: Thu, Nov 24 2022 23:50:14 GMT\n"
               "[Rebroadcast Plugin]: WWW-Authenticate: Basic realm=\"TP-Link IP-Camera\"\n")


@pytest.mark.parametrize("response", [
    TWO_ANSWERS,
    # the same two answers back to back, as a capture's TCP stream shows them
    "RTSP/1.0 200 OK\r\nCSeq: 0\r\nPublic: OPTIONS, DESCRIBE, SETUP\r\n\r\n"
    "RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\nWWW-Authenticate: Basic realm=\"TP-Link IP-Camera\"\r\n\r\n",
    # FFmpeg's trace log: each line it read quoted after the demuxer's name (the layout of AlexxIT/StreamAssist
    # pull request #19), its other notes between them
    "[rtsp @ 0x730ce4000c80] line='RTSP/1.0 200 OK'\n[rtsp @ 0x730ce4000c80] line='CSeq: 2'\n"
    "[rtsp @ 0x730ce4000c80] line=''\n[rtsp @ 0x730ce4000c80] Sending:\nDESCRIBE rtsp://192.168.1.9:554/stream2 "
    "RTSP/1.0\nCSeq: 3\n\n--\n[rtsp @ 0x730ce4000c80] ret=1 c=52 [R]\n"
    "[rtsp @ 0x730ce4000c80] line='RTSP/1.0 401 Unauthorized'\n[rtsp @ 0x730ce4000c80] line='CSeq: 3'\n"
    "[rtsp @ 0x730ce4000c80] line='WWW-Authenticate: Basic realm=\"TP-Link IP-Camera\"'\n"
    "[rtsp @ 0x730ce4000c80] line=''\n",
])
def test_each_answer_of_an_rtsp_transcript_is_read(response: str) -> None:
    """Built to test the splitter: the answer that names the server need not be a transcript's first (OPTIONS is
    often answered bare, the DESCRIBE challenge carries the realm), and FFmpeg's quoted lines are read as the
    lines it got."""
    (identity,) = IDENTIFIER.identify_all([Observation(id="r", protocol="rtsp", response=response)])
    assert identity.manufacturer == "TP-Link"


def test_an_sdp_a_client_printed_after_its_own_note_is_read() -> None:
    """FFmpeg prints the SDP it got bare after an ``SDP:`` note of its own; the SDP after an OPTIONS answer
    belongs to the later DESCRIBE answer. Built to test the SDP reader."""
    from camaudit.identify.declared.sdp import body_of

    sdp = "v=0\r\no=- 1 1 IN IP4 192.168.1.20\r\ns=AXIS Media Presentation\r\nt=0 0\r\n"
    assert body_of("[rtsp @ 0x55d0c0a1] SDP:\n" + sdp).startswith("v=0\no=")
    two = "RTSP/1.0 200 OK\nCSeq: 1\n\nRTSP/1.0 200 OK\nCSeq: 2\nContent-Type: application/sdp\n\n" + sdp
    assert body_of(two).startswith("v=0\no=")
    (identity,) = IDENTIFIER.identify_all([Observation(id="r", protocol="rtsp",
                                                       response="[rtsp @ 0x55d0c0a1] SDP:\n" + sdp)])
    assert identity.manufacturer == "Axis"


def test_an_answer_dissected_by_wireshark_is_read() -> None:
    """Wireshark's plain-text dissection (Export Packet Dissections, ``tshark -V``) writes each header line's end
    out and the SDP as labelled fields; both are read as the message. Built to test the splitter."""
    challenge = ("Frame 4: 190 bytes on wire\nReal Time Streaming Protocol\n"
                 "    Response: RTSP/1.0 401 Unauthorized\\r\\n\n        Status: 401\n    CSeq: 1\\r\\n\n"
                 "    WWW-Authenticate: Basic realm=\"TP-Link IP-Camera\"\\r\\n\n    \\r\\n\n")
    described = ("Real Time Streaming Protocol\n    Response: RTSP/1.0 200 OK\\r\\n\n        Status: 200\n"
                 "    CSeq: 2\\r\\n\n    Content-type: application/sdp\n    \\r\\n\n    Session Description Protocol\n"
                 "        Session Description Protocol Version (v): 0\n"
                 "        Owner/Creator, Session Id (o): - 1 1 IN IP4 192.168.1.20\n"
                 "            Owner Username: -\n        Session Name (s): AXIS Media Presentation\n"
                 "        Time Description, active time (t): 0 0\n")
    for response, maker in ((challenge, "TP-Link"), (described, "Axis")):
        (identity,) = IDENTIFIER.identify_all([Observation(id="r", protocol="rtsp", response=response)])
        assert identity.manufacturer == maker


def test_an_answer_kept_in_a_json_record_is_read() -> None:
    """A search engine's or scanner's record keeps the answer as a string value, its line ends JSON-escaped.
    Built to test the splitter."""
    response = ('{"port": 554, "data": "RTSP/1.0 401 Unauthorized\\r\\nCSeq: 1\\r\\n'
                'WWW-Authenticate: Basic realm=\\"TP-Link IP-Camera\\"\\r\\n\\r\\n"}')
    (identity,) = IDENTIFIER.identify_all([Observation(id="r", protocol="rtsp", response=response)])
    assert identity.manufacturer == "TP-Link"


def test_a_json_record_nested_past_the_recursion_limit_is_no_crash() -> None:
    """A hostile device's answer shaped like a JSON record, an answer's status line in it, but nested 100,000 deep:
    the standard library's reader would raise RecursionError; the answer is judged as the text it is."""
    response = '{"data": "RTSP/1.0 200 OK", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    (identity,) = IDENTIFIER.identify_all([Observation(id="r", protocol="rtsp", response=response)])
    assert identity.manufacturer is None


def test_a_request_in_an_ffmpeg_log_is_not_an_answer() -> None:
    """FFmpeg's log of the requests it sent (its Authorization line echoing the realm) holds no answer's name."""
    response = ("[rtsp @ 0x730ce4000c80] line='RTSP/1.0 200 OK'\n[rtsp @ 0x730ce4000c80] line='CSeq: 2'\n"
                "[rtsp @ 0x730ce4000c80] line=''\n[rtsp @ 0x730ce4000c80] Sending:\nDESCRIBE rtsp://192.168.1.9/s2 "
                "RTSP/1.0\nCSeq: 3\nAuthorization: Digest username=\"user\", realm=\"TP-Link IP-Camera\"\n\n")
    (identity,) = IDENTIFIER.identify_all([Observation(id="r", protocol="rtsp", response=response)])
    assert identity.manufacturer is None


def test_a_request_alone_is_not_an_answer() -> None:
    """A transcript holding only the client's request (its realm echoed in Authorization) has no answer."""
    response = ("DESCRIBE rtsp://192.168.1.20/stream1 RTSP/1.0\nCSeq: 3\n"
                "Authorization: Digest username=\"admin\", realm=\"AXIS_00408C123456\"\n\n")
    (identity,) = IDENTIFIER.identify_all([Observation(id="r", protocol="rtsp", response=response)])
    assert identity.manufacturer is None


def test_an_answer_in_an_ngrep_print_is_read() -> None:
    """Built to test the splitter: ngrep wraps each packet's payload at a fixed width on indented lines and shows
    CR and LF as dots (as in Motion-Project/motion issue #121); the answer is read as the bytes it held."""
    answer = ("RTSP/1.0 200 OK..CSeq: 3..Content-Type: application/sdp....v=0..o=- 1 1 IN IP4 192.168.1.20.."
              "s=AXIS Media Presentation..t=0 0..")
    wrapped = "\n".join("  " + answer[i:i + 40] for i in range(0, len(answer), 40))
    text = "T 192.168.1.8:54418 -> 192.168.1.20:554 [AP]\n  DESCRIBE rtsp://192.168.1.20/ RTSP/1.0....\n##\n" \
           "T 192.168.1.20:554 -> 192.168.1.8:54418 [AP]\n" + wrapped + "\n##\n"
    (identity,) = IDENTIFIER.identify_all([Observation(id="r", protocol="rtsp", response=text)])
    assert identity.manufacturer == "Axis"


@pytest.mark.parametrize(("text", "maker"), [
    # a player's log printing each answer on one line, headers separated by spaces (Streamedian/html5_rtsp_player
    # issue #152, a Dahua camera's challenge)
    ('[client:rtsp] RTSP/1.0 401 Unauthorized CSeq: 1 WWW-Authenticate: Digest realm="Login to 4G057A9PAG82ECC", '
     'nonce="0da8f7daba3c280bae3c5f850d6caa1e"', "Dahua"),
    # go2rtc's web log pasted through a table, which glued the lines (AlexxIT/go2rtc issue #999, a TP-Link camera)
    ('3/13/2024, 11:24:18 PM | trace | [rtsp] client response:RTSP/1.0 401 UnauthorizedCseq: 1Date: Wed, Mar 13 '
     '2024 16:24:18 GMTWww-Authenticate: Basic realm="TP-Link IP-Camera"', "TP-Link"),
])
def test_an_answer_kept_on_one_line_is_read(text: str, maker: str) -> None:
    """An answer whose line breaks were lost is split at its header names, and its realm is read."""
    (identity,) = IDENTIFIER.identify_all([Observation(id="r", protocol="rtsp", response=text)])
    assert identity.manufacturer == maker


def test_a_line_without_an_answer_is_not_split() -> None:
    """Built to test the splitter: a request kept on one line (its realm echoed in Authorization) holds no status
    line, and a status line alone on its line, as a message keeps it, is left as it is."""
    from camaudit.identify.declared.message import unflatten

    request = ('client request:DESCRIBE rtsp://192.168.1.84:554/stream1 RTSP/1.0CSeq: 2Authorization: Digest '
               'username="admin", realm="TP-Link IP-Camera"')
    assert unflatten(request) == request
    (identity,) = IDENTIFIER.identify_all([Observation(id="r", protocol="rtsp", response=request)])
    assert identity.manufacturer is None
    message = "RTSP/1.0 200 OK\nCSeq: 2\nServer: x\n\n"
    assert unflatten(message) == message


def test_an_answer_printed_as_the_list_of_its_lines_is_read() -> None:
    """Home Assistant's Axis integration logs each answer as Python prints a list of its lines (home-assistant/core
    issue #112824: "Received data ['RTSP/1.0 200 OK', 'CSeq: 4', ...] from ..."); built to test the splitter with a
    challenge in that form, its realm quoted inside the item."""
    text = ("2024-03-10 10:46:00.086 DEBUG (MainThread) [axis.rtsp] Received data ['RTSP/1.0 401 Unauthorized', "
            "'CSeq: 1', 'WWW-Authenticate: Digest realm=\"AXIS_00408C123456\", nonce=\"0123\", stale=FALSE', "
            "'Date: Sun, 10 Mar 2024 10:46:00 GMT', ''] from 192.168.1.89")
    (identity,) = IDENTIFIER.identify_all([Observation(id="r", protocol="rtsp", response=text)])
    assert identity.manufacturer == "Axis"


def test_a_list_that_is_no_answer_is_left_as_it_is() -> None:
    """Built to test the splitter: a list whose first item is no status line, and one never closed, stay as they are."""
    from camaudit.identify.declared.message import unlist

    for text in ("values ['Server: x', 'RTSP/1.0 200 OK']", "data ['RTSP/1.0 200 OK', 'CSeq: 4', 'Server: x"):
        assert unlist(text) == text


@pytest.mark.parametrize("form", ["prefixed", "escaped"])
def test_a_rule_on_the_raw_answer_reads_a_pasted_one(form: str) -> None:
    """Built to test the raw part: a rule written on the answer as the device sent it (rtsp.foscam.ip-camera-video-
    session, two SDP lines in turn) reads it through a log's time stamps and in escaped form too, as the parts and
    the banner reader do."""
    lines = ["RTSP/1.0 200 OK", "CSeq: 2", "Content-Type: application/sdp", "", "v=0",
             "o=- 1475260975886931 1 IN IP4 192.168.233.233", "s=IP Camera Video", "i=videoMain", "t=0 0"]
    text = ("\n".join("2025-03-19 14:47:10.728849715  " + line for line in lines) if form == "prefixed"
            else "\\r\\n".join(lines))
    (identity,) = IDENTIFIER.identify_all([Observation(id="r", protocol="rtsp", response=text)])
    assert identity.manufacturer == "Foscam"


def test_an_answer_that_differs_only_in_line_ends_is_one_raw_text() -> None:
    from camaudit.identify.parts import raw_texts

    answer = "RTSP/1.0 200 OK\r\nCSeq: 1\r\nServer: x\r\n\r\n"
    assert raw_texts(Observation(id="r", protocol="rtsp", response=answer)) == [answer]


def test_an_sdp_kept_in_a_json_record_is_read() -> None:
    """go2rtc's stream information keeps each source's SDP as a JSON string (AlexxIT/go2rtc issue #1915, a UniFi
    Protect restream); the SDP is read as the device sent it."""
    record = ('{"producers": [{"id": 26, "format_name": "rtsp", "url": "rtsp://192.168.1.1:7447/8ySAHJqxgSJL82wR", '
              '"sdp": "v=0\\r\\no=- 72 0 IN IP4 192.168.1.1\\r\\ns=F4E2C67AE581_1\\r\\nu=www.ui.com\\r\\n'
              'e=info@ui.com\\r\\nc=IN IP4 192.168.1.1\\r\\nt=0 0\\r\\nm=audio 0 RTP/AVP 96\\r\\n"}]}')
    (identity,) = IDENTIFIER.identify_all([Observation(id="r", protocol="rtsp", response=record)])
    assert identity.manufacturer == "Ubiquiti"


def test_answers_logged_as_entries_with_indented_headers_are_read() -> None:
    """ExoPlayer's RTSP client logs each message as one logcat entry, its first line after the logger's prefix and
    the rest indented (google/ExoPlayer issue #9800, a Hikvision camera): the answers are read, the request between
    them is not taken for one, and the Date header keeps the two spaces Hikvision's server writes."""
    prefix = "2021-12-21 12:05:35.929 10631-10956/com.dotlab.pierre.digitalhive D/RtspClient: "
    text = (prefix + "RTSP/1.0 200 OK\n    CSeq: 0\n    Public: OPTIONS, DESCRIBE, PLAY, PAUSE, SETUP, TEARDOWN, "
            "SET_PARAMETER, GET_PARAMETER\n    Date:  Tue, Dec 21 2021 12:08:36 GMT\n"
            + prefix + "DESCRIBE rtsp://172.30.34.12:554/Streaming/channels/102 RTSP/1.0\n    User-Agent: "
            "ExoPlayerLib/2.16.1\n    CSeq: 1\n"
            + prefix + 'RTSP/1.0 401 Unauthorized\n    CSeq: 1\n    WWW-Authenticate: Basic realm="IP Camera(C1214)"\n'
            "    Date:  Tue, Dec 21 2021 12:08:36 GMT\n")
    (identity,) = IDENTIFIER.identify_all([Observation(id="r", protocol="rtsp", response=text)])
    assert identity.manufacturer == "Hikvision"
    assert {"realm.hikvision.ip-camera", "rtsp.hikvision.date-double-space"} <= {e.rule for e in identity.evidence}


def _hexdump(packet: bytes) -> list[str]:
    """A packet as tcpdump -X prints it: offset, eight groups of two bytes in hex, the bytes as ASCII."""
    lines = []
    for offset in range(0, len(packet), 16):
        chunk = packet[offset:offset + 16]
        groups = " ".join(chunk[i:i + 2].hex() for i in range(0, len(chunk), 2))
        ascii_ = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"\t0x{offset:04x}:  {groups:<39}  {ascii_}")
    return lines


def test_an_answer_in_a_tcpdump_hex_dump_is_read() -> None:
    """Built to test the splitter: tcpdump -X prints each packet as hex and ASCII columns (as in ZoneMinder issue
    #3194); the TCP payload, its IP and TCP headers left out, is read as the answer it held."""
    import struct

    payload = (b'RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: Digest realm="AXIS_00408C123456", '
               b'nonce="0a"\r\n\r\n')
    tcp = struct.pack("!HHIIBBHHH", 554, 40000, 1, 1, 0x50, 0x18, 502, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), 1, 0x4000, 64, 6, 0, bytes([192, 168, 1, 20]),
                     bytes([192, 168, 1, 8]))
    text = "\n".join(["12:00:00.000000 IP 192.168.1.20.554 > 192.168.1.8.40000: Flags [P.], seq 1:107, length 106",
                      *_hexdump(ip + tcp + payload)]) + "\n"
    (identity,) = IDENTIFIER.identify_all([Observation(id="r", protocol="rtsp", response=text)])
    assert identity.manufacturer == "Axis"


def test_a_text_that_is_no_hex_dump_is_left_as_it_is() -> None:
    from camaudit.identify.declared.message import unwrap_hexdump

    text = "register 0x0000: 4500 00 abc\nnext 0x0010: beef"
    assert unwrap_hexdump(text) == text


def test_the_sdp_of_a_curl_transcript_is_read() -> None:
    """Built to test the SDP reader: curl -v marks the answer's head with "< " and ends it with a bare "< ", then
    prints the body as it came (as in Ullaakut/cameradar issue #199); the SDP's session lines are read."""
    text = ("> DESCRIBE rtsp://192.168.1.20/media RTSP/1.0\nCSeq: 2\n\n< RTSP/1.0 200 OK\n< CSeq: 2\n"
            "< Content-Type: application/sdp\n< \nv=0\no=- 1 1 IN IP4 192.168.1.20\ns=AXIS Media Presentation\n"
            "t=0 0\n* Connection #0 to host 192.168.1.20 left intact\n")
    (identity,) = IDENTIFIER.identify_all([Observation(id="r", protocol="rtsp", response=text)])
    assert identity.manufacturer == "Axis"


def _rtsp_lines(lines: list[str], prefix: str) -> str:
    return "\n".join(prefix + line for line in lines)


ANSWER_LINES = ["RTSP/1.0 200 OK", "CSeq: 3", "Content-Type: application/sdp", "", "v=0",
                "o=- 1 1 IN IP4 192.168.1.20", "s=AXIS Media Presentation", "t=0 0"]


@pytest.mark.parametrize("prefix", [
    "\t",  # an indented paste (a log quoted in an issue comment with a tab before each line)
    "2025-03-19 14:47:10.728849715  ",  # a log's time stamp before each line (as in AlexxIT/go2rtc issue #1663)
    "camera-1   | ",  # a container's name and bar (docker compose logs, as in koush/scrypted issue #1018)
    # Frigate's log: container, time stamp, then its logger's time, name and level (blakeblackshear/frigate #9006)
    "frigate-lab  | 2023-12-18 21:19:41.025755772  [2023-12-18 21:19:41] ffmpeg.fraxinus.detect         ERROR   : ",
    "2024-02-01 05:03:39.619045911  [2024-02-01 10:33:39] ffmpeg.Third.detect            ERROR   : ",  # #9554
    # Home Assistant's log: time stamp, level, thread and logger (a go2rtc trace in AlexxIT/WebRTC issue #551)
    "2023-08-21 13:55:39.327 DEBUG (webrtc) [custom_components.webrtc.utils] ",
    "[Rebroadcast Plugin]: ",  # a plugin's bracketed name (Scrypted's RTSP log, as in koush/scrypted issue #1695)
])
def test_an_answer_pasted_with_a_prefix_on_each_line_is_read(prefix: str) -> None:
    """Built to test the splitter: the SDP's session name is read through the prefix before each line."""
    (identity,) = IDENTIFIER.identify_all([Observation(id="r", protocol="rtsp",
                                                       response=_rtsp_lines(ANSWER_LINES, prefix))])
    assert identity.manufacturer == "Axis"


def test_a_body_whose_lines_look_prefixed_is_left_as_the_device_sent_it() -> None:
    """A message's own body lines ("name | value", a time stamp) are not a log's prefixes: a log prefixes the
    status line too. Built to test the splitter."""
    from camaudit.identify.declared.message import split_head

    answer = "HTTP/1.1 200 OK\nServer: x\n\nname | Example\nmodel | EX-100\nfirmware | 1.0\n"
    assert split_head(answer)[2] == "name | Example\nmodel | EX-100\nfirmware | 1.0\n"


def test_the_sdp_origin_user_name_is_read_and_a_dash_is_not() -> None:
    """RFC 8866 section 5.2: o=<username> ..., "-" when the host has none; a server may write its name there."""
    from camaudit.identify.declared.sdp import session
    from camaudit.identify.declared.structured import View

    sdp = "RTSP/1.0 200 OK\r\nCSeq: 2\r\n\r\nv=0\r\no=AXIS 1 1 IN IP4 192.168.1.20\r\ns=-\r\nt=0 0\r\n"
    assert [(s.path, s.value) for s in session(View(sdp))] == [("sdp:o.username", "AXIS")]
    dash = sdp.replace("o=AXIS", "o=-")
    assert session(View(dash)) == []


@pytest.mark.parametrize(("banner", "maker"), [
    ("Avtech Video Web Server", "AVTECH"),  # a name the catalogue writes in capitals, capitalised
    ("Checkpoint 4.2", None),  # not a trademark in capitals: Check Point is "CheckPoint" there
])
def test_a_capitalised_trademark_names_its_maker(banner: str, maker: str | None) -> None:
    assert _named(banner) == maker


def test_a_bare_realm_is_read_to_the_next_comma() -> None:
    """Embedded servers write realms unquoted (``Basic realm=NTP clock``, as in public firmware sources): the realm
    runs to the next comma. Built to test the reader."""
    from camaudit.identify.declared.banner import headers
    from camaudit.identify.declared.structured import View

    answer = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=AXIS_00408C123456, charset=UTF-8\r\n\r\n"
    assert [s.value for s in headers(View(answer))] == ["AXIS_00408C123456"]
    (identity,) = IDENTIFIER.identify_all([Observation(id="h", protocol="http_header", response=answer)])
    assert identity.manufacturer == "Axis"


@pytest.mark.parametrize(("banner", "maker"), [
    ("HDHomeRun/20231020", "SiliconDust"),  # a product line (nmap-service-probes' HDHomeRun matches)
    ("Amino streamer 2", "Amino"),
    ("amino acid analyser", None),  # Amino's common_words: in lower case it names no maker
])
def test_equipment_makers_from_nmap_service_probes_are_named(banner: str, maker: str | None) -> None:
    """Makers added from nmap-service-probes' match lines, in banners built to test the names."""
    assert _named(banner) == maker


def test_a_login_prompt_after_a_long_message_of_the_day_is_read() -> None:
    motd = "".join(f"line {n} of the notice\r\n" for n in range(20))
    (identity,) = IDENTIFIER.identify_all([Observation(id="t", protocol="telnet_banner",
                                                       response=motd + "hikvision login: ")])
    assert identity.manufacturer == "Hikvision"


@pytest.mark.parametrize(("banner", "maker"), [
    # banners built from the match lines nmap-service-probes gives for each maker (the versions filled in)
    ("220 3Com 3CDaemon FTP Server Version 2.0", "3Com"),  # L649
    ("Welcome to NetLinx v4.1.419 Copyright AMX LLC", "AMX"),  # L4149
    ("Server: 2wire Gateway 1.0", "2Wire"),  # L7326, the maker in lower case inside a word
    ("Server: WSTL CPE 1.0", "Westell"),  # L10222: Westell's ticker, as its modems write it
    ("Basic realm=\"SitecomWL153\"", "Sitecom"),  # L6746: the name leading a CamelCase word
    ("Server: Muratec Server Ver.1.00", "Muratec"),  # L9465
    ("Server: Sierra Wireless Inc, Embedded Server", "Sierra Wireless"),  # L9659
    ("Welcome to Trango Broadband Wireless M900S-AP 1p0", "Trango Systems"),  # L4658
    ("220 HIOKI ftp service v1.00", "Hioki"),  # L1081
    ("220 ABB Robotics FTP server (VxWorks 5.4 rev 2) ready.", "ABB"),  # L779
    ("Copyright (C) 2001 by Compaq Computer Corp. login:", "Compaq"),  # L4212
    ("Welcome to Intermec Printer", "Intermec"),  # L4848
    ("Pioneer iControlAV2", "Pioneer"),  # L5839's product, capitalised: the name as written
    ("Billion 741GE ADSL router", "Billion Electric"),  # L936
    # the cases the data rules out
    ("pioneer", None),  # Pioneer's common_words: in lower case it names no maker
    ("Citizen Portal", None),  # Citizen Systems' common_words: only CITIZEN names it
    ("citizen", None),
    ("billion", None),  # Billion's common_words
    ("allot bandwidth", None),  # Allot's common_words (and running text)
    ("Pioneers game server", None),  # another word (nmap L2454), never a part of one
    ("CompaqHTTPServer/5.0", None),  # HP's Insight Manager on HP's own servers (Compaq's not_hardware)
    ("SMC Corporation pneumatic controller", None),  # bare SMC is another company's name too
    ("Murata Manufacturing", None),  # not Muratec's parent's name (Murata Machinery)
    ("1 Gigabyte free", None),  # Gigabyte Technology's common_words: a unit of data, not GIGABYTE
    ("GIGABYTE GN-B49G", "Gigabyte Technology"),  # the trademark as the maker writes it
    ("Server: Asterisk PBX (digium)", None),  # Digium's software, which runs on any PC
])
def test_more_equipment_makers_from_nmap_service_probes_are_named(banner: str, maker: str | None) -> None:
    """Makers added at the field's scale from nmap-service-probes' match lines (issue 9), in banners built to
    test the names and the guards their data states."""
    assert _named(banner) == maker


@pytest.mark.parametrize(("banner", "maker"), [
    # what network equipment writes without its maker's name (issue 9): the catalogue's product_lines; banners
    # built from nmap-service-probes' match lines (pinned commit db4aefd, line given) and makers' manuals
    ("Login to Vigor 3300", "DrayTek"),  # L8446's realm
    ("VigorAP 910C", "DrayTek"),  # DrayTek's access points
    ("FortiWeb-5.3.4", "Fortinet"),  # L7240: Server: FortiWeb-<version>
    ("FortiOS 7.2", "Fortinet"),  # L5595: o/FortiOS/
    ("FortiMail smtpd", "Fortinet"),  # L3411
    ("Fireware XTM User Authentication", "WatchGuard"),  # L9134's title
    ("FireBox M270", "WatchGuard"),
    ("PAN-OS 10.1", "Palo Alto Networks"),  # CVE records: product PAN-OS, vendor Palo Alto Networks
    ("Junos OS 21.4R1", "Juniper Networks"),  # L2008: o/JUNOS/
    ("JUNOS", "Juniper Networks"),
    ("Cisco NX-OS", "Cisco"),  # L3593
    ("ZyNOS V3.40", "Zyxel"),  # L3701 and L7589
    ("SSH-2.0-ROSSSH", "MikroTik"),  # L3719: RouterOS's SSH server
    ("220 JetDirect GGW server (version 2.0) ready", "HP"),  # L1575
    ("LaserJet Pro M404dn", "HP"),  # L1309
    ("Officejet Pro 8600", "HP"),  # L6675's title, without HP
    ("Deskjet 5800", "HP"),  # L7526
    ("220 ECOSYS P2135dn FTP server", "Kyocera"),  # L1313
    ("MGate MB3180", "Moxa"),  # MGate MB3000 user manual
    ("EdgeOS", "Ubiquiti"),  # EdgeOS user guide: the EdgeRouter's system, as its login page is titled
    ("EdgeRouter X", "Ubiquiti"),
    ("airOS", "Ubiquiti"),  # the LiteStation2 setup guide's AirOS
    ("Orbi", "Netgear"),  # the RBK40 manual's Orbi WiFi System
    ("NETGEAR ProSafe FVS114", "Netgear"),  # L8195's title
    ("ProSafe VPN Firewall", "Netgear"),  # L6772's ProSafe line, without NETGEAR
    ("SIMATIC S7-1200", "Siemens"),  # L9049: Siemens Simatic S7-1200 PLC
    ("SCALANCE S615", "Siemens"),  # the SCALANCE S615 configuration manual
    ("SonicOS 7.0.1", "SonicWall"),  # CVE records: product SonicOS, vendor SonicWall
    ("AsusWRT/3.0.0.4 UPnP/1.1 MiniUPnPd/2.0", "Asus"),  # L6282
    ("Asuswrt-Merlin", "Asus"),  # community firmware for ASUS routers only
    ("ZenWiFi AX", "Asus"),
    ("220 LEXPRINT MarkNet X2031z FTP Server 4.20.21 ready.", "Lexmark"),  # L1018, a host, model and version filled in
    ("imageRUNNER ADVANCE C5535", "Canon"),  # L7323 and L5586: nmap names the line Canon imageRUNNER
    ("1763-L16BWA MicroLogix 1100", "Rockwell Automation"),  # L8539: Allen-Bradley's controllers
    ("ControlLogix 1756-L61", "Rockwell Automation"),  # L8603
    ("PowerEdge R740", "Dell"),  # L11986
    ("PowerVault TL4000", "Dell"),  # L8769
])
def test_network_equipment_is_named_by_its_product_line(banner: str, maker: str) -> None:
    """An estate audit must name the routers, firewalls, printers and industrial gear it meets, which often
    name only their line ("Login to Vigor 3300", "FortiWeb", "EdgeOS"): each line one maker sold over its whole
    life, with a source each in the maker catalogue."""
    assert _named(banner) == maker


@pytest.mark.parametrize(("banner", "why"), [
    ("vigor", "DrayTek's common_words: an ordinary English word in lower case"),
    ("full of vigor", "an ordinary word in running text"),
    ("Vigorous testing", "never a part of a word"),
    ("Vigor2820", "a line's name inside a longer word (DrayTek's UPnP and user agents write Vigor<model>)"),
    ("Archer Daniels Midland", "TP-Link's Archer is an ordinary word: not a product line, it needs TP-Link's name"),
    ("ipos/7.0 UPnP/1.0 Archer_C7/1.0", "nmap L11728's TP-Link Archer UPnP server: Archer alone names no maker"),
    ("Deco", "TP-Link's Deco: an ordinary word, not a product line"),
    ("Nighthawk", "Netgear's Nighthawk: an ordinary word (a bird), not a product line"),
    ("Orbital", "never a part of a word"),
    ("orbi", "a line written as a plain word, in lower case (no capital anywhere in the catalogue's spelling)"),
    ("Ecosystem", "never a part of a word (ECOSYS)"),
    ("Panos", "a first name: PAN-OS is two words, and no PANOS spelling is listed"),
    ("Edge OS", "EdgeOS is one word"),
    ("power edge", "PowerEdge is one word"),
    ("Prosafe", "ProSafe capitalised as a plain word is not the trademark as written"),
    ("SIMATIC WinCC V7.5", "Siemens' SCADA software, which runs on any PC (not_hardware)"),
    ("SIMATIC STEP 7 Professional", "Siemens' engineering software (not_hardware)"),
    ("Junos Pulse Secure Access Service", "Juniper's VPN client's name (not_hardware)"),
    ("FortiClient 7.0.7", "Fortinet's endpoint software on a PC: no product line, and Forti alone is no name"),
    ("FSSO Collector Agent", "Fortinet's agent for Windows servers (nmap L630): no catalogue name"),
    ("SSH-2.0-NetScreen", "NetScreen's ScreenOS, a line Juniper bought (nmap L3651): left out"),
    ("CN=JetDirect, O=Hewlett Packard Enterprise", "two makers in one banner (HP's line, HPE's name)"),
    ("EdgeOS router, FortiGate uplink", "two makers in one banner"),
    ("nginx/1.18.0", "software, not a maker"),
    ("Apache/2.4.41 (Ubuntu)", "software, not a maker"),
    ("lighttpd/1.4.35", "software, not a maker"),
    ("GoAhead-Webs", "an embedded server licensed to many makers"),
    ("Boa/0.94.13", "software, not a maker"),
    ("Allegro-Software-RomPager/4.07", "an embedded server licensed to many makers"),
    ("mini_httpd/1.19 19dec2003", "software, not a maker"),
    ("Microsoft-IIS/10.0", "a web server on any Windows PC"),
])
def test_a_product_line_near_miss_names_no_maker(banner: str, why: str) -> None:
    """Near misses of the network product lines: ordinary words, parts of words, software names, the lines'
    makers' software, two makers at once. Built to test the guards."""
    assert _named(banner) is None, why


def test_a_line_whose_maker_changed_is_no_product_line() -> None:
    """iLO was HP's until 2015 and Hewlett Packard Enterprise's after (the catalogue's rule for lines sold on):
    it is no product line, so "HPE-iLO-Server" (nmap-service-probes L9997) names HPE by its own name only."""
    assert RESOLVER.catalogue.product_line("iLO") is None
    assert _named("HPE-iLO-Server/1.30") == "Hewlett Packard Enterprise"
    assert _named("iLO 5") is None
@pytest.mark.parametrize(("greeting", "maker"), [
    # telnet greetings nmap-service-probes' match lines describe (at db4aefdd; negotiation bytes as nmap writes them,
    # host names, versions and models filled in where the line leaves them open)
    ("\r\r\nWarning: Telnet is not a secure protocol, and it is recommended to use Stelnet.\r\n\r\nLogin "
     "authentication\r\n\r\n\r\nUsername:", "Huawei"),  # L4850: Huawei VRP (rule telnet.huawei.vrp-stelnet-warning)
    ("\xff\xfb\x01\xff\xfb\x03\xff\xfb\x18-------------------------------\r\n-----Welcome to ATP Cli------\r\n"
     "-------------------------------\r\n\r\nLogin: ", "Huawei"),  # L4653: a Huawei HG655b home gateway
    ("\xff\xfb\x01\xff\xfb\x03\xff\xfd\x03\r\nTELNET session now in ESTABLISHED state\r\n\r\nsw1 login: ",
     "Allied Telesis"),  # L4122: an x900-series switch
    ("\xff\xfc\x01\r\nPlease type [Return] two times, to initialize telnet configuration\r\nFor HELP type \"?\"\r\n> ",
     "HP"),  # L3880: a JetDirect print server
    ("\xff\xfb\x01\xff\xfb\x03\r\n\r\nWelcome to IP bullet 5000 HD 1.0 from 2010\r\n", "Bosch"),  # L4908
    ("\xff\xfd\x01\xff\xfd\x1f\xff\xfd!\xff\xfb\x01\xff\xfb\x03\r\r\n\r\n\rwelcome on your dreambox! - Kernel 2.6.9 "
     "(08:10:04).\r\n\rdreambox login: ", "Dream Multimedia"),  # L4264
    ("\xff\xfd\x01\xff\xfd\x1f\xff\xfb\x01\xff\xfb\x03\r\r\nOpenDreambox 1.6.0 dm8000\r\n",
     "Dream Multimedia"),  # L4415: the product line OpenDreambox
    ("\xff\xfd\x01\xff\xfd\x1f\xff\xfd!\xff\xfb\x01\xff\xfb\x03\r\r\n\r\n\rProcurve Wireless Access Point 420\r\n",
     "Hewlett Packard Enterprise"),  # L3922: the line as that firmware spells it
    ("\xff\xfb\x01\xff\xfb\x03                  ZebraNet PrintServer Configuration Utility\r\n\r\n Type your "
     "password. Press Enter when finished.\r\n\r\n Password: ", "Zebra Technologies"),  # L4569: the line ZebraNet
    # SSH identification strings (nmap's ssh matches, the protocol version filled in) as a telnet-style greeting
    ("SSH-2.0-ROSSSH\r\n", "MikroTik"),  # L3719: RouterOS' own SSH server (product line ROSSSH)
    ("SSH-2.0-DraySSH_2.0\n", "DrayTek"),  # L3713: the Vigor firmware's SSH server (product line DraySSH)
    ("SSH-2.0-DLink Corp. SSH server ver 1.00\n", "D-Link"),  # L3688: the maker spelled DLink
    # the cases that must name nobody
    ("\xff\xfb\x03\xff\xfb\x01\xff\xfd\x03\xff\xfd\x01          The products of network camera\r\n\r\nUsername: ",
     None),  # L4888: a Hi3518 clone camera: names neither a clone maker nor Hikvision/Dahua
    ("SSH-2.0-Comware-7.1.064\r\n", None),  # L3768: Comware is HP's and H3C's both
    ("\xff\xfb\x01\r\nNetDVRDVS:", None),  # L4711: a UTT router; DVRDVS alone is no Hikvision name
    ("Warning: Telnet is not a secure protocol, and it is recommended to use STelnet. \n\nLogin authentication\n\n"
     "\n\nUsername: ", None),  # honeytrap/honeytrap issue #415: a honeypot's imitation, "STelnet" not Huawei's spelling
])
def test_telnet_and_line_protocol_greetings_name_their_maker(greeting: str, maker: str | None) -> None:
    """Greetings and login screens of routers, switches, printers and receivers (issue 9), from nmap-service-probes'
    telnet and ssh match lines, read by the banner reader (product lines, aliases) or the telnet_banner rules;
    a clone camera's greeting, a shared system's and an imitation name nobody."""
    (identity,) = IDENTIFIER.identify_all([Observation(id="t", protocol="telnet_banner", response=greeting)])
    assert identity.manufacturer == maker


@pytest.mark.parametrize(("response", "maker"), [
    ("SSH-2.0-ROSSSH\r\n", "MikroTik"),  # nmap-service-probes L3719, kept by a tool as text of no known kind
    ("220 ABB Robotics FTP server (VxWorks 5.4 rev 2) ready.\r\n", "ABB"),  # L779, an FTP welcome
    # L4848, kept in escaped form (its model in the host name filled in)
    (r"\xff\xfd\x01\xff\xfd\x1f\xff\xfb\x01\xff\xfb\x03\r\r\n\r\n\r        Welcome to Intermec Printer\r\n\r\r\n"
     r"\r0-PM4i-1 login: ", "Intermec"),
    # an answer that does not start as a greeting is not read line by line as one
    ("HTTP/1.1 200 OK\r\nServer: uhttpd\r\n\r\nSSH-2.0-ROSSSH is not this page's greeting\r\n", None),
    ("Notes from the site survey\r\nMikroTik ROSSSH was seen\r\n220 lines\r\n", None),
])
def test_a_line_protocol_greeting_of_no_known_kind_is_read_as_one(response: str, maker: str | None) -> None:
    """An SSH, FTP or telnet greeting stored as ``other`` is read as a telnet greeting is, only when the answer
    starts as such a greeting does (parser banner-line-greeting). Built from nmap's match lines and to test the
    guard."""
    (identity,) = IDENTIFIER.identify_all([Observation(id="o", protocol="other", response=response)])
    assert identity.manufacturer == maker


def test_a_one_line_json_body_keeps_its_own_escapes() -> None:
    """A JSON document on one line holds JSON's own escapes (``\\n``, ``\\"``), not an answer kept in escaped form:
    the splitter reads it as it is. Built to test the guard."""
    from camaudit.identify.declared.message import normalise, unescape

    body = '{"note": "line one\\nline two", "name": "a \\"quoted\\" word"}'
    assert unescape(body) == body
    assert normalise("RTSP/1.0 200 OK\\r\\nServer: Rtsp Server/3.0\\r\\n\\r\\n") == \
        "RTSP/1.0 200 OK\nServer: Rtsp Server/3.0\n\n"


def _page_makers(body: str) -> list[str | None]:
    from camaudit.identify.declared.banner import page
    from camaudit.identify.declared.structured import View

    return [_named(statement.value) for statement in page(View(body))]


@pytest.mark.parametrize(("body", "maker"), [
    # nmap-service-probes#L7445: match http ... <!-- \(c\) Copyright Axis Communications.*Network CD-ROM Server</h2>
    ("<html><!-- (c) Copyright Axis Communications AB 2001 -->\n<h2>AXIS StorPoint CD Network CD-ROM Server</h2>",
     "Axis"),
    # nmap-service-probes#L8735: <meta name="COPYRIGHT" content="&copy; \d+ Cisco Systems. All Rights Reserved.">
    ('<meta name="COPYRIGHT" content="&copy; 2008 Cisco Systems. All Rights Reserved.">'
     "<title>ACE 4710 DM - Login</title>", "Cisco"),
    # nmap-service-probes#L8367: a 401 page's "(C) Copyright <year> Allied Telesis" notice
    ("<HTML><BODY>401 Unauthorized<BR>(C) Copyright 2005 Allied Telesis</BODY></HTML>", "Allied Telesis"),
    # nmap-service-probes#L7536: <!-- Copyright(C) <year> Efficient Networks -->
    ("<TITLE>Connection Information</TITLE><!-- Copyright(C) 2001 Efficient Networks -->", "Efficient Networks"),
])
def test_a_page_names_its_maker_in_a_copyright_notice_or_a_meta_element(body: str, maker: str) -> None:
    assert maker in _page_makers(body)


@pytest.mark.parametrize(("body", "why"), [
    ("<script>/*! Copyright (c) Google Inc. */</script><p>Camera</p>", "a script library's licence is not read"),
    ("<style>/* Copyright Axis Communications */</style>", "nor a style sheet's"),
    ('<meta name="keywords" content="Hikvision, IP camera">', "keywords list other makers for search engines"),
    ('<meta name="generator" content="Synology">', "a generator names the CMS, and is not read"),
    ("<p>Copyright 2016 TeamF1, Inc. Powered by Sony</p>", "a name after 'powered by' is a third party"),
    ("<p>Copyright 2019 Shenzhen Foo Co. for Hikvision cameras</p>", "a name after 'for' is a third party"),
    ("<p>This item (c) is listed</p>", "'(c)' counts only before a year or 'Copyright'"),
])
def test_a_page_notice_that_names_no_maker(body: str, why: str) -> None:
    assert not [maker for maker in _page_makers(body) if maker], why


def test_footer_notices_are_read_one_by_one() -> None:
    body = ("<div>Copyright &copy; 2017 TP-Link Technologies Co., Ltd. All rights reserved. | Privacy</div>"
            "<!-- (c) 2015 Netgear -->")
    assert _page_makers(body) == ["TP-Link", "Netgear"]


def test_an_unclosed_script_or_many_scripts_stay_fast() -> None:
    import time

    from camaudit.identify.declared.banner import page
    from camaudit.identify.declared.structured import View

    started = time.perf_counter()
    page(View("<script></script>" * 15000 + "Copyright " + "a" * 100000))
    page(View("<script>" * 30000 + "<!--" * 30000 + "(c)" * 30000))
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(("banner", "maker"), [
    # each a banner nmap-service-probes' match line describes (line anchors in the catalogue's sources)
    ("WorkCentre 7345", "Xerox"),  # <title>(WorkCentre \w+)</title>
    ("CentreWare_IS_Admin", "Xerox"),  # realm="CentreWare_IS_Admin"
    ("Web Image Monitor", "Ricoh"),
    ("APC Back-UPS HS 500(BackUPS500)", "Schneider Electric"),
    ("EATON", "Eaton"),
    ("Synaccess", "Synaccess Networks"),
    ("Alvarion", "Alvarion"),
    ("GAI-Tronics", "GAI-Tronics"),
    ("TechniSat WebTools", "TechniSat"),
    ("AirStation", "Buffalo"),
    ("BUFFALO INC. LinkStation series HS-DHGL(JINMU)", "Buffalo"),
    ("HP Photosmart 7520 series", "HP"),
    ("WorkForce WF-3640", "Epson"),
    ("Mitsubishi ProjectorView Server Mitsubishi Electric", "Mitsubishi Electric"),
    ("PowerAlert TelNet Console: 12.04 Tripp Lite", "Tripp Lite"),
    ("TANDBERG ASA (http://www.tandberg.net)", "Tandberg"),  # a <meta name="AUTHOR"> content
    ("TDSi Ethernet to Serial Module", "TDSi"),
])
def test_printers_ups_and_nas_lines_from_nmap_service_probes_are_named(banner: str, maker: str) -> None:
    assert _named(banner) == maker


@pytest.mark.parametrize(("banner", "why"), [
    ("CentreWare Web", "Xerox's printer-management software for a Windows server (not_hardware)"),
    ("Tripp Lite PowerAlert Local", "Tripp Lite's UPS software for a PC (not_hardware)"),
    ("Mitsubishi Motors", "'Mitsubishi' alone is several companies' name"),
    ("eaton road depot", "Eaton's common_words: in lower case it names no maker"),
    ("raritan valley", "Raritan's common_words"),
    ("Tandberg Data StorageLoader", "Tandberg Data is another company (not_hardware)"),
    ("Tandberg Television Web server", "and so is Tandberg Television"),
])
def test_printer_ups_and_nas_near_misses_name_no_maker(banner: str, why: str) -> None:
    assert _named(banner) is None, why


def test_a_page_notice_names_its_maker_end_to_end() -> None:
    body = "<HTML>\n<!--Copyright (c) Xerox Corporation 2003. All rights reserved. -->\n<HEAD><TITLE>Home</TITLE>"
    (identity,) = IDENTIFIER.identify_all([Observation(id="p", protocol="http_body", response=body)])
    assert identity.manufacturer == "Xerox"

"""A vendor-less CVE record (affected vendor "n/a", as MITRE and Tenable filed them) that names a label in its text,
not the maker: read as the maker's advisory, judged only on that label's devices, when the text is about the
label's video products. The records are the real ones (src/camaudit/data/knowledge/records/SOURCES.md)."""

from __future__ import annotations

from typing import Any

import pytest

from camaudit.knowledge.files import package_data
from camaudit.knowledge.records import parse_cve5
from camaudit.knowledge.update import default_resolver
from camaudit.knowledge.vulnerabilities import Advisory, load_file
from tests.test_shipped_vulnerabilities import shipped_records

SHIPPED = package_data() / "knowledge" / "vulnerabilities-cve.json"


@pytest.fixture(scope="module")
def records() -> dict[str, dict[str, Any]]:
    return shipped_records()


def vendorless(cve: str, description: str) -> dict[str, Any]:
    """A record as MITRE filed it: no vendor, no product, no version; only the description says whose it is."""
    return {"cveMetadata": {"cveId": cve, "state": "PUBLISHED", "assignerShortName": "mitre",
                            "datePublished": "2019-07-03T19:21:42", "dateUpdated": "2024-08-05T16:27:23.141Z"},
            "containers": {"cna": {"affected": [{"product": "n/a", "vendor": "n/a",
                                                 "versions": [{"status": "affected", "version": "n/a"}]}],
                                   "descriptions": [{"lang": "en", "value": description}]}}}


#: the Amcrest records filed with vendor "n/a", and the models the grammars read in their text: the IPM-721S run
#: (model.amcrest.ip reads it), and Tenable's cameras-and-NVR records, which name no model (their firmware builds in
#: the versions are not models)
LABEL_RECORDS = {"CVE-2017-8226": ["IPM-721S"], "CVE-2017-8227": ["IPM-721S"], "CVE-2017-8228": ["IPM-721S"],
                 "CVE-2017-8229": ["IPM-721S"], "CVE-2017-8230": ["IPM-721S"], "CVE-2017-13719": ["IPM-721S"],
                 "CVE-2020-5735": [], "CVE-2020-5736": []}


@pytest.mark.parametrize("cve", sorted(LABEL_RECORDS))
def test_a_label_named_in_the_text_of_a_vendorless_record_gives_the_maker_s_advisory(
        records: dict[str, dict[str, Any]], cve: str) -> None:
    draft = parse_cve5(records[cve], cve, default_resolver())
    assert draft is not None
    assert draft["vendor"] == "Dahua"  # the brand book: Amcrest is a Dahua OEM label
    assert draft["labels"] == ["Amcrest"]
    assert draft["affected"] and all(g["rule"].endswith("+cve5.description-label") for g in draft["affected"])
    assert all(g["models"] == LABEL_RECORDS[cve] for g in draft["affected"])


def test_the_shipped_label_advisories_name_the_label_and_keep_the_kev_listing() -> None:
    shipped = {a.id: a for a in load_file(SHIPPED)}
    for cve in LABEL_RECORDS:
        advisory: Advisory = shipped[cve]
        # only devices showing the label are judged; one naming no model the grammars read is judged on no device
        assert advisory.vendor == "Dahua" and advisory.labels == ("Amcrest",)
        assert advisory.models_listed == bool(LABEL_RECORDS[cve]), cve
    kev_listed = shipped["CVE-2020-5735"]  # the record now, and the KEV listing of the same CVE
    assert kev_listed.kev is not None and kev_listed.cvss is not None and kev_listed.cvss.score == 8.8


def test_a_record_naming_the_maker_itself_stays_the_maker_s_for_every_label(records: dict[str, Any]) -> None:
    # CVE-2019-3948 names "The Amcrest IP2M-841B ..., Dahua IPC-XXBXX ...": Dahua's own models, so no label
    # restriction (Dahua-branded devices are judged too)
    draft = parse_cve5(records["CVE-2019-3948"], "CVE-2019-3948", default_resolver())
    assert draft is not None and draft["vendor"] == "Dahua" and draft["labels"] == []
    assert all(g["rule"].endswith("+cve5.description-vendor") for g in draft["affected"])


@pytest.mark.parametrize(("cve", "description"), [
    # https://raw.githubusercontent.com/CVEProject/cvelistV5/main/cves/2018/16xxx/CVE-2018-16546.json: "networked
    # devices" is no device type, and its only model name is inside a firmware image name
    ("CVE-2018-16546", "Amcrest networked devices use the same hardcoded SSL private key across different customers' "
                       "installations, which allows remote attackers to defeat cryptographic protection mechanisms by "
                       "leveraging knowledge of this key from another installation, as demonstrated by "
                       "Amcrest_IPC-HX1X3X-LEXUS_Eng_N_AMCREST_V2.420.AC01.3.R.20180206."),
    # https://raw.githubusercontent.com/CVEProject/cvelistV5/main/cves/2020/7xxx/CVE-2020-7222.json: a web
    # server, no device type
    ("CVE-2020-7222", "An issue was discovered in Amcrest Web Server 2.520.AC00.18.R 2017-06-29 WEB 3.2.1.453504. "
                      "The login page responds with JavaScript when one tries to authenticate. An attacker who "
                      "changes the result parameter (to true) in this JavaScript code can bypass authentication "
                      "and achieve limited privileges (ability to see every option but not modify them)."),
    # https://raw.githubusercontent.com/CVEProject/cvelistV5/main/cves/2018/10xxx/CVE-2018-10676.json: QSee is one
    # seller in a list whose DVRs come from another maker (TBK Vision), not a Dahua product
    ("CVE-2018-10676", "CeNova, Night OWL, Novo, Pulnix, QSee, Securus, and TBK Vision DVR devices allow remote "
                       "attackers to download a file and obtain sensitive credential information via a direct "
                       "request for the download.rsp URI."),
])
def test_a_label_in_the_text_is_not_read_without_a_video_product_or_in_a_list_of_sellers(
        cve: str, description: str) -> None:
    assert parse_cve5(vendorless(cve, description), cve, default_resolver()) is None


def test_a_former_label_in_the_text_is_not_read() -> None:
    # https://raw.githubusercontent.com/CVEProject/cvelistV5/main/cves/2012/6xxx/CVE-2012-6451.json: Lorex under
    # FLIR (2013) relabelled only some Dahua lines, and a vendor-less record gives no date to tell which
    description = "Lorex LNC116 and LNC104 IP Cameras have a Remote Authentication Bypass Vulnerability"
    assert parse_cve5(vendorless("CVE-2012-6451", description), "CVE-2012-6451", default_resolver()) is None


def test_an_amcrest_ipm_721s_is_possibly_affected_by_the_run_and_a_dahua_branded_camera_is_not_judged() -> None:
    """The IPM-721S records name the model (model.amcrest.ip reads it) but no firmware the Dahua grammar reads
    (V2.420.AC00.16.R.20160909 is an Amcrest build): at most possibly affected, and only under the label."""
    from camaudit.assess.vulnerabilities import Vulnerabilities
    from camaudit.model import Evidence, Identity

    def camera(brand: str, model: str) -> Identity:
        evidence = (Evidence("r1", "test.rule", {"manufacturer": "Dahua", "brand": brand, "model": model}, model,
                             0.9, "https://example.invalid/rule"),)
        return Identity(device="d1", ids=("r1",), address="127.0.0.1", manufacturer="Dahua", brand=brand,
                        model=model, firmware="2.420.AC00.16.R", device_type="IP Camera", confidence=0.9,
                        evidence=evidence, manufacturer_basis="fingerprint")

    shipped = {a.id: a for a in load_file(SHIPPED)}
    for cve in ("CVE-2017-8226", "CVE-2017-8227", "CVE-2017-8229", "CVE-2017-8230"):
        judge = Vulnerabilities([shipped[cve]], kev={})
        found = judge.assess(camera("Amcrest", "IPM-721S"))
        assert found and found[0].status == "possibly-affected", (cve, found)
        assert not [f for f in judge.assess(camera("Dahua", "IPC-HDW5421S")) if f.status != "not-affected"], cve

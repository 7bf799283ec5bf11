"""The vulnerability knowledge that ships: rebuilt from the record files that ship beside it, every Hikvision
and Dahua record in them written as an advisory with its source and range, and judged on real record text
(src/camaudit/data/knowledge/records/SOURCES.md says where each record came from)."""

from __future__ import annotations

import gzip
import json
import re
import tarfile
from pathlib import Path
from typing import Any

import pytest

from camaudit.assess.vulnerabilities import Vulnerabilities
from camaudit.cli import main
from camaudit.knowledge.files import package_data
from camaudit.knowledge.vulnerabilities import Advisory, load_file
from camaudit.model import Evidence, Identity

KNOWLEDGE = package_data() / "knowledge"
RECORDS = KNOWLEDGE / "records"
SHIPPED = KNOWLEDGE / "vulnerabilities-cve.json"
SCOPE = Path(__file__).parent / "fixtures" / "vulns" / "scope"
#: records naming Hikvision or Dahua that are not theirs, each with why (kept in the record set so the check
#: below sees them)
NOT_THEIRS = {"CVE-2024-48799": "an app of Lorex after its 2022 sale; Lorex no longer sells Dahua products"}
#: the makers and the labels the brand book ties to them (EZVIZ, HiLook, HiWatch; Imou, Lorex, Amcrest)
WORD = re.compile(r"\b(hikvision|dahua|ezviz|hikrobot|hiwatch|hilook|imou|lorex|amcrest)\b", re.I)


def shipped_records() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for archive in sorted(RECORDS.glob("*.tar.gz")):
        with tarfile.open(archive) as tar:
            for member in tar:
                fh = tar.extractfile(member)
                if fh is not None:
                    doc = json.loads(fh.read())
                    out[doc["cveMetadata"]["cveId"]] = doc
    return out


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("kb") / "vulnerabilities-cve.json"
    assert main(["kb", "update", "--records", str(RECORDS), "--output", str(out)]) == 0
    doc: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return doc


@pytest.fixture(scope="module")
def shipped() -> dict[str, Advisory]:
    return {a.id: a for a in load_file(SHIPPED)}


def test_kb_update_rebuilds_the_shipped_snapshot_from_the_shipped_records(rebuilt: dict[str, Any]) -> None:
    doc = json.loads(SHIPPED.read_text(encoding="utf-8"))
    assert rebuilt["advisories"] == doc["advisories"]
    same = {k: v for k, v in rebuilt["generated"].items() if k not in ("command", "inputs")}
    assert same == {k: v for k, v in doc["generated"].items() if k not in ("command", "inputs")}
    assert doc["generated"]["command"] == ("camaudit kb update --records src/camaudit/data/knowledge/records "
                                           "--output src/camaudit/data/knowledge/vulnerabilities-cve.json")
    assert doc["generated"]["counts"]["rejected"] == 0
    assert main(["kb", "validate"]) == 0


def test_every_hikvision_and_dahua_record_shipped_is_an_advisory_of_that_maker(
        shipped: dict[str, Advisory]) -> None:
    """Counted independently of the reader: the assigner, or the maker or a label of it in the affected vendors or
    the text."""
    records = shipped_records()
    theirs = set()
    for cve, doc in records.items():
        cna = doc["containers"]["cna"]
        assigner = doc["cveMetadata"].get("assignerShortName", "")
        vendors = " ".join(str(a.get("vendor", "")) for a in cna.get("affected", []))
        text = " ".join(d.get("value", "") for d in cna.get("descriptions", []))
        if assigner in ("hikvision", "dahua") or WORD.search(vendors) or WORD.search(text):
            theirs.add(cve)
    assert set(NOT_THEIRS) <= theirs
    missing = {c for c in theirs - set(NOT_THEIRS)
               if c not in shipped or shipped[c].vendor not in ("Hikvision", "Dahua")}
    assert not missing
    by_assigner = {c for c in theirs if records[c]["cveMetadata"]["assignerShortName"] in ("hikvision", "dahua")}
    assert len(by_assigner) >= 70  # 25 from Hikvision's CNA and 45 from Dahua's in the shipped records
    made = {c for c, a in shipped.items() if a.vendor in ("Hikvision", "Dahua")}
    assert len(made) >= 123  # Hikvision 45 and Dahua 78 (Amcrest 9 of them) as shipped
    assert {"CVE-2017-7923", "CVE-2022-28171", "CVE-2013-4975", "CVE-2022-30560", "CVE-2019-9677"} <= made


def test_each_hikvision_and_dahua_advisory_names_its_record_and_says_how_its_range_was_read(
        shipped: dict[str, Advisory]) -> None:
    for advisory in shipped.values():
        if advisory.vendor not in ("Hikvision", "Dahua"):
            continue
        urls = [s.url for s in advisory.sources]
        if any(u.startswith("https://raw.githubusercontent.com/CVEProject/cvelistV5/main/cves/") for u in urls):
            assert f"https://www.cve.org/CVERecord?id={advisory.id}" in urls, advisory.id
        else:
            assert urls[0].startswith("https://www.cisa.gov/known-exploited"), advisory.id  # a KEV entry only
        for group in advisory.affected:
            assert group.rule and group.record, advisory.id
            # a range camaudit applies, or the reason it has none (then at most possibly affected)
            assert group.has_bound or group.bound_note or not advisory.models_listed, (advisory.id, group)


def camera(maker: str, model: str, firmware: str) -> Identity:
    evidence = (Evidence("r1", "test.rule", {"manufacturer": maker, "model": model}, model, 0.9,
                         "https://example.invalid/rule"),)
    return Identity(device="d1", ids=("r1",), address="127.0.0.1", manufacturer=maker, brand=maker, model=model,
                    firmware=firmware, device_type="IP Camera", confidence=0.9, evidence=evidence,
                    manufacturer_basis="fingerprint")


def status(advisory: Advisory, identity: Identity) -> str:
    found = Vulnerabilities([advisory], kev={}).assess(identity)
    return found[0].status if found else "nothing"


@pytest.mark.parametrize(("cve", "maker", "model", "inside", "newer"), [
    # "DS-2CD2xx2F-I Series V5.2.0 build 140721 to V5.4.0 build 160530" (description, ICS-CERT record)
    ("CVE-2017-7921", "Hikvision", "DS-2CD2132F-IWS", "V5.3.0 build 150513", "V5.4.5 build 170124"),
    ("CVE-2017-7923", "Hikvision", "DS-2CD2132F-IWS", "V5.4.0 build 160530", "V5.7.18 build 240826"),
    # Dahua's CNA: "Versions which Build time before August 18 2019"
    ("CVE-2019-9677", "Dahua", "IPC-HDW5421S", "2.800.0000000.5.R, build: 2019-01-01",
     "2.800.0000000.5.R, build: 2019-08-18"),
    # Dahua's CNA: "Build before 2017/09"
    ("CVE-2017-9317", "Dahua", "IPC-HDBW4431R-ZS", "2.600.0000000.2.R, build: 2017-05-02",
     "2.600.0000000.2.R, build: 2017-09-01"),
])
def test_shipped_records_affect_the_published_range_and_not_newer_firmware(
        shipped: dict[str, Advisory], cve: str, maker: str, model: str, inside: str, newer: str) -> None:
    advisory = shipped[cve]
    assert status(advisory, camera(maker, model, inside)) == "affected"
    assert status(advisory, camera(maker, model, newer)) == "not-affected"  # said so, with the reason


def test_a_line_first_affected_from_a_version_is_read_so(shipped: dict[str, Advisory]) -> None:
    """CVE-2023-28811: 'Build date before 230821 (Version before V4.1.60 are not affected)' is affected from
    V4.1.60 and built before 2023-08-21, never 'before V4.1.60'."""
    groups = [g for g in shipped["CVE-2023-28811"].affected if "DS-76xxNI-Q1(C)" in g.models]
    assert groups and all(g.first is not None and g.first.text == "V4.1.60" and g.before is None for g in groups)
    assert all(str(g.build_before) == "2023-08-21" for g in groups)


def test_broad_makers_keep_only_their_video_surveillance_lines(tmp_path: Path) -> None:
    out = tmp_path / "v.json"
    assert main(["kb", "update", "--records", str(SCOPE), "--output", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [a["id"] for a in doc["advisories"]] == ["CVE-2023-35717"]  # the Tapo C210 camera, not the routers
    assert doc["generated"]["counts"]["out_of_scope"] == 1


def test_the_kev_file_shipped_holds_only_entries_of_shipped_advisories(shipped: dict[str, Advisory]) -> None:
    kev = json.loads(gzip.decompress((RECORDS / "kev.json.gz").read_bytes()))
    assert kev["catalogVersion"] and kev["count"] == len(kev["vulnerabilities"])
    assert {v["cveID"] for v in kev["vulnerabilities"]} <= set(shipped)

"""Firmware grammars, on version strings real devices and advisories publish.

Device strings come from the recordings (src/camaudit/simulate/recordings/*.yaml, each with its public
source); advisory strings from the CVE records of CVE-2017-7921 and CVE-2023-28808.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from camaudit.knowledge.firmware import FirmwareVersion, parse, parse_strict, try_parse, why_not

RECORDINGS = Path(__file__).resolve().parents[1] / "src" / "camaudit" / "simulate" / "recordings"


def v(maker: str, text: str, build: str | None = None) -> FirmwareVersion:
    found = parse(maker, text, build)
    assert found is not None, why_not(maker, text, build)
    return found


@pytest.mark.parametrize(
    ("text", "numbers", "build"),
    [
        ("V5.5.0 build 170725", (5, 5, 0), date(2017, 7, 25)),
        ("V5.6.2build 190701", (5, 6, 2), date(2019, 7, 1)),
        ("V5.4.0 Build 160530", (5, 4, 0), date(2016, 5, 30)),  # CVE-2017-7921 record capitalises Build
        ("V5.7.18", (5, 7, 18), None),
        ("V4.62.210", (4, 62, 210), None),
        ("V5.5.800 build 210628", (5, 5, 800), date(2021, 6, 28)),
        ("V2.3.8-8", (2, 3, 8, 8), None),  # CVE-2023-28808 record
        ("V1.1.4 ", (1, 1, 4), None),  # CVE-2023-28808 record, trailing space as published
    ],
)
def test_hikvision_strings(text: str, numbers: tuple[int, ...], build: date | None) -> None:
    fw = v("Hikvision", text)
    assert fw.numbers == numbers
    assert fw.build == build


def test_hikvision_build_given_apart() -> None:
    # ISAPI deviceInfo: firmwareVersion V5.7.18, firmwareReleasedDate "build 240826" (hik-ds2cd2386g2 recording)
    fw = v("HIKVISION", "V5.7.18", "build 240826")
    assert fw.build == date(2024, 8, 26)
    assert fw.family == ("Hikvision", 5)
    assert why_not("Hikvision", "V5.7.18 build 240826", "build 240101") is not None  # contradictory


@pytest.mark.parametrize(
    ("text", "oem", "numbers", "release", "build"),
    [
        ("2.800.0000000.13.R", "0000000", (2, 800, 13), "R", None),
        ("2.420.AC00.15.R", "AC00", (2, 420, 15), "R", None),
        ("2.400.0.8", "0", (2, 400, 8), "", None),
        ("3.210.IB01.3", "IB01", (3, 210, 3), "", None),
        ("2.680.0000000.22.R", "0000000", (2, 680, 22), "R", None),
        ("2.420.Dahua 00.14.R, build: 2016-06-18", "Dahua 00", (2, 420, 14), "R", date(2016, 6, 18)),
        # the ",build:" spelling without spaces, on a composed version (not a recorded string)
        ("2.800.0000000.8.R,build:2020-06-05", "0000000", (2, 800, 8), "R", date(2020, 6, 5)),
    ],
)
def test_dahua_strings(text: str, oem: str, numbers: tuple[int, ...], release: str, build: date | None) -> None:
    fw = v("Dahua", text)
    assert (fw.oem, fw.numbers, fw.release, fw.build) == (oem, numbers, release, build)


def test_dahua_build_date_given_apart() -> None:
    # magicBox getSoftwareVersion: version=2.420.AC00.15.R / BuildDate=2016-09-08 (amcrest-ipm721b recording)
    fw = v("Dahua", "2.420.AC00.15.R", "2016-09-08")
    assert fw.build == date(2016, 9, 8)
    assert fw.build_before(date(2021, 6, 1)) is True
    assert v("Dahua", "2.420.AC00.15.R").build_before(date(2021, 6, 1)) is None


@pytest.mark.parametrize(
    ("maker", "text"),
    [
        ("Hikvision", "V2.X"),  # CVE-2023-28808 writes a line, not a version
        ("Hikvision", "5.4.41/5.4.71"),
        ("Hikvision", "V5.4.0 build 161399"),  # not a date
        ("Hikvision", ""),
        ("Dahua", "2.420.0"),  # T2UServer WebVersion (amcrest-t2userver-config recording): not firmware
        ("Dahua", "Versions which Build time before April, 2022"),
        ("Dahua", "2.420.AC00.15.R, build: 2016-13-40"),
        ("Axis", "9.80.1"),  # a maker without a grammar
        ("Reolink", "v3.0.0.136_20121100"),
    ],
)
def test_unparseable_gives_none_with_reason(maker: str, text: str) -> None:
    version, reason = try_parse(maker, text)
    assert version is None
    assert reason
    assert parse(maker, text) is None


def test_no_maker_or_no_text() -> None:
    assert try_parse(None, "V5.5.0")[1].startswith("the manufacturer is unknown")
    assert try_parse("Hikvision", None)[1] == "no firmware version was learned"


def test_hikvision_order() -> None:
    ordered = [
        "V5.2.0 build 140721", "V5.3.1 build 150410", "V5.4.0 build 160401", "V5.4.0 build 160530",
        "V5.4.4 build 161125", "V5.5.0 build 170725", "V5.5.800 build 210628",
        "V5.6.2build 190701", "V5.7.18 build 240826",
    ]
    versions = [v("Hikvision", t) for t in ordered]
    assert sorted(reversed(versions)) == versions
    assert v("Hikvision", "V2.3.8") < v("Hikvision", "V2.3.8-8") < v("Hikvision", "V2.3.9")
    assert v("Hikvision", "V5.10.0") > v("Hikvision", "V5.9.9")  # numeric, not string, order


def test_dahua_order_within_family() -> None:
    assert v("Dahua", "2.800.0000000.8.R") < v("Dahua", "2.800.0000000.13.R")
    assert v("Dahua", "2.800.0000000.13.R, build: 2019-01-01") < v("Dahua", "2.800.0000000.13.R, build: 2020-01-01")


def test_different_families_do_not_compare() -> None:
    with pytest.raises(TypeError):
        _ = v("Hikvision", "V5.7.18") < v("Hikvision", "V4.62.210")  # camera line vs recorder line
    with pytest.raises(TypeError):
        _ = v("Dahua", "2.420.AC00.15.R") < v("Dahua", "2.800.0000000.13.R")
    with pytest.raises(TypeError):
        v("Dahua", "2.400.0.8").compare(v("Hikvision", "V5.5.0"))


def test_compare_with_missing_build_date() -> None:
    bound = v("Hikvision", "V5.4.0 build 160530")
    assert v("Hikvision", "V5.4.0").compare(bound) is None  # only the build date could decide
    assert v("Hikvision", "V5.3.0").compare(bound) == -1
    assert v("Hikvision", "V5.4.1").compare(bound) == 1
    assert v("Hikvision", "V5.4.0 build 160530").compare(bound) == 0
    assert v("Hikvision", "V5.4.0").compare(v("Hikvision", "V5.4.0")) == 0


def test_every_recorded_hikvision_and_dahua_firmware_parses() -> None:
    seen = 0
    for path in sorted(RECORDINGS.glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")):
            maker, firmware = entry.get("manufacturer"), entry.get("firmware")
            if maker in ("Hikvision", "Dahua") and firmware:
                assert parse_strict(maker, firmware).maker == maker, entry["id"]
                seen += 1
    assert seen >= 10

"""Owner-authorised enrichment: exact model and firmware with credentials, a clear account of what could not
be learned without them, at most one login attempt per device, and the password nowhere in the results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from camaudit.collect.auth import Challenge, digest_authorization, verify_digest, ws_username_token
from camaudit.collect.credentials import Credential, CredentialBook, CredentialError, load_credentials
from camaudit.knowledge.files import KnowledgeError
from camaudit.simulate.process import FleetProcess

PASSWORD = "emulated-device-password"  # the emulated devices' own test account (see their personality files)
NAMES = ["hikvision-ipc", "hikvision-nvr", "arcdyn-nvr", "amcrest-ipc", "nginx-server", "reolink-camera"]


@pytest.fixture(scope="module")
def fleet() -> Iterator[FleetProcess]:
    with FleetProcess("127.69.0.0/28", names=NAMES) as running:
        yield running


def _scan(fleet: FleetProcess, tmp: Path, password: str | None) -> tuple[dict[str, Any], str, Path]:
    devices = fleet.manifest["devices"]
    target = f"{devices[0]['address']}-{devices[-1]['address']}"
    args = [sys.executable, "-m", "camaudit", "scan", target, "--db", str(tmp / "s.db"), "--json", str(tmp / "s.json")]
    env = dict(os.environ)
    if password is not None:
        creds = tmp / "creds.yaml"
        creds.write_text("- scope: 127.69.0.0/28\n  username: admin\n  password_env: CAMAUDIT_TEST_PASS\n")
        creds.chmod(0o600)
        args += ["--credentials", str(creds)]
        env["CAMAUDIT_TEST_PASS"] = password
    proc = subprocess.run(args, capture_output=True, text=True, env=env, check=True)
    doc = json.loads((tmp / "s.json").read_text())
    return {d["personality"]: next(x for x in doc["devices"] if x["address"] == d["address"]) for d in devices}, \
        proc.stdout + proc.stderr, tmp


def test_with_credentials_exact_model_firmware_and_no_leak(fleet: FleetProcess, tmp_path: Path) -> None:
    found, output, tmp = _scan(fleet, tmp_path, PASSWORD)
    cam = found["hikvision-ipc"]
    assert (cam["model"], cam["firmware"], cam["serial"]) == (
        "DS-2CD2366G2-ISU/SL", "V5.7.13 build 230504", "DS-2CD2366G2-ISU/SL20210726AAWRG41390691")
    nvr = found["hikvision-nvr"]
    assert (nvr["model"], nvr["device_type"]) == ("DS-7608NI-I2", "NVR")
    arc = found["arcdyn-nvr"]
    assert (arc["manufacturer"], arc["brand"], arc["model"]) == ("Hikvision", "ArcDyn", "ACR4-40")
    assert found["amcrest-ipc"]["firmware"] == "2.420.AC00.15.R"
    # a plain web server is never sent the owner's credentials
    assert any("not used" in e for e in found["nginx-server"]["errors"])
    # the password appears nowhere: output, database, JSON, HTML report
    html = subprocess.run([sys.executable, "-m", "camaudit", "report", "--db", str(tmp / "s.db")],
                          capture_output=True, check=True).stdout
    for blob in (output.encode(), (tmp / "s.db").read_bytes(), (tmp / "s.json").read_bytes(), html):
        assert PASSWORD.encode() not in blob


def test_without_credentials_says_what_it_could_not_learn(fleet: FleetProcess, tmp_path: Path) -> None:
    found, _output, _tmp = _scan(fleet, tmp_path, None)
    cam = found["hikvision-ipc"]
    assert cam["manufacturer"] == "Hikvision" and cam["model"] is None
    assert cam["unknown"]["model"]
    assert "owner credentials" in cam["unknown"]["model"] and "owner credentials" in cam["unknown"]["firmware"]
    assert not any(e.startswith("credentials:") for e in cam["errors"])  # nothing was tried without any


def test_wrong_password_stops_at_the_first_refusal(fleet: FleetProcess, tmp_path: Path) -> None:
    found, _output, _tmp = _scan(fleet, tmp_path, "not-the-password")
    for name in ("hikvision-ipc", "hikvision-nvr", "arcdyn-nvr"):
        notes = [e for e in found[name]["errors"] if e.startswith("credentials:")]
        refusals = [e for e in notes if "refused" in e]
        assert len(refusals) == 1, (name, notes)
        # nothing was asked after the refusal: the capabilities read never happened
        assert not any("/ISAPI/System/capabilities" in e for e in notes), notes
        assert found[name]["model"] in (None, "ACR4-40") or name != "arcdyn-nvr"


def test_credential_file_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = tmp_path / "world.yaml"
    world.write_text("- {scope: 10.0.0.0/8, username: u, password: secret-in-file}\n")
    world.chmod(0o644)
    with pytest.raises(CredentialError, match="chmod 600") as err:
        load_credentials(str(world))
    assert "secret-in-file" not in str(err.value)
    world.chmod(0o600)
    assert load_credentials(str(world))[0].covers("10.1.2.3")
    missing = tmp_path / "env.yaml"
    missing.write_text("- {scope: 10.0.0.1, username: u, password_env: NOPE_NOT_SET}\n")
    monkeypatch.delenv("NOPE_NOT_SET", raising=False)
    with pytest.raises(CredentialError, match="NOPE_NOT_SET"):
        load_credentials(str(missing))
    monkeypatch.setenv("CAMAUDIT_USERNAME", "u")
    monkeypatch.setenv("CAMAUDIT_PASSWORD", "p")
    monkeypatch.delenv("CAMAUDIT_CREDENTIAL_SCOPE", raising=False)
    with pytest.raises(CredentialError, match="CAMAUDIT_CREDENTIAL_SCOPE"):
        CredentialBook.load()


def test_credential_never_prints_its_password() -> None:
    cred = Credential("f#1", "admin", "hunter2", ())
    assert "hunter2" not in repr(cred) and "hunter2" not in str(cred)


def test_digest_round_trip_rfc7616_style() -> None:
    cred = Credential("t", "Mufasa", "Circle of Life", ())
    ch = Challenge("digest", {"realm": "http-auth@example.org", "qop": "auth",
                              "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "opaque": "x"})
    header = digest_authorization(ch, cred, "GET", "/dir/index.html",
                                  cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")
    assert verify_digest(header, "Mufasa", "Circle of Life", "GET")
    assert not verify_digest(header, "Mufasa", "wrong", "GET")


def test_ws_username_token_digest() -> None:
    # PasswordDigest = base64(sha1(nonce + created + password)), the WS-Security UsernameToken profile
    token = ws_username_token(Credential("t", "admin", "pw", ()), nonce=b"0123456789abcdef",
                              created="2026-01-01T00:00:00.000Z")
    import base64
    import hashlib

    expected = base64.b64encode(hashlib.sha1(b"0123456789abcdef2026-01-01T00:00:00.000Zpw").digest()).decode()
    assert expected in token and "pw<" not in token


def test_onvif_without_and_with_credentials(tmp_path: Path) -> None:
    """GetCapabilities answers without login (PRE_AUTH) and names Hikvision; GetDeviceInformation is refused
    without credentials (said, not fatal) and answered with them."""
    with FleetProcess("127.98.0.0/29", names=["hikvision-onvif-ptz"]) as one:
        address = one.manifest["devices"][0]["address"]
        env = dict(os.environ, CAMAUDIT_TEST_PASS=PASSWORD)
        creds = tmp_path / "c.yaml"
        creds.write_text(f"- scope: {address}\n  username: admin\n  password_env: CAMAUDIT_TEST_PASS\n")
        creds.chmod(0o600)
        results = {}
        for label, extra in (("without", []), ("with", ["--credentials", str(creds)])):
            out = tmp_path / f"{label}.json"
            subprocess.run([sys.executable, "-m", "camaudit", "scan", address, "--db", str(tmp_path / f"{label}.db"),
                            "--json", str(out), "-q", *extra], env=env, check=True, capture_output=True)
            results[label] = json.loads(out.read_text())["devices"][0]
    without, with_ = results["without"], results["with"]
    assert without["manufacturer"] == "Hikvision" and without["model"] is None
    assert any(e["rule"] == "onvif.hikvision.capabilities-extension" for e in without["evidence"])
    assert any("GetDeviceInformation needs credentials" in e for e in without["errors"])
    assert (with_["model"], with_["firmware"]) == ("iDS-2PT91JNLC-CS/CXS", "V5.5.23 build 190821")


def test_read_plans_are_data_and_name_catalogue_makers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Which documents are read for which maker comes from reads.yaml; a plan for a maker the catalogue does not
    hold, or a second plan for one maker, is refused with the file and entry named."""
    from camaudit.knowledge import reads

    plans = reads.load_read_plans()
    assert {p.id for p in plans.values()} >= {"isapi", "dahua-cgi"}
    assert all(r.path.startswith("/") for p in plans.values() for r in p.reads)
    assert reads.plan_for("A maker nobody catalogued") is None
    (tmp_path / "knowledge").mkdir()
    extra = tmp_path / "knowledge" / "reads-extra.yaml"
    extra.write_text("- id: bogus\n  maker: Nobody Cameras\n  reads: [{path: /x, protocol: other}]\n"
                     "  sources: [https://example.org]\n")
    monkeypatch.setenv("CAMAUDIT_KB", str(tmp_path))
    reads.load_read_plans.cache_clear()
    try:
        with pytest.raises(KnowledgeError, match=r"reads-extra\.yaml entry 1: 'Nobody Cameras' is not a maker"):
            reads.load_read_plans()
    finally:
        monkeypatch.delenv("CAMAUDIT_KB")
        reads.load_read_plans.cache_clear()

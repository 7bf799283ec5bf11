"""The knowledge cache (camaudit.knowledge.cache): Stages.default() read from it gives the same knowledge and the
same answers as Stages loaded from the files; a changed knowledge file, user folder or package file gives
another key; a damaged, foreign or untrusted cache file is ignored and rebuilt; CAMAUDIT_NO_CACHE=1 turns it
off. Every test points the cache at its own temporary folder."""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
from pathlib import Path

import pytest

from camaudit.knowledge import cache
from camaudit.knowledge.files import package_data
from camaudit.knowledge.firmware import firmware_book, load_firmware_book
from camaudit.knowledge.kinds import default_kind_book, load_kind_book
from camaudit.knowledge.makers import default_catalogue, load_makers
from camaudit.model import Observation
from camaudit.pipeline.stages import Stages, _Loaded, analyse_device
from camaudit.simulate.recordings import load_recordings

MAKER = ("- maker: Acme Vision Cache\n  aliases: [ACMEVISIONCACHE]\n  sources: [https://example.org/acme]\n"
         "  checked: 2026-12-04\n")


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.delenv("CAMAUDIT_NO_CACHE", raising=False)
    monkeypatch.setenv("CAMAUDIT_CACHE", str(where))
    monkeypatch.delenv("CAMAUDIT_KB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # kb update's folder: empty, not the user's
    return where


def _cache_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("knowledge-stages-*.pickle"))


def _knowledge(stages: Stages) -> tuple[object, ...]:
    identifier = stages.identifier
    restrictions, vulnerabilities, exposure, capabilities = stages.assessments
    return (identifier.rulebook.rules, list(identifier.brands.makers), identifier.brands.brands,
            identifier.brands.ouis, dict(identifier.clouds), identifier.authority, identifier.model_rules,
            [type(a).__name__ for a in stages.assessments], restrictions.regimes,
            vulnerabilities.advisories, vulnerabilities.kev, exposure.services,
            capabilities.book)


def _answers(stages: Stages) -> list[object]:
    out: list[object] = []
    for rec in load_recordings().values():
        obs = Observation(id="r1", protocol=rec.protocol, response=rec.response, device="d")
        out.append(analyse_device(stages, "d", [obs]))
    return out


def test_cached_and_loaded_stages_are_the_same(folder: Path) -> None:
    loaded = Stages.load()
    first = Stages.default()  # built, and kept
    assert len(_cache_files(folder)) == 1
    cached = Stages.default()  # read from the cache
    assert cached is not first
    assert _knowledge(cached) == _knowledge(loaded) == _knowledge(first)
    assert cached.identifier.brands is cached.assessments[0].brands  # one brand book, as when loaded
    assert _answers(cached) == _answers(loaded)


def test_the_cache_is_read_not_rebuilt(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Stages.default()

    def no_loading() -> Stages:
        raise AssertionError("loaded from the files although the cache holds these inputs")

    monkeypatch.setattr(Stages, "load", classmethod(lambda cls: no_loading()))
    assert isinstance(Stages.default(), Stages)


def test_a_changed_user_file_changes_the_key_and_the_knowledge(folder: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    kb = tmp_path / "kb"
    (kb / "knowledge").mkdir(parents=True)
    mine = kb / "knowledge" / "makers-mine.yaml"
    mine.write_text(MAKER, encoding="utf-8")
    monkeypatch.setenv("CAMAUDIT_KB", str(kb))
    before = cache.inputs_key("stages")
    stages = Stages.default()
    assert stages.identifier.brands.makers.resolve("acmevisioncache") is not None
    mine.write_text(MAKER.replace("Acme Vision Cache", "Acme Vision Cached").replace("ACMEVISIONCACHE", "AVC2"),
                    encoding="utf-8")
    assert cache.inputs_key("stages") != before
    again = Stages.default()
    assert again.identifier.brands.makers.resolve("acmevisioncache") is None
    assert again.identifier.brands.makers.resolve("AVC2") is not None
    assert len(_cache_files(folder)) == 2
    monkeypatch.delenv("CAMAUDIT_KB")
    assert cache.inputs_key("stages") != before
    assert Stages.default().identifier.brands.makers.resolve("AVC2") is None  # the package's knowledge alone


def test_a_changed_package_file_changes_the_key(folder: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "data"
    shutil.copytree(package_data(), copy)
    monkeypatch.setattr(cache, "package_data", lambda: copy)
    keys = {cache.inputs_key("stages")}
    brands = copy / "knowledge" / "brands.yaml"
    brands.write_bytes(brands.read_bytes() + b"\n# one more comment\n")
    keys.add(cache.inputs_key("stages"))
    (copy / "fingerprints" / "extra.yaml").write_text("kind: rtsp\nrules: []\n", encoding="utf-8")
    keys.add(cache.inputs_key("stages"))
    schema = copy / "schema" / "common.json"
    schema.write_bytes(schema.read_bytes() + b" ")
    keys.add(cache.inputs_key("stages"))
    assert len(keys) == 4


def test_the_key_names_the_interpreter_and_the_version(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = cache.inputs_key("stages")
    monkeypatch.setattr(cache.camaudit, "__version__", "0.0.0-other")
    assert cache.inputs_key("stages") != key
    monkeypatch.undo()
    monkeypatch.setattr(cache.sys, "version", "2.7.18 (another Python)")
    assert cache.inputs_key("stages") != key


@pytest.mark.parametrize("damage", ["empty", "truncated", "flipped", "garbage pickle", "foreign type", "header"])
def test_a_damaged_cache_file_is_ignored_and_rebuilt(folder: Path, damage: str) -> None:
    reference = _knowledge(Stages.default())
    (path,) = _cache_files(folder)
    blob = path.read_bytes()
    key = cache.inputs_key("stages")
    header = cache.MAGIC + key.encode() + b"\n"
    if damage == "empty":
        blob = b""
    elif damage == "truncated":
        blob = blob[: len(blob) // 2]
    elif damage == "flipped":
        blob = blob[:-100] + bytes([blob[-100] ^ 0xFF]) + blob[-99:]
    elif damage in ("garbage pickle", "foreign type"):
        payload = b"\x80\x05not a pickle at all" if damage == "garbage pickle" else pickle.dumps({"a": 1})
        blob = header + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload
    else:
        blob = b"another program's file\n" + blob[len(header):]
    path.write_bytes(blob)
    assert cache.read("stages", key, _Loaded, folder) is None
    assert _knowledge(Stages.default()) == reference  # built again from the files...
    assert cache.read("stages", key, _Loaded, folder) is not None  # ...and kept again, whole


def test_a_cache_file_others_may_write_is_not_read(folder: Path) -> None:
    Stages.default()
    (path,) = _cache_files(folder)
    key = cache.inputs_key("stages")
    os.chmod(path, 0o666)
    assert cache.read("stages", key, _Loaded, folder) is None
    os.chmod(path, 0o600)
    assert cache.read("stages", key, _Loaded, folder) is not None


def test_no_cache_when_switched_off(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMAUDIT_NO_CACHE", "1")
    Stages.default()
    assert not folder.exists() or not _cache_files(folder)
    monkeypatch.setenv("CAMAUDIT_NO_CACHE", "0")
    Stages.default()
    assert len(_cache_files(folder)) == 1


def test_an_unwritable_cache_folder_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a file, not a folder"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("CAMAUDIT_CACHE", str(blocker / "cache"))
    assert isinstance(Stages.default(), Stages)
    assert not list(tmp_path.glob("**/*.tmp"))


def test_old_cache_files_are_pruned(folder: Path) -> None:
    folder.mkdir(parents=True)
    for i in range(cache.KEEP + 3):
        old = folder / f"knowledge-stages-{i:032x}.pickle"
        old.write_bytes(b"old")
        os.utime(old, (1_000_000 + i, 1_000_000 + i))
    Stages.default()
    kept = _cache_files(folder)
    assert len(kept) == cache.KEEP
    assert cache.cache_file("stages", cache.inputs_key("stages"), folder) in kept


def test_the_cached_catalogue_and_grammars_become_the_process_s(folder: Path) -> None:
    """The maker catalogue, firmware grammars and kinds are loaded once per process; cached stages hand theirs over
    (as loading them would have left them), instead of their being loaded from the files again on first use."""
    Stages.default()  # kept
    default_catalogue.forget()
    firmware_book.forget()
    default_kind_book.forget()
    try:
        stages = Stages.default()  # read from the cache
        declarations = stages.identifier.declarations
        assert declarations is not None
        assert default_catalogue() is declarations.resolver.catalogue
        assert list(default_catalogue()) == list(load_makers())
        assert firmware_book() == load_firmware_book()
        assert default_kind_book() == load_kind_book()
    finally:
        default_catalogue.forget()
        firmware_book.forget()
        default_kind_book.forget()


def test_the_same_files_elsewhere_are_another_key(folder: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Loaded knowledge names the files it came from (a KEV listing's source is its file): the same content in
    another folder is not the same knowledge."""
    for name in ("one", "two"):
        (tmp_path / name / "knowledge").mkdir(parents=True)
        (tmp_path / name / "knowledge" / "makers-mine.yaml").write_text(MAKER, encoding="utf-8")
    monkeypatch.setenv("CAMAUDIT_KB", str(tmp_path / "one"))
    one = cache.inputs_key("stages")
    monkeypatch.setenv("CAMAUDIT_KB", str(tmp_path / "two"))
    two = cache.inputs_key("stages")
    monkeypatch.delenv("CAMAUDIT_KB")
    plain = cache.inputs_key("stages")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "elsewhere"))  # where kb update writes, moved
    assert len({one, two, plain, cache.inputs_key("stages")}) == 4


def test_files_in_a_user_folder_s_sub_folders_are_not_read(folder: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The loaders read a user folder's own files only: a large tree kept below (downloaded records, say) is
    not hashed at every start."""
    (tmp_path / "kb" / "knowledge" / "records").mkdir(parents=True)
    monkeypatch.setenv("CAMAUDIT_KB", str(tmp_path / "kb"))
    key = cache.inputs_key("stages")
    (tmp_path / "kb" / "knowledge" / "records" / "CVE-2099-0001.json").write_text("{}", encoding="utf-8")
    (tmp_path / "kb" / "knowledge" / "cvelistV5.tar.gz").write_bytes(b"\x1f\x8b not read by any loader")
    assert cache.inputs_key("stages") == key
    (tmp_path / "kb" / "knowledge" / "kev.yaml").write_text("entries: []\n", encoding="utf-8")
    assert cache.inputs_key("stages") != key

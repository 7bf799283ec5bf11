"""The validation cache: a shipped knowledge file found valid once is not checked again while its content, the
schemas and the checking code are unchanged; a user's file is always checked, and so is any changed content."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from camaudit.knowledge import schema
from camaudit.knowledge.files import KnowledgeError, load_yaml, package_data


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("CAMAUDIT_CACHE", str(folder))
    monkeypatch.setattr(schema, "_validated_keys", None)
    monkeypatch.setattr(schema, "_checked", set())
    return folder


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = schema.problems

    def counted(doc: Any, name: str) -> list[str]:
        calls.append(name)
        return real(doc, name)

    monkeypatch.setattr(schema, "problems", counted)
    return calls


def _new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a later run starts with: nothing checked in this process, the cache read again from its file."""
    monkeypatch.setattr(schema, "_validated_keys", None)
    monkeypatch.setattr(schema, "_checked", set())


def test_a_shipped_file_is_checked_once_then_remembered(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = package_data() / "knowledge" / "parsers.yaml"
    calls = _counting(monkeypatch)
    schema.validate(load_yaml(path), "parsers", path)
    assert calls == ["parsers"]
    assert len((cache / schema.VALIDATED_FILE).read_text().split()) == 1
    _new_process(monkeypatch)
    schema.validate(load_yaml(path), "parsers", path)
    assert calls == ["parsers"]  # the same content, already found valid


def test_a_user_file_is_always_checked(cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = package_data() / "knowledge" / "parsers.yaml"
    own = tmp_path / "kb" / "knowledge" / "parsers.yaml"
    own.parent.mkdir(parents=True)
    shutil.copyfile(shipped, own)  # the very content of a shipped file found valid
    schema.validate(load_yaml(shipped), "parsers", shipped)
    calls = _counting(monkeypatch)
    for _ in range(2):
        _new_process(monkeypatch)
        schema.validate(load_yaml(own), "parsers", own)
    assert calls == ["parsers", "parsers"]


def test_changed_content_is_checked_again(cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "package"
    shutil.copytree(package_data(), data)
    monkeypatch.setattr(schema, "package_data", lambda: data)
    monkeypatch.setattr(schema, "_validation_digest", lambda: "test")
    path = data / "knowledge" / "makers.yaml"
    calls = _counting(monkeypatch)
    schema.validate(load_yaml(path), "makers", path)
    _new_process(monkeypatch)
    schema.validate(load_yaml(path), "makers", path)
    assert calls == ["makers"]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("checked:", "checkd:", 1), encoding="utf-8")
    _new_process(monkeypatch)
    with pytest.raises(KnowledgeError, match="checkd"):
        schema.validate(load_yaml(path), "makers", path)


def test_no_cache_when_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMAUDIT_CACHE", "off")
    monkeypatch.setattr(schema, "_validated_keys", None)
    monkeypatch.setattr(schema, "_checked", set())
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    path = package_data() / "knowledge" / "parsers.yaml"
    calls = _counting(monkeypatch)
    for _ in range(2):
        _new_process(monkeypatch)
        schema.validate(load_yaml(path), "parsers", path)
    assert calls == ["parsers", "parsers"]
    assert not (tmp_path / "xdg").exists()


def test_shipped_advisories_read_alike_from_the_cache(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from camaudit.knowledge import vulnerabilities

    path = package_data() / "knowledge" / "vulnerabilities.yaml"
    calls: list[str] = []
    real = vulnerabilities.problems
    monkeypatch.setattr(schema, "problems", lambda doc, name: calls.append(name) or real(doc, name))
    vulnerabilities._load_cached.cache_clear()
    first = vulnerabilities.load_file(path)
    _new_process(monkeypatch)
    vulnerabilities._load_cached.cache_clear()
    again = vulnerabilities.load_file(path)
    vulnerabilities._load_cached.cache_clear()
    assert first == again and first
    assert calls.count("vulnerabilities") == 1  # the second read was spared the check

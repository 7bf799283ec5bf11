"""Knowledge files are read once, as bytes, then parsed: the documents are those a text file gives, line endings
included, and a broken file is an error naming the file and the place."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from camaudit.knowledge.files import SAFE_LOADER, KnowledgeError, load_yaml, package_data, read_yaml

SHIPPED = sorted(package_data().rglob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_file_reads_as_a_text_file_does(path: Path) -> None:
    with path.open(encoding="utf-8") as fh:
        expected = yaml.load(fh, Loader=SAFE_LOADER)
    doc, content = read_yaml(path)
    assert doc == expected
    assert content == path.read_bytes()


def test_line_endings_read_as_a_text_file_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "endings.yaml"
    path.write_bytes(b"a: |\r\n  one\r\n  two\r  three\nb: x\r\n")
    with path.open(encoding="utf-8") as fh:
        assert load_yaml(path) == yaml.load(fh, Loader=SAFE_LOADER) == {"a": "one\ntwo\nthree\n", "b": "x"}


def test_broken_yaml_names_the_file_and_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("a: [1,\nb: 2\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"broken\.yaml: not valid YAML") as raised:
        load_yaml(path)
    assert f'in "{path}", line' in str(raised.value)


def test_text_that_is_not_utf8_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("- maker: Caf\u00e9\n".encode("latin-1"))
    with pytest.raises(KnowledgeError, match=r"latin1\.yaml: not UTF-8 text"):
        load_yaml(path)


def test_a_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match=r"absent\.yaml: cannot read"):
        load_yaml(tmp_path / "absent.yaml")

"""Reading knowledge files: YAML in, plain data out, with errors that name the file and the entry."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

#: libyaml's safe loader when PyYAML was built with it (many times faster), else the pure-Python one
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KnowledgeError(ValueError):
    """A knowledge file that cannot be used as written."""


def package_data() -> Path:
    return Path(str(resources.files("camaudit") / "data"))


def user_dirs() -> list[Path]:
    """Extra knowledge folders from ``CAMAUDIT_KB`` (``os.pathsep``-separated)."""
    raw = os.environ.get("CAMAUDIT_KB", "")
    return [Path(p) for p in raw.split(os.pathsep) if p]


class _NamedText(io.StringIO):
    """Text read from a file, named as the file (YAML's errors say where: ``in "/x/brands.yaml", line 3``)."""

    def __init__(self, text: str, name: str) -> None:
        super().__init__(text)
        self.name = name


def load_yaml(path: Path) -> Any:
    return read_yaml(path)[0]


def read_yaml(path: Path) -> tuple[Any, bytes]:
    """The document in a YAML file and the very bytes it was read from (read once: a check that remembers a
    file by its content keys it by what was parsed, not by a second read that might see another file)."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise KnowledgeError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        text = content.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as a text file reads
        return yaml.load(_NamedText(text, str(path)), Loader=SAFE_LOADER), content
    except UnicodeDecodeError as exc:
        raise KnowledgeError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path}: not valid YAML: {exc}") from exc


def data_files(subdir: str, extra: list[Path] | None = None) -> Iterator[Path]:
    """The package's files under ``data/<subdir>``, then the same folder in each user directory."""
    roots = [package_data(), *(extra if extra is not None else user_dirs())]
    for root in roots:
        folder = root / subdir
        if folder.is_dir():
            yield from sorted(folder.glob("*.yaml"))


def require(entry: Mapping[str, Any], key: str, where: str, kind: type | tuple[type, ...] = str) -> Any:
    if key not in entry:
        raise KnowledgeError(f"{where}: missing '{key}'")
    value = entry[key]
    if not isinstance(value, kind):
        raise KnowledgeError(f"{where}: '{key}' has the wrong type ({type(value).__name__})")
    return value

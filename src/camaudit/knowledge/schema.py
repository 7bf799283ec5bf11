"""Schema checks for knowledge and fingerprint files: JSON Schema (draft 2020-12), published with the package.

Every file under ``camaudit/data`` (and every user file beside it through ``CAMAUDIT_KB``) is checked against
``camaudit/data/schema/<name>.json`` when it is loaded and by ``camaudit kb validate``. The schemas reject
keys they do not list, so a misspelt or invented key is an error naming the file, the entry and the key,
never a silent no-op. jsonschema is used because the schemas are data too: the same files let an editor or
another tool check a user's own knowledge files without camaudit.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from camaudit.knowledge import files as files_module
from camaudit.knowledge.files import KnowledgeError, data_files, load_yaml, package_data, read_yaml

if TYPE_CHECKING:  # jsonschema is imported when a document is checked: a run served by the caches never needs it
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError
    from referencing import Registry


def schema_path(name: str) -> Path:
    return package_data() / "schema" / f"{name}.json"


@lru_cache(maxsize=1)
def _registry() -> tuple[Registry[Any], dict[str, dict[str, Any]]]:
    """Every schema in the folder, so one may refer to another (``common.json#/$defs/sources``)."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    schemas: dict[str, dict[str, Any]] = {}
    registry: Registry[Any] = Registry()
    for path in sorted((package_data() / "schema").glob("*.json")):
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise KnowledgeError(f"{path}: cannot read the schema ({exc})") from exc
        Draft202012Validator.check_schema(schema)
        schemas[path.stem] = schema
        registry = registry.with_resource(schema["$id"], Resource.from_contents(schema))
    return registry, schemas


@cache
def validator(name: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    registry, schemas = _registry()
    if name not in schemas:
        raise KnowledgeError(f"no schema named {name!r} in {package_data() / 'schema'}")
    return Draft202012Validator(schemas[name], registry=registry)


def jsonable(doc: Any) -> Any:
    """YAML's dates as ISO strings, so a schema can say what a date looks like."""
    if isinstance(doc, dict):
        return {k: jsonable(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [jsonable(v) for v in doc]
    if isinstance(doc, (datetime.date, datetime.datetime)):
        return doc.isoformat()
    return doc


def _label(doc: Any, path: Sequence[str | int]) -> str:
    """``entry 3 (Axis).sources[1]`` for a path into a document."""
    out = ""
    node = doc
    for step in path:
        if isinstance(step, int):
            child = node[step] if isinstance(node, list) and step < len(node) else None
            name = ""
            if isinstance(child, Mapping):
                for key in ("id", "maker", "brand", "manufacturer", "name", "capability"):
                    if isinstance(child.get(key), str):
                        name = f" ({child[key]})"
                        break
            out += f"entry {step + 1}{name}" if not out else f"[{step + 1}]{name}"
            node = child
        else:
            out += f".{step}" if out else str(step)
            node = node.get(step) if isinstance(node, Mapping) else None
    return out or "top level"


def _unknown_keys(error: ValidationError) -> list[str]:
    instance = error.instance
    schema = error.schema
    if not isinstance(instance, Mapping) or not isinstance(schema, Mapping):
        return []
    known = set(schema.get("properties", {}))
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    return sorted(str(k) for k in instance if k not in known and not any(p.search(str(k)) for p in patterns))


def describe(error: ValidationError, doc: Any) -> str:
    from jsonschema.exceptions import best_match

    while error.context:  # "not valid under any of the given schemas": say which part of which choice failed
        deeper = best_match(error.context)
        if deeper is None:
            break
        error = deeper
    where = _label(doc, list(error.absolute_path))
    if error.validator == "additionalProperties":
        extra = _unknown_keys(error)
        allowed = sorted(error.schema.get("properties", {})) if isinstance(error.schema, Mapping) else []
        keys = ", ".join(repr(k) for k in extra)
        return f"{where}: unknown key {keys} (allowed: {', '.join(allowed)})"
    return f"{where}: {error.message}"


def problems(doc: Any, name: str) -> list[str]:
    """Every schema problem of one document, each naming where it is."""
    doc = jsonable(doc)
    errors = sorted(validator(name).iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    return [describe(e, doc) for e in errors]


_checked: set[tuple[str, str, int, int]] = set()

#: shipped files found valid by an earlier run, by content (see :func:`_validated`); 4096 keys at most
VALIDATED_FILE = "validated-knowledge.txt"
_MAX_VALIDATED = 4096


def cache_dir() -> Path | None:
    """Where camaudit keeps what it may work out again: nowhere when ``CAMAUDIT_NO_CACHE`` is set (to anything
    but ``0`` or nothing), else ``CAMAUDIT_CACHE`` (``off``: nowhere), else ``$XDG_CACHE_HOME/camaudit``
    (``~/.cache/camaudit``)."""
    if os.environ.get("CAMAUDIT_NO_CACHE", "").strip() not in ("", "0"):
        return None
    raw = os.environ.get("CAMAUDIT_CACHE")
    if raw is not None:
        return None if raw.strip().lower() in ("", "off", "0", "no") else Path(raw)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "camaudit"


@lru_cache(maxsize=1)
def _validation_digest() -> str:
    """What a validation's outcome depends on besides the file: every schema, this module and the YAML reader,
    and the versions of jsonschema and PyYAML."""
    digest = hashlib.sha256()
    digest.update(f"jsonschema {_version('jsonschema')} pyyaml {yaml.__version__}\0".encode())
    for path in [Path(__file__), Path(files_module.__file__ or ""),
                 *sorted((package_data() / "schema").glob("*.json"))]:
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as metadata_version

    try:
        return metadata_version(package)
    except PackageNotFoundError:
        return "unknown"


def _shipped_key(name: str, path: Path, content: bytes | None = None) -> str | None:
    """The content key of a file shipped in the package (None for any other file: a user's files are always
    checked), or None when there is no cache. ``content``: the bytes the document was read from, when the
    caller has them (else the file is read again)."""
    if cache_dir() is None:
        return None
    try:
        if not path.resolve().is_relative_to(package_data().resolve()):
            return None
        if content is None:
            content = path.read_bytes()
    except OSError:
        return None
    return hashlib.sha256(f"{_validation_digest()}\0{name}\0".encode() + content).hexdigest()


_validated_keys: set[str] | None = None


def _validated() -> set[str]:
    """The keys of shipped files found valid by earlier runs (read once per process)."""
    global _validated_keys
    if _validated_keys is None:
        folder = cache_dir()
        keys: set[str] = set()
        if folder is not None:
            try:
                text = (folder / VALIDATED_FILE).read_text(encoding="ascii")
                keys = {line for line in text.split() if len(line) == 64}
            except (OSError, ValueError):
                keys = set()
        _validated_keys = keys
    return _validated_keys


def _remember_valid(key: str) -> None:
    known = _validated()
    known.add(key)
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / VALIDATED_FILE
        if len(known) > _MAX_VALIDATED:  # bounded: start again from what this run knows
            known.clear()
            known.add(key)
            target.write_text(key + "\n", encoding="ascii")
            return
        with target.open("a", encoding="ascii") as out:
            out.write(key + "\n")
    except OSError:
        return  # no cache: the next run checks again


def at(path: Path, problem: str) -> str:
    """``/x/brands.yaml entry 3 (Axis): ...``, the form every knowledge loader uses for a place in a file."""
    return f"{path} {problem}" if problem.startswith("entry ") else f"{path}: {problem}"


def validate(doc: Any, name: str, path: Path, content: bytes | None = None) -> None:
    """Raise KnowledgeError for the first schema problem, naming the file. A file already found valid in this
    process (same path, size and modification time) is not checked again: several loaders read the same files.
    ``content``: the bytes ``doc`` was parsed from (:func:`camaudit.knowledge.files.read_yaml`), when the caller
    has them (else the file is read again, and parsed again before it is remembered as valid)."""
    try:
        stat = path.stat()
        key: tuple[str, str, int, int] | None = (name, str(path), stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = None
    if key is not None and key in _checked:
        return
    shipped = _shipped_key(name, path, content)
    if shipped is not None and shipped in _validated():
        if key is not None:
            _checked.add(key)
        return
    found = problems(doc, name)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise KnowledgeError(f"{at(path, found[0])}{more}")
    if key is not None:
        _checked.add(key)
    if shipped is not None and (content is not None or _same_document(path, doc)):
        _remember_valid(shipped)


def file_problems_of(doc: Any, name: str, path: Path, content: bytes) -> list[str]:
    """:func:`problems` of a document read from ``content`` (the bytes of ``path``), which a shipped file found
    valid by an earlier run is spared (user files are always checked)."""
    shipped = _shipped_key(name, path, content)
    if shipped is not None and shipped in _validated():
        return []
    found = problems(doc, name)
    if not found and shipped is not None:
        _remember_valid(shipped)
    return found


def _same_document(path: Path, doc: Any) -> bool:
    """Whether the file still reads as the document just checked (it was not rewritten meanwhile)."""
    try:
        return bool(load_yaml(path) == doc)
    except KnowledgeError:
        return False


def knowledge_documents(name: str, extra: list[Path] | None = None,
                        empty: Callable[[], Any] = list) -> Iterator[tuple[Path, Any]]:
    """Each ``knowledge/<name>*.yaml`` (the package's, then each user folder's: see :func:`data_files`), read and
    checked against ``schema/<name>.json``, as (path, document). A document that is empty (or
    otherwise false) is ``empty()``."""
    for path in data_files("knowledge", extra):
        if not path.stem.startswith(name):
            continue
        doc, content = read_yaml(path)
        doc = doc or empty()
        validate(doc, name, path, content)
        yield path, doc

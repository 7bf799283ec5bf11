"""Schema checks for knowledge and fingerprint files: JSON Schema (draft 2020-12), published with the package.

Every file under ``camaudit/data`` (and every user file beside it through ``CAMAUDIT_KB``) is checked against
``camaudit/data/schema/<name>.json`` when it is loaded and by ``camaudit kb validate``. The schemas reject
keys they do not list, so a misspelt or invented key is an error naming the file, the entry and the key,
never a silent no-op. jsonschema is used because the schemas are data too: the same files let an editor or
another tool check a user's own knowledge files without camaudit.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource

from camaudit.knowledge.files import KnowledgeError, data_files, load_yaml, package_data


def schema_path(name: str) -> Path:
    return package_data() / "schema" / f"{name}.json"


@lru_cache(maxsize=1)
def _registry() -> tuple[Registry[Any], dict[str, dict[str, Any]]]:
    """Every schema in the folder, so one may refer to another (``common.json#/$defs/sources``)."""
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


def at(path: Path, problem: str) -> str:
    """``/x/brands.yaml entry 3 (Axis): ...``, the form every knowledge loader uses for a place in a file."""
    return f"{path} {problem}" if problem.startswith("entry ") else f"{path}: {problem}"


def validate(doc: Any, name: str, path: Path) -> None:
    """Raise KnowledgeError for the first schema problem, naming the file. A file already found valid in this
    process (same path, size and modification time) is not checked again: several loaders read the same files."""
    try:
        stat = path.stat()
        key: tuple[str, str, int, int] | None = (name, str(path), stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = None
    if key is not None and key in _checked:
        return
    found = problems(doc, name)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise KnowledgeError(f"{at(path, found[0])}{more}")
    if key is not None:
        _checked.add(key)


def knowledge_documents(name: str, extra: list[Path] | None = None,
                        empty: Callable[[], Any] = list) -> Iterator[tuple[Path, Any]]:
    """Each ``knowledge/<name>*.yaml`` (the package's, then each user folder's: see :func:`data_files`), read and
    checked against ``schema/<name>.json``, as (path, document). A document that is empty (or
    otherwise false) is ``empty()``."""
    for path in data_files("knowledge", extra):
        if not path.stem.startswith(name):
            continue
        doc = load_yaml(path) or empty()
        validate(doc, name, path)
        yield path, doc

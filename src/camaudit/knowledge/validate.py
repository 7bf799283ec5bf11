"""``camaudit kb validate``: every knowledge and fingerprint file against its schema, then the checks across files."""

from __future__ import annotations

from pathlib import Path

from camaudit.knowledge.files import KnowledgeError, data_files, load_yaml
from camaudit.knowledge.schema import at, problems

#: Which schema a knowledge file answers to, by the start of its name (the loaders choose files the same way).
KNOWLEDGE_SCHEMAS = ("brands", "makers", "regimes", "oui", "capabilities", "cloud", "vulnerabilities", "kev",
                     "parsers", "authority", "reads", "firmware", "snmp", "probes", "kinds")


def schema_name(path: Path) -> str | None:
    if path.parent.name == "fingerprints":
        return "fingerprints"
    return next((name for name in KNOWLEDGE_SCHEMAS if path.stem.startswith(name)), None)


def file_problems(extra: list[Path] | None = None) -> list[str]:
    """Every schema problem in every file, each line naming the file (nothing stops at the first)."""
    out: list[str] = []
    for subdir in ("knowledge", "fingerprints"):
        for path in data_files(subdir, extra):
            name = schema_name(path)
            if name is None:
                out.append(f"{path}: not read by camaudit (a knowledge file's name starts with one of "
                           f"{', '.join(KNOWLEDGE_SCHEMAS)})")
                continue
            try:
                doc = load_yaml(path)
            except KnowledgeError as exc:
                out.append(str(exc))
                continue
            out.extend(at(path, p) for p in problems(doc if doc is not None else [], name))
    return out


def cross_problems() -> list[str]:
    """What no single file's schema can see: each loader's own checks, and brands against regimes."""
    from camaudit.knowledge.brands import load_brandbook
    from camaudit.knowledge.capabilities import load_capability_book
    from camaudit.knowledge.cloud import load_cloud_services
    from camaudit.knowledge.fingerprints import load_rulebook
    from camaudit.knowledge.firmware import example_problems, firmware_book
    from camaudit.knowledge.kinds import load_kind_book
    from camaudit.knowledge.probes import load_web_probes
    from camaudit.knowledge.reads import load_read_plans
    from camaudit.knowledge.regimes import brand_problems, load_regimes
    from camaudit.knowledge.vulnerabilities import load_vulnerabilities

    out: list[str] = []
    for loader in (load_rulebook, load_capability_book, load_cloud_services, load_vulnerabilities, load_read_plans,
                   firmware_book, load_web_probes, load_kind_book):
        try:
            loader()
        except KnowledgeError as exc:
            out.append(str(exc))
    try:
        out.extend(f"firmware grammars: {p}" for p in example_problems())
    except KnowledgeError as exc:
        out.append(str(exc))
    try:
        out.extend(brand_problems(load_brandbook().brands, load_regimes()))
    except KnowledgeError as exc:
        out.append(str(exc))
    return list(dict.fromkeys(out))  # one broken file can stop several loaders: say it once

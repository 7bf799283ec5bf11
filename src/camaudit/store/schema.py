"""Schema migrations: small numbered steps, recorded in a table, safe to re-run (as sqlite-utils does)."""

from __future__ import annotations

MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001-initial",
        """
        CREATE TABLE scans (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            status TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            targets TEXT NOT NULL DEFAULT '[]',
            options TEXT NOT NULL DEFAULT '{}',
            source TEXT,
            source_hash TEXT,
            hosts_total INTEGER
        );
        CREATE TABLE hosts (
            scan_id INTEGER NOT NULL REFERENCES scans(id),
            address TEXT NOT NULL,
            open_ports TEXT NOT NULL,
            errors TEXT NOT NULL,
            truncated INTEGER NOT NULL DEFAULT 0,
            scanned_at TEXT NOT NULL,
            PRIMARY KEY (scan_id, address)
        );
        CREATE TABLE observations (
            scan_id INTEGER NOT NULL REFERENCES scans(id),
            id TEXT NOT NULL,
            device TEXT,
            address TEXT,
            port INTEGER,
            mac TEXT,
            protocol TEXT NOT NULL,
            request TEXT,
            response TEXT NOT NULL,
            observed_at TEXT,
            PRIMARY KEY (scan_id, id)
        );
        CREATE TABLE identities (
            scan_id INTEGER NOT NULL REFERENCES scans(id),
            device TEXT NOT NULL,
            address TEXT,
            manufacturer TEXT,
            brand TEXT,
            model TEXT,
            firmware TEXT,
            device_type TEXT,
            confidence REAL NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (scan_id, device)
        );
        CREATE TABLE findings (
            scan_id INTEGER NOT NULL REFERENCES scans(id),
            device TEXT NOT NULL,
            kind TEXT NOT NULL,
            finding_id TEXT NOT NULL,
            status TEXT NOT NULL,
            certainty TEXT NOT NULL,
            severity TEXT NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (scan_id, device, kind, finding_id)
        );
        CREATE INDEX findings_by_status ON findings (scan_id, kind, status);
        """,
    ),
    (
        "0002-hosts-incomplete",
        # a host the scanner could not check fully for want of its own resources: resume probes it again
        "ALTER TABLE hosts ADD COLUMN incomplete INTEGER NOT NULL DEFAULT 0;",
    ),
]

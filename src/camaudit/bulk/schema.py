"""The Parquet schemas ``camaudit bulk`` writes. Stable: version 1 only ever gains nullable columns at the end.

- ``records`` (work files between the two stages): the evidence records of one input partition, routed to the
  bucket their device key hashes to;
- ``identities``: one row per device: the identity's columns, where the input said so its country and
  autonomous system, whether a restriction regime covers its maker, and the whole identity as JSON (the
  ``camaudit identify`` contract, evidence included);
- ``findings``: one row per finding, with the finding as JSON;
- ``evidence``: one row per piece of evidence behind an identity (rule, what it asserts, the text it matched).
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = 1

RECORDS = pa.schema([
    ("seq", pa.int64()),  # partition index * 2**32 + position in the partition: the order records were read
    ("id", pa.string()),
    ("device", pa.string()),
    ("address", pa.string()),
    ("port", pa.int32()),
    ("mac", pa.string()),
    ("protocol", pa.string()),
    ("request", pa.string()),
    ("response", pa.string()),
    ("observed_at", pa.string()),
    ("country", pa.string()),
    ("asn", pa.string()),
])

IDENTITIES = pa.schema([
    ("device", pa.string()),
    ("address", pa.string()),
    ("manufacturer", pa.string()),
    ("brand", pa.string()),
    ("model", pa.string()),
    ("firmware", pa.string()),
    ("device_type", pa.string()),
    ("family", pa.string()),
    ("confidence", pa.float64()),
    ("covered", pa.string()),  # "certain", "probable" or "" (a restriction regime covers the maker)
    ("kev", pa.list_(pa.string())),  # KEV-listed vulnerabilities that may apply
    ("capabilities", pa.list_(pa.string())),
    ("country", pa.string()),
    ("asn", pa.string()),
    ("records", pa.int32()),
    ("data", pa.string()),  # the identity as JSON
])

FINDINGS = pa.schema([
    ("device", pa.string()),
    ("kind", pa.string()),
    ("finding_id", pa.string()),
    ("status", pa.string()),
    ("certainty", pa.string()),
    ("severity", pa.string()),
    ("data", pa.string()),  # the finding as JSON
])

EVIDENCE = pa.schema([
    ("device", pa.string()),
    ("record", pa.string()),
    ("rule", pa.string()),
    ("asserts", pa.string()),  # JSON object
    ("matched", pa.string()),
    ("confidence", pa.float64()),
    ("source", pa.string()),
])

TABLES = {"identities": IDENTITIES, "findings": FINDINGS, "evidence": EVIDENCE}

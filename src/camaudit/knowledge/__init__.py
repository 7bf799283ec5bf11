"""Knowledge as data: fingerprint rules, brand relationships, MAC prefixes and restriction regimes.

Every file lives under ``camaudit/data`` and every entry names its public source and the date it was
checked. Users add their own files with ``--kb DIR`` (or ``CAMAUDIT_KB``) without editing the package.
"""

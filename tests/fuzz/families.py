"""Which family each fuzz target belongs to (kept apart from targets.py, which imports camaudit: the long run
must choose what atheris instruments before camaudit is imported)."""

FAMILIES: dict[str, str] = {
    "identify": "identify",
    **dict.fromkeys(("http", "rtsp", "tls"), "protocol"),
    **dict.fromkeys(("sadp", "ws_discovery", "dhip", "ssdp", "mdns"), "discovery"),
    **dict.fromkeys(("register_csv", "register_xlsx", "nmap", "zeek", "masscan", "zgrab2", "shodan", "censys",
                     "pcap"), "importer"),
}

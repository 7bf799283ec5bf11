#!/usr/bin/env bash
# System packages the test suite uses: Debian's chromium (the HTML report is checked in a real browser),
# iproute2 (multicast tests run in network namespaces), postgresql (the server's tables are tested on it) and
# libwireshark-data (its manuf file carries the IEEE MA-M and MA-S blocks; MA-L comes from the aiooui Python
# package). Installed when missing and we may; otherwise the tests
# that need them skip and say why. Pass "bench" to also install nmap (bench_scan's peer) and nftables
# (bench_scale's silent addresses, --silent-drop/--silent-rest) for the benchmarks.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium fonts-dejavu-core)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)  # scripts/with-postgres.sh
[ -f /usr/share/wireshark/manuf ] || need+=(libwireshark-data)
if [ "${1:-}" = "bench" ]; then
  command -v nmap >/dev/null 2>&1 || need+=(nmap)
  command -v nft >/dev/null 2>&1 || need+=(nftables)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: ${need[*]} missing and cannot be installed here (needs root and apt-get); the tests that use them will skip" >&2
  exit 0
fi
echo "installing ${need[*]} (Debian packages)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

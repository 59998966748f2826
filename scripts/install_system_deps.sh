#!/usr/bin/env bash
# Installs the Debian packages the test suite drives for real: Chromium (consumer and operator
# pages), PostgreSQL server binaries (ledger on PostgreSQL), poppler-utils (PDF rasterising),
# wrk (the benchmark's HTTP load generator), fonts-wqy-microhei (export labels).
# Does nothing when they are present already.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  need+=(postgresql)
fi
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)
# The export labels' trilingual font (Vietnamese, English, simplified Chinese in one face).
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${need[*]}. Install them with: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

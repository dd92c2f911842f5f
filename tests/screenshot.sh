#!/usr/bin/env bash
# Opens a resim report in headless Chromium and saves a screenshot of it:
#   tests/screenshot.sh results/run-shop-001/report.html shot.png [WIDTHxHEIGHT]
# The test suite runs it when chromium is installed (.ci/run installs it
# where it can) and skips it, saying why, when it is not.
set -euo pipefail
report=${1:?usage: tests/screenshot.sh REPORT.html OUT.png [WIDTHxHEIGHT]}
out=${2:?usage: tests/screenshot.sh REPORT.html OUT.png [WIDTHxHEIGHT]}
size=${3:-1200x3000}
browser=""
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
done
if [ -z "$browser" ]; then
  echo "skipped: chromium is not installed" >&2
  exit 0
fi
abs_report=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
abs_out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# No network is needed: the report is self-contained.
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --user-data-dir="$profile" --no-first-run --disable-extensions \
  --window-size="${size/x/,}" --screenshot="$abs_out" "file://$abs_report" \
  >/dev/null 2>&1 || true
test -s "$abs_out" || { echo "chromium wrote no screenshot" >&2; exit 1; }

#!/usr/bin/env bash
# Usage: scripts/timed.sh <tier name> <command...>
# Runs one test tier, appends "<name> <seconds> <ok|FAILED>" to $TIMES (default artifacts/test-times.txt)
# and prints the table of every tier so far when a tier fails or when called as `scripts/timed.sh --report`.
set -u
TIMES="${TIMES:-artifacts/test-times.txt}"
report() {
  echo "---- test tiers (wall-clock seconds) ----"
  awk '{ printf "  %-14s %8.1f s  %s\n", $1, $2, $3; total += $2 } END { printf "  %-14s %8.1f s\n", "total", total }' "$TIMES"
}
if [ "$1" = "--reset" ]; then mkdir -p "$(dirname "$TIMES")"; : > "$TIMES"; exit 0; fi
if [ "$1" = "--report" ]; then report; exit 0; fi
name="$1"; shift
start=$(date +%s.%N)
"$@"; rc=$?
end=$(date +%s.%N)
status=ok; [ $rc -eq 0 ] || status=FAILED
mkdir -p "$(dirname "$TIMES")"
echo "$name $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') $status" >> "$TIMES"
[ $rc -eq 0 ] || report
exit $rc

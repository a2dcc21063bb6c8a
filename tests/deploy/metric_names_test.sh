#!/usr/bin/env bash
# The Grafana dashboard and the alert rules query only metrics of
# common/metrics/metric_names.h, with labels those metrics have; and the
# check itself rejects a dashboard that names an unknown metric or label.
# Usage: metric_names_test.sh REPO NODE_MODULES METRIC_NAMES_BIN
set -euo pipefail
repo="$1" node_modules="$2" names_bin="$3"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export NODE_PATH="$node_modules"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$names_bin" --format=list >"$work/metrics.txt"
check() {
  node "$here/checks/check_metric_names.js" "$work/metrics.txt" "$1" \
    "$repo/docs/OPERATING.md" "$repo/deploy/prometheus/apptrust.rules.yml"
}
check "$repo/deploy/grafana/apptrust.json"

# Negative control: the same check on a dashboard with a wrong metric and a
# wrong label must fail and name both.
if output="$(check "$here/testdata/bad-dashboard.json" 2>&1)"; then
  echo "FAIL: the check accepted testdata/bad-dashboard.json" >&2
  exit 1
fi
grep -q "'apptrust_decision_total' is not a metric" <<<"$output" || {
  echo "$output" >&2; echo "FAIL: the unknown metric was not named" >&2; exit 1; }
grep -q "has no label 'result'" <<<"$output" || {
  echo "$output" >&2; echo "FAIL: the unknown label was not named" >&2; exit 1; }
echo "negative control rejected as expected"

#!/usr/bin/env bash
# promtool: the alert rules parse and their unit tests pass.
# Usage: prometheus_rules_test.sh REPO
set -euo pipefail
repo="$1"
command -v promtool >/dev/null || {
  echo "FAIL: promtool is not installed (package prometheus, scripts/bootstrap)" >&2; exit 1; }
cd "$repo/deploy/prometheus"
promtool check rules apptrust.rules.yml
promtool test rules apptrust.rules.test.yml

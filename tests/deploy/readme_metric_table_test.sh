#!/usr/bin/env bash
# The README's metrics table is the one apptrust_metric_names prints from
# common/metrics/metric_names.h: every row, verbatim. To update it, paste the
# output of `build/common/metrics/apptrust_metric_names --format=markdown`.
# Usage: readme_metric_table_test.sh REPO METRIC_NAMES_BIN
set -euo pipefail
repo="$1" names_bin="$2"
status=0
while IFS= read -r row; do
  if ! grep -qxF -- "$row" "$repo/README.md"; then
    echo "FAIL: README.md lacks the row: $row" >&2
    status=1
  fi
done < <("$names_bin" --format=markdown)
[[ $status -eq 0 ]] && echo "README.md carries the metrics table of metric_names.h"
exit $status

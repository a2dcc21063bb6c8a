#!/usr/bin/env bash
# The schema check can fail: every object of testdata/invalid-objects.yaml
# (a misspelt field, a wrong type, a missing required field, an unknown kind,
# a misspelt ServiceMonitor field, a misspelt CloudNativePG Cluster field) must
# be reported by name.
# Usage: k8s_validator_rejects_test.sh NODE_MODULES
set -euo pipefail
node_modules="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export NODE_PATH="$node_modules"
if output="$(node "$here/checks/validate_k8s.js" "$here/testdata/invalid-objects.yaml" 2>&1)"; then
  echo "FAIL: the validator accepted invalid objects" >&2
  exit 1
fi
echo "$output"
status=0
for name in typo-in-security-context replicas-as-text container-without-name unknown-kind \
            typo-in-endpoint typo-in-cnpg-cluster; do
  grep -q "INVALID .* $name:" <<<"$output" || { echo "FAIL: $name was not rejected" >&2; status=1; }
done
grep -q "readOnlyRootFileSystem" <<<"$output" || {
  echo "FAIL: the misspelt readOnlyRootFileSystem field was not named" >&2; status=1; }
grep -q "(numbr)" <<<"$output" || {
  echo "FAIL: the misspelt Cluster field numbr was not named" >&2; status=1; }
exit $status

#!/usr/bin/env bash
# Renders every overlay under deploy/k8s/overlays with kustomize (kubectl's
# built-in) and checks the rendered objects: the Kubernetes schemas offline
# (checks/validate_k8s.js), the deployment rules (checks/check_k8s_invariants.js,
# including every container flag against the binaries' --help), and that the
# PrometheusRule equals deploy/prometheus/apptrust.rules.yml.
# Usage: k8s_overlays_test.sh REPO NODE_MODULES DECISION_BIN STORE_BIN KUBECTL
# KUBECTL is the pinned kubectl of scripts/install_kubectl (empty or
# *-NOTFOUND when CMake did not find it).
set -euo pipefail
repo="$1" node_modules="$2" decision_bin="$3" store_bin="$4" kubectl="${5:-}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ -n "$kubectl" && -x "$kubectl" ]] || {
  echo "FAIL: kubectl is not installed at the pinned path (run scripts/bootstrap," \
    "which runs scripts/install_kubectl, then reconfigure)" >&2; exit 1; }
command -v node >/dev/null || {
  echo "FAIL: node is not installed (package nodejs, scripts/bootstrap)" >&2; exit 1; }
[[ -d "$node_modules/kubernetes-models" ]] || {
  echo "FAIL: $node_modules lacks the schema models (the build runs npm ci there)" >&2; exit 1; }
export NODE_PATH="$node_modules"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$decision_bin" --help >"$work/decision-help" 2>&1 || true
"$store_bin" --help >"$work/store-help" 2>&1 || true

overlays=("$repo"/deploy/k8s/overlays/*/)
[[ ${#overlays[@]} -ge 1 && -f "${overlays[0]}/kustomization.yaml" ]] || {
  echo "FAIL: no overlays under $repo/deploy/k8s/overlays" >&2; exit 1; }
[[ -f "$repo/deploy/k8s/overlays/sqlite/kustomization.yaml" ]] || {
  echo "FAIL: the sqlite overlay is missing" >&2; exit 1; }
status=0
for overlay in "${overlays[@]}"; do
  name="$(basename "$overlay")"
  echo "== overlay $name"
  if ! "$kubectl" kustomize "$overlay" >"$work/$name.yaml" 2>"$work/$name.err"; then
    cat "$work/$name.err" >&2
    echo "FAIL: kubectl kustomize $overlay" >&2
    status=1
    continue
  fi
  node "$here/checks/validate_k8s.js" "$work/$name.yaml" || status=1
  node "$here/checks/check_k8s_invariants.js" "$work/$name.yaml" \
    "$work/decision-help" "$work/store-help" || status=1
  node "$here/checks/compare_rules.js" "$repo/deploy/prometheus/apptrust.rules.yml" \
    "$work/$name.yaml" || status=1
done
exit $status

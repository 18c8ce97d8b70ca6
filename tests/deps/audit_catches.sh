#!/usr/bin/env bash
# The dependency audit (scripts/deps-audit.sh) must catch a package that the build used and that
# scripts/install-deps.sh does not install: it audits BUILD_DIR against a copy of install-deps.sh
# with PACKAGE struck from its list, and must fail naming PACKAGE; against the real script it must
# not name it.
#   usage: audit_catches.sh BUILD_DIR PACKAGE
set -uo pipefail
build=$1 package=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

grep -qE "^[[:space:]]+([^#]* )?$package( |$)" "$here/scripts/install-deps.sh" \
  || { echo "FAIL: $package is not in install-deps.sh's list to begin with"; exit 1; }
sed -E "/^packages=\\(/,/^\\)/ s/(^|[[:space:]])$package([[:space:]]|\$)/\\1\\2/" "$here/scripts/install-deps.sh" > "$work/install-deps.sh"
cmp -s "$here/scripts/install-deps.sh" "$work/install-deps.sh" && { echo "FAIL: could not strike $package"; exit 1; }

bash "$here/scripts/deps-audit.sh" --install-deps "$work/install-deps.sh" "$build" > "$work/out" 2>&1; rc=$?
cat "$work/out"
[ "$rc" = 1 ] || { echo "FAIL: the audit exited $rc without $package in the list (expected 1)"; exit 1; }
grep -q "^deps-audit: $package is not installed by .* (the .* /.* is from it)\$" "$work/out" \
  || { echo "FAIL: the audit did not name $package with one file of it"; exit 1; }

bash "$here/scripts/deps-audit.sh" "$build" > "$work/out" 2>&1
grep -q "^deps-audit: $package " "$work/out" && { cat "$work/out"; echo "FAIL: the audit names $package against the real list"; exit 1; }
echo "ok: the audit names $package when install-deps.sh leaves it out, and not otherwise"

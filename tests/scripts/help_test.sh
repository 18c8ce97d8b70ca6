#!/usr/bin/env bash
# Every program in scripts/ answers --help (and -h) with its usage and exit 0, and does nothing
# else: no package manager is called (install-deps.sh would install), nothing is evaluated or
# trained, no folder is made. The package tools and the ganzoo binary are shims on PATH that
# record a call; a script that runs any of them under --help fails.
#   usage: tests/scripts/help_test.sh SOURCE_DIR WORK_DIR
set -uo pipefail
src=$(realpath "$1") work=$2
rm -rf "$work" && mkdir -p "$work/bin" "$work/cwd"
calls=$work/calls
for tool in apt-get apt dpkg dpkg-query npm nvidia-smi cmake make python3 debootstrap chroot; do
  printf '#!/bin/sh\necho "%s $*" >>"%s"\nexit 0\n' "$tool" "$calls" >"$work/bin/$tool"
  chmod +x "$work/bin/$tool"
done
node=$(command -v node)
failures=0 passed=0
for script in "$src"/scripts/*.sh "$src"/scripts/*.mjs; do
  name=$(basename "$script")
  [ "$name" = png.mjs ] && continue  # a module the other scripts import, not a program
  for flag in --help -h; do
    : >"$calls"
    if [[ $name == *.mjs ]]; then cmd=("$node" "$script" "$flag"); else cmd=(bash "$script" "$flag"); fi
    (cd "$work/cwd" && PATH="$work/bin:$PATH" timeout 20 "${cmd[@]}" >"$work/out" 2>"$work/err"); rc=$?
    problem=
    [ $rc = 0 ] || problem="exit $rc"
    grep -q "$name" "$work/out" || problem="${problem:+$problem, }the usage on stdout does not name $name"
    [ -s "$calls" ] && problem="${problem:+$problem, }it ran $(head -1 "$calls")"
    [ -z "$(ls -A "$work/cwd")" ] || problem="${problem:+$problem, }it made $(ls -A "$work/cwd" | head -1)"
    if [ -n "$problem" ]; then
      echo "FAIL $name $flag: $problem"; head -3 "$work/err"; failures=$((failures + 1))
      rm -rf "${work:?}/cwd" && mkdir -p "$work/cwd"
    else passed=$((passed + 1)); fi
  done
done
echo "$passed passed, $failures failed"
[ $failures -eq 0 ]

#!/usr/bin/env bash
# The dependency audit: does scripts/install-deps.sh install everything the build, the tests and
# the scripts use? A package installed here by hand makes the README's commands fail on a fresh
# Debian 12 while CI, on a machine that still has it, stays green (docs/fresh-check.md).
#
# What was used, precisely:
#   - headers: every file named in the compiler's dependency files (build/*/**/*.o.d);
#   - libraries: every library on the link lines (build/*/**/link.txt), -lNAME resolved as the
#     linker resolves it;
#   - programs: the compilers in each CMakeCache.txt, the commands CTest runs, and the programs
#     the Makefile, tests/ and scripts/ call (PROGRAMS below);
#   - npm packages: every node_modules/ folder must come from a package-lock.json that
#     install-deps.sh installs (npm ci), with nothing missing or extraneous.
# Each file is mapped to its Debian package (dpkg -S). The audit fails, naming the package and one
# file of it, unless the package is named in install-deps.sh's list, pulled in by one that is
# (apt-cache depends --recurse, hard dependencies only), or Essential or of priority required
# (on every Debian system: debootstrap installs them).
# A used file that no package owns (a hand install under /usr/local, a pyenv shim) fails too.
#
#   scripts/deps-audit.sh [--install-deps FILE] [BUILD_DIR...]   (default: every build/*/)
# Exit 0: all accounted for; 1: something is not (one line each); 2: the audit could not run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

deps_script=scripts/install-deps.sh
builds=()
while [ $# -gt 0 ]; do
  case "$1" in
    --install-deps) deps_script=${2:?--install-deps needs a file}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "deps-audit: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) builds+=("${1%/}"); shift ;;
  esac
done
if [ ${#builds[@]} -eq 0 ]; then
  for d in build/*/; do [ -f "$d/CMakeCache.txt" ] && builds+=("${d%/}"); done
fi
[ -f "$deps_script" ] || { echo "deps-audit: $deps_script not found" >&2; exit 2; }
[ ${#builds[@]} -gt 0 ] || { echo "deps-audit: no configured build under build/ (run make build first)" >&2; exit 2; }
for b in "${builds[@]}"; do
  [ -f "$b/CMakeCache.txt" ] || { echo "deps-audit: $b is not a configured build folder" >&2; exit 2; }
done
command -v dpkg-query >/dev/null && command -v apt-cache >/dev/null \
  || { echo "deps-audit: needs dpkg and apt (Debian)" >&2; exit 2; }

# Programs run by the Makefile, tests/ and scripts/ besides the compilers and CTest's commands.
PROGRAMS=(cmake ctest make git node npm em++ chromium xvfb-run Xvfb xauth /usr/bin/python3 apt-get
          dpkg-source debootstrap gzip timeout)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. What install-deps.sh installs: its packages=( ... ) list, comments stripped.
sed -n '/^packages=(/,/^)/p' "$deps_script" | sed '1d; $d; s/#.*//' | tr -s ' \t' '\n' | sed '/^$/d' \
  | sort -u > "$work/listed"
[ -s "$work/listed" ] || { echo "deps-audit: no packages=( ... ) list in $deps_script" >&2; exit 2; }

# 2. What that pulls in: the hard-dependency closure among installed packages, virtual names
#    mapped to the installed packages that provide them; plus the Essential and required ones.
dpkg-query -W -f='${Package} ${Status} ${Essential} ${Priority} ${Provides}\n' > "$work/status"
awk '$4 == "installed"' "$work/status" > "$work/installed"
awk '{ print $1 }' "$work/installed" | sort -u > "$work/installed_names"
# Essential and required packages are on every Debian system (debootstrap installs them).
awk '$5 == "yes" || $6 == "required" { print $1 }' "$work/installed" > "$work/allowed_raw"
# "P1 provides V": the virtual name V satisfies a dependency on V.
awk '{ for (i = 7; i <= NF; i++) { v = $i; gsub(/[,(].*/, "", v); if (v != "" && v !~ /^[<>=)]/ && v !~ /^[0-9]/) print v, $1 } }' \
  "$work/installed" | sort -u > "$work/provides"
comm -12 "$work/listed" "$work/installed_names" > "$work/roots"
# A listed name that is virtual here (nodesource's nodejs provides npm) counts through its provider.
join "$work/listed" "$work/provides" | awk '{ print $2 }' >> "$work/roots"
sort -u -o "$work/roots" "$work/roots"
if [ -s "$work/roots" ]; then
  xargs apt-cache depends --recurse --installed --no-recommends --no-suggests --no-conflicts \
      --no-breaks --no-replaces --no-enhances < "$work/roots" 2>/dev/null \
    | sed -E 's/^ *\|?(Pre)?Depends: *//; s/^ +//; s/[<>]//g; s/:.*//' | sort -u > "$work/closure_raw"
  cat "$work/roots" "$work/closure_raw" >> "$work/allowed_raw"
  join "$work/closure_raw" "$work/provides" | awk '{ print $2 }' >> "$work/allowed_raw"
fi
sort -u "$work/allowed_raw" > "$work/allowed"

# 3. What was used, as "KIND<TAB>PATH" (KIND: header, library, program).
used="$work/used"
: > "$used"
for b in "${builds[@]}"; do
  find "$b" -name '*.o.d' -print0 | xargs -0 -r cat | tr ' \\' '\n\n' | grep '^/' | sort -u \
    | sed 's/^/header\t/' >> "$used" || true
  cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$b/CMakeCache.txt")
  cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$b/CMakeCache.txt")
  for p in "$cxx" "$cc"; do [ -n "$p" ] && printf 'program\t%s\n' "$p" >> "$used"; done
  while IFS= read -r tok; do
    case "$tok" in
      -l*) lib=${tok#-l}
           f=$("${cxx:-c++}" -print-file-name="lib$lib.so" 2>/dev/null || true)
           case "$f" in /*) ;; *) f=$("${cxx:-c++}" -print-file-name="lib$lib.a" 2>/dev/null || true) ;; esac
           case "$f" in /*) printf 'library\t%s\n' "$f" ;; esac ;;
      /*.so|/*.so.*|/*.a) printf 'library\t%s\n' "$tok" ;;
    esac
  done < <(find "$b" -name link.txt -print0 | xargs -0 -r cat | tr ' ' '\n' | sort -u) >> "$used"
  # CTest's commands: the first word of each add_test (a program, or one of the build's own).
  find "$b" -name CTestTestfile.cmake -print0 | xargs -0 -r sed -n 's/^add_test(\[=*\[[^]]*\]=*\] "\([^"]*\)".*/\1/p' \
    | sort -u | sed 's/^/program\t/' >> "$used"
done
for p in "${PROGRAMS[@]}"; do printf 'program\t%s\n' "$p" >> "$used"; done

# Resolve: programs through PATH; everything to its real path; the project's own files dropped.
sort -u "$used" > "$work/used_sorted"
: > "$work/problems"
: > "$work/absolute"
while IFS=$'\t' read -r kind path; do
  if [ "$kind" = program ] && [[ $path != /* ]]; then
    found=$(command -v -- "$path" 2>/dev/null || true)
    if [ -z "$found" ]; then
      printf 'deps-audit: the program %s is used but not installed (add its package to %s)\n' "$path" "$deps_script" >> "$work/problems"
      continue
    fi
    path=$found
  fi
  [ -e "$path" ] && printf '%s\t%s\n' "$kind" "$path" >> "$work/absolute"
done < "$work/used_sorted"
cut -f2 "$work/absolute" | tr '\n' '\0' | xargs -0 -r readlink -m -- > "$work/real"
paste "$work/absolute" "$work/real" | awk -F'\t' -v r="$root/" -v OFS='\t' \
  'index($3, r) != 1 && index($3, "/tmp/") != 1 { print $1, $3, $2 }' > "$work/resolved"

# 4. Owners. dpkg -S knows a file by the path its package ships; with merged /usr that may be
#    /lib/... for /usr/lib/..., or the symlink's path rather than its target: try each.
cut -f2,3 "$work/resolved" | tr '\t' '\n' | sort -u > "$work/paths"
{ cat "$work/paths"; sed -n 's#^/usr/\(lib\|bin\|sbin\)/#/\1/#p' "$work/paths"; } | sort -u > "$work/candidates"
: > "$work/owners"
xargs -r dpkg-query -S < "$work/candidates" 2>/dev/null | awk -F': ' '
  { n = split($1, pkgs, ", "); for (i = 1; i <= n; i++) { sub(/:.*/, "", pkgs[i]); print $2 "\t" pkgs[i] } }' \
  > "$work/owners" || true

awk -F'\t' -v problems="$work/problems" -v script="$deps_script" '
  FILENAME == ARGV[1] { allowed[$1] = 1; next }
  FILENAME == ARGV[2] { if (!($1 in owner)) owner[$1] = $2; next }
  {
    kind = $1; real = $2; orig = $3
    alt = real; sub(/^\/usr\//, "/", alt)
    alt2 = orig; sub(/^\/usr\//, "/", alt2)
    pkg = (real in owner) ? owner[real] : (alt in owner) ? owner[alt] : (orig in owner) ? owner[orig] : (alt2 in owner) ? owner[alt2] : ""
    if (pkg == "") {
      if (!(real in unowned)) { unowned[real] = 1
        printf "deps-audit: the %s %s belongs to no Debian package (installed by hand?); make install-deps.sh install what provides it\n", kind, orig >> problems }
      next
    }
    if (!(pkg in allowed) && !(pkg in named)) { named[pkg] = 1
      printf "deps-audit: %s is not installed by %s (the %s %s is from it)\n", pkg, script, kind, orig >> problems }
  }' "$work/allowed" "$work/owners" "$work/resolved"

# 5. npm: each package-lock.json in the repository is installed by install-deps.sh (npm ci), and
#    its node_modules/ holds exactly what the lock file says.
while IFS= read -r lock; do
  dir=$(dirname "$lock")
  grep -q "$dir" "$deps_script" \
    || printf 'deps-audit: %s is not installed by %s (npm ci in %s)\n' "$lock" "$deps_script" "$dir" >> "$work/problems"
  if [ -d "$dir/node_modules" ] && ! (cd "$dir" && npm ls --all >/dev/null 2>&1); then
    printf 'deps-audit: %s/node_modules differs from its package-lock.json (npm ls --all fails there); rerun %s\n' "$dir" "$deps_script" >> "$work/problems"
  fi
done < <(git ls-files '*package-lock.json')
while IFS= read -r nm; do
  dir=$(dirname "$nm")
  [ -f "$dir/package-lock.json" ] || printf 'deps-audit: %s has no package-lock.json beside it (npm packages installed by hand)\n' "$nm" >> "$work/problems"
done < <(find . -path ./build -prune -o -path ./.deps -prune -o -name node_modules -prune -print | sed 's#^\./##' \
         | grep -v '/node_modules/.*node_modules' || true)

files=$(wc -l < "$work/resolved")
if [ -s "$work/problems" ]; then
  sort -u "$work/problems"
  echo "deps-audit: FAILED: $(sort -u "$work/problems" | wc -l) problem(s) in $files files used by ${builds[*]}, the tests and the scripts" >&2
  exit 1
fi
echo "deps-audit: $files files used by ${builds[*]}, the tests and the scripts all come from packages that $deps_script installs"

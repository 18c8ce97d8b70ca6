#!/usr/bin/env bash
# The fresh-machine rehearsal: the README's two commands on a newly installed Debian 12.
#
# Builds a bookworm system with debootstrap in a folder (nothing of this machine's installed
# packages in it), bind-mounts /proc, /sys and /dev, copies /etc/resolv.conf and the apt sources,
# makes a clean `git clone` of HEAD inside it, and runs there, as root, the README's quick start:
# `apt-get install make` (a fresh Debian has no make), then `make test` and `make demo`. `make demo` passes once its page answers on its port and the two PNGs exist;
# then its server is stopped. Each phase's minutes are printed and the whole log goes to
# fresh-check.log. Whatever happens, the mounts are undone and the folder removed (--keep keeps
# it, unmounted). docs/fresh-check.md records the runs.
#
#   scripts/fresh-check.sh [--dir DIR] [--keep] [--demo-timeout S] [--port P] [--log FILE]
#                          [--skip-test] [--mirror URL]
# Exit 0: both commands passed; 1: one failed (fresh-check.log says where); 2: bad usage.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

dir=/var/tmp/ganzoo-fresh
keep=0
demo_timeout=1800
port=8000
log=$PWD/fresh-check.log
skip_test=0
mirror=http://deb.debian.org/debian
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=${2:?--dir needs a folder}; shift 2 ;;
    --keep) keep=1; shift ;;
    --demo-timeout) demo_timeout=${2:?--demo-timeout needs seconds}; shift 2 ;;
    --port) port=${2:?--port needs a number}; shift 2 ;;
    --log) log=${2:?--log needs a file}; shift 2 ;;
    --skip-test) skip_test=1; shift ;;
    --mirror) mirror=${2:?--mirror needs a URL}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "fresh-check: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ $demo_timeout =~ ^[0-9]+$ ]] || { echo "fresh-check: --demo-timeout must be a number of seconds" >&2; exit 2; }
[[ $port =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] \
  || { echo "fresh-check: --port must be a number between 1 and 65535" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "fresh-check: run as root (debootstrap, mount and chroot need it)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "fresh-check: debootstrap not found (apt-get install debootstrap)" >&2; exit 2; }
dir=$(realpath -m -- "$dir")
case "$dir" in /|/bin|/boot|/dev|/etc|/home|/lib|/proc|/root|/sys|/tmp|/usr|/var|"$root"|"$root"/*)
  echo "fresh-check: refusing --dir $dir (give an empty folder of its own, outside the repository)" >&2; exit 2 ;;
esac
if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
  echo "fresh-check: $dir exists and is not empty; remove it or give another --dir" >&2; exit 2
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "fresh-check: port $port is taken here; the demo serves on it (free it or give --port)" >&2; exit 2
fi
head=$(git -C "$root" rev-parse HEAD)
[ -z "$(git -C "$root" status --porcelain --untracked-files=no)" ] \
  || echo "fresh-check: note: uncommitted changes are not checked; the clone is of HEAD $head"

: > "$log"
say() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$log"; }
minutes() { awk -v s="$1" 'BEGIN { printf "%.1f", s / 60 }'; }

# Everything mounted under $dir, deepest first.
mounts_under() { awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r; }
cleanup() {
  local rc=$?
  set +e
  [ -n "${demo_pid:-}" ] && kill -TERM -- "-$demo_pid" 2>/dev/null
  # Every process still running inside the chroot (a server, Xvfb, a browser).
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$dir" ] && kill -KILL "${p#/proc/}" 2>/dev/null
  done
  sleep 1
  for m in $(mounts_under); do umount "$m" 2>/dev/null || umount -l "$m"; done
  if [ -n "$(mounts_under)" ]; then
    say "fresh-check: still mounted under $dir, not removing it: $(mounts_under | tr '\n' ' ')"
  elif [ "$keep" = 1 ]; then
    say "fresh-check: kept $dir (unmounted)"
  elif [ -d "$dir" ]; then
    rm -rf --one-file-system "$dir"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A command in the clone, as a root login with a clean environment would run it (SERVE_PORT only
# when --port moves the demo's server off the Makefile's default).
chroot_env=(HOME=/root LANG=C.UTF-8 TERM=dumb PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
[ "$port" = 8000 ] || chroot_env+=("SERVE_PORT=$port")
[ -n "${NODE_EXTRA_CA_CERTS:-}" ] && chroot_env+=("NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS")
in_chroot() { chroot "$dir" /usr/bin/env -i "${chroot_env[@]}" bash -c "cd /root/ganzoo && $1"; }
# phase NAME COMMAND...: runs it, timestamping its output into the log; prints its minutes.
phase() {
  local name=$1 start end status
  shift
  say "== $name: $*"
  start=$(date +%s)
  set +e
  "$@" 2>&1 | while IFS= read -r line; do printf '%s %s\n' "$(date -u +%H:%M:%S)" "$line"; done >> "$log"
  status=${PIPESTATUS[0]}
  set -e
  end=$(date +%s)
  say "== $name: $(minutes $((end - start))) min, exit $status"
  return "$status"
}

total_start=$(date +%s)
say "fresh-check: Debian bookworm in $dir, clone of $head; log $log"

mkdir -p "$dir"
phase debootstrap debootstrap bookworm "$dir" "$mirror" || { say "fresh-check: FAILED in debootstrap"; exit 1; }

mount -t proc proc "$dir/proc"
mount --bind /sys "$dir/sys"
mount --rbind /dev "$dir/dev"
mount --make-rslave "$dir/dev"
# This machine's network settings, which are not the project's: name resolution, the apt
# sources (in place of debootstrap's one-line list) and apt's proxy and validity settings, and
# the certificate authorities a TLS-inspecting network adds (local CAs, which the chroot's
# ca-certificates picks up when install-deps.sh installs it; npm's cafile; NODE_EXTRA_CA_CERTS).
# Not the project's own deb-src entry: install-deps.sh must add it itself.
cp /etc/resolv.conf "$dir/etc/resolv.conf"
rm -f "$dir/etc/apt/sources.list"
for f in /usr/local/share/ca-certificates/* /etc/npmrc; do
  [ -f "$f" ] && mkdir -p "$dir$(dirname "$f")" && cp "$f" "$dir$f"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  case "$f" in */ganzoo-*) continue ;; esac
  mkdir -p "$dir$(dirname "$f")"
  cp "$f" "$dir$f"
done
grep -ls 'Acquire::' /etc/apt/apt.conf.d/* | while read -r f; do cp "$f" "$dir$f"; done
git clone -q --no-local "$root" "$dir/root/ganzoo"
git -C "$dir/root/ganzoo" checkout -q "$head"

# The README's prerequisite line: a fresh Debian 12 has no make (git cloned this from outside).
phase prerequisites in_chroot "apt-get update -qq && apt-get install -y -qq make" \
  || { say "fresh-check: FAILED installing make"; exit 1; }

# `make test` from nothing: install, build, every test. Phases read off its timestamped output.
test_status=0
if [ "$skip_test" = 0 ]; then
  test_start=$(date +%s)
  mark=$(wc -l < "$log")
  phase "make test" in_chroot "make test" || test_status=$?
  # install: until install-deps.sh's last line; build: until CTest starts.
  tail -n +"$mark" "$log" | awk -v t0="$test_start" '
    function secs(s,  a) { split(s, a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
    NR == 1 { first = secs($1) }
    / install-deps: / { install_end = secs($1) }
    / Test project / && !build_end { build_end = secs($1) }
    { last = secs($1) }
    END {
      if (install_end && build_end)
        printf "== make test phases: install %.1f min, build %.1f min, tests %.1f min\n",
               (install_end - first) / 60, (build_end - install_end) / 60, (last - build_end) / 60
    }' | tee -a "$log"
  [ "$test_status" = 0 ] || { say "fresh-check: FAILED: make test exited $test_status"; exit 1; }
fi

# `make demo`: passes once the page answers on $port and the two PNGs exist; then it is stopped.
say "== make demo (up to $demo_timeout s)"
demo_start=$(date +%s)
setsid chroot "$dir" /usr/bin/env -i "${chroot_env[@]}" bash -c "cd /root/ganzoo && make demo" >> "$log" 2>&1 < /dev/null &
demo_pid=$!
demo_ok=0
while kill -0 "$demo_pid" 2>/dev/null && [ $(( $(date +%s) - demo_start )) -lt "$demo_timeout" ]; do
  if [ -s "$dir/root/ganzoo/demo/dcgan-grid.png" ] && [ -s "$dir/root/ganzoo/demo/dcgan-interpolation.png" ] \
     && (exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'GET / HTTP/1.0\r\n\r\n' >&3 && head -c 12 <&3 | grep -q 'HTTP/1.[01] 200') 2>/dev/null; then
    demo_ok=1
    break
  fi
  sleep 2
done
demo_end=$(date +%s)
kill -TERM -- "-$demo_pid" 2>/dev/null || true
wait "$demo_pid" 2>/dev/null || true
demo_pid=
if [ "$demo_ok" = 1 ]; then
  say "== make demo: page answered on 127.0.0.1:$port with both PNGs after $(minutes $((demo_end - demo_start))) min; server stopped"
else
  say "fresh-check: FAILED: make demo did not serve the page with both PNGs within $demo_timeout s"
  exit 1
fi
say "fresh-check: PASSED on $head in $(minutes $(( $(date +%s) - total_start ))) min"

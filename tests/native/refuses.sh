# refuses NAME RC EXPECTED_TEXT COMMAND...: the command must exit RC within 60 s with exactly one
# stderr line, "ganzoo: error: ..." containing EXPECTED_TEXT. Sourced by cli.sh and hostile.sh,
# which define $work, $passed and $failures.
refuses() {  # refuses NAME RC EXPECTED_TEXT COMMAND... : must exit RC, in time, with one line naming the problem
  local name=$1 want_rc=$2 expected=$3; shift 3
  timeout 60 "$@" >"$work/out" 2>"$work/err" </dev/null; local rc=$?
  local lines; lines=$(wc -l <"$work/err")
  if [ $rc -eq "$want_rc" ] && [ "$lines" -eq 1 ] && grep -qF -- "$expected" "$work/err" \
     && grep -q '^ganzoo: error: ' "$work/err"; then
    passed=$((passed + 1))
  else
    [ $rc -eq 124 ] && echo "FAIL $name: hung (killed after 60 s)"
    echo "FAIL $name: exit $rc (expected $want_rc), $lines stderr lines, expected 'ganzoo: error: ...$expected':"
    cat "$work/err"
    failures=$((failures + 1))
  fi
}

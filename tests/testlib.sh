# Shared by the CLI test scripts: a scratch folder $work (removed at exit), a failure count
# $fails, and checks that print "ok   NAME" or "FAIL NAME ...". Source it, then run checks.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
expect_ok() { local n=$1; shift; if "$@" >"$work/out" 2>"$work/err"; then pass "$n"; else fail "$n (exit $?): $(tail -2 "$work/err")"; fi; }
expect_err() {
  local n=$1 pat=$2; shift 2
  if "$@" >"$work/out" 2>"$work/err"; then fail "$n: succeeded but should fail"; return; fi
  if grep -q -- "$pat" "$work/err"; then pass "$n"; else fail "$n: stderr lacks '$pat': $(tail -2 "$work/err")"; fi
}
same() { cmp -s "$2" "$3" && pass "$1" || fail "$1: $2 and $3 differ"; }

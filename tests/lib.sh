# shellcheck shell=bash
# Results of the fork's shell tests: one line per check ('ok: ...',
# 'FAIL: ...', 'SKIP: ...'), then 'WHAT: N passed, N failed, N skipped'.
passed=0 failed=0 skipped=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
skip() { echo "SKIP: $*"; skipped=$((skipped + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
# summary WHAT: the last line, and the exit status
summary() { echo "$1: $passed passed, $failed failed, $skipped skipped"; [ "$failed" -eq 0 ]; exit; }

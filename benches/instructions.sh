#!/usr/bin/env bash
# Instructions executed by `fastapi-codemod diff` (default selection) and by
# the bare parse of benches/parse_baseline.rs on the same projects, counted
# by valgrind's callgrind: unlike wall time on a shared machine, the ratio
# is the same from run to run. Slow (about fifty times the run itself).
#
#   benches/instructions.sh DIR...
#
# With CALLGRIND_KEEP=DIR the two profiles are kept there for
# callgrind_annotate; DIFF_ARGS adds options to the diff run
# (DIFF_ARGS="--select domain-layout" measures an opt-in transform).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: benches/instructions.sh DIR..." >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind is needed: apt-get install valgrind" >&2; exit 2; }
dirs=()
for dir in "$@"; do dirs+=("$(realpath "$dir")"); done

cargo build --release --quiet
tool=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release/fastapi-codemod
baseline=$(realpath "$(cargo bench --no-run --bench parse_baseline 2>&1 | sed -n 's/.*Executable.*(\(.*\))/\1/p' | tail -1)")

keep=${CALLGRIND_KEEP:-$(mktemp -d)}
[ -n "${CALLGRIND_KEEP:-}" ] || trap 'rm -rf "$keep"' EXIT
mkdir -p "$keep"
count() {
  local name=$1; shift
  valgrind --tool=callgrind --callgrind-out-file="$keep/$name.out" "$@" >/dev/null 2>"$keep/$name.log" || true
  sed -n 's/.*I *refs: *\([0-9,]*\).*/\1/p' "$keep/$name.log" | tr -d ,
}
parse=$(count parse "$baseline" "${dirs[@]}")
# shellcheck disable=SC2086
diff=$(count diff "$tool" diff --jobs 2 ${DIFF_ARGS:-} "${dirs[@]}")
echo "parse: $parse instructions"
echo "diff:  $diff instructions"
awk -v d="$diff" -v p="$parse" 'BEGIN { printf "diff / parse: %.2f\n", d / p }'

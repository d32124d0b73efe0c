#!/usr/bin/env bash
# The engine's cost targets, measured in one run on the projects given:
#
#   1. `fastapi-codemod diff` (default selection) against a bare walk, read
#      and parse of the same files (benches/parse_baseline.rs), both on two
#      threads, in one hyperfine run;
#   2. ten copies of those projects against one copy;
#   3. the peak memory (maximum resident set) of both.
#
#   benches/scale.sh DIR... [-- hyperfine options]
#
# Only the Python files and what decides how they are read (project
# markers, configuration, .gitignore) are copied, into a temporary
# directory that is removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
dirs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do dirs+=("$(realpath "$1")"); shift; done
[ "${1:-}" = "--" ] && shift
[ ${#dirs[@]} -gt 0 ] || { echo "usage: benches/scale.sh DIR... [-- hyperfine options]" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install hyperfine" >&2; exit 2; }

cargo build --release --quiet
tool=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release/fastapi-codemod
baseline=$(cargo bench --no-run --bench parse_baseline 2>&1 | sed -n 's/.*Executable.*(\(.*\))/\1/p' | tail -1)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
copy_into() {
  local destination=$1
  for dir in "${dirs[@]}"; do
    mkdir -p "$destination/$(basename "$dir")"
    (cd "$dir" && find . -type f \( -name '*.py' -o -name pyproject.toml -o -name setup.py \
        -o -name setup.cfg -o -name .gitignore \) -print0 \
      | tar --null -T - -cf - | tar -xf - -C "$destination/$(basename "$dir")")
  done
}
copy_into "$work/one"
for copy in $(seq 1 10); do copy_into "$work/ten/$copy"; done
lines=$(find "$work/one" -name '*.py' -print0 | xargs -0 cat | wc -l)
bytes=$(find "$work/one" -name '*.py' -print0 | xargs -0 cat | wc -c)
files=$(find "$work/one" -name '*.py' | wc -l)
echo "one copy: $files Python files, $lines lines, $bytes bytes"

echo
echo "== diff against a bare parse (2 threads)"
hyperfine --warmup 2 --min-runs 10 -N -i "$@" \
  -n parse "$baseline $work/one" \
  -n diff "$tool diff --jobs 2 $work/one"

echo
echo "== ten copies against one"
hyperfine --warmup 1 --min-runs 5 -N -i "$@" \
  -n "diff, one copy" "$tool diff --jobs 2 $work/one" \
  -n "diff, ten copies" "$tool diff --jobs 2 $work/ten"

echo
echo "== peak memory (maximum resident set)"
for target in one ten; do
  /usr/bin/time -f "$target: %M KiB" "$tool" diff --jobs 2 "$work/$target" >/dev/null 2>"$work/time.txt" || true
  tail -1 "$work/time.txt"
done

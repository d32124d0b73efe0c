#!/usr/bin/env bash
# Times `fastapi-codemod diff DIR` against a bare walk-read-parse of the same
# files, in one hyperfine run, and prints the ratio.
#   benches/compare.sh DIR [hyperfine options]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: benches/compare.sh DIR}
shift
command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install hyperfine" >&2; exit 2; }
cargo build --release --quiet
baseline=$(cargo bench --no-run --bench parse_baseline 2>&1 | sed -n 's/.*Executable.*(\(.*\))/\1/p' | tail -1)
hyperfine --warmup 2 --min-runs 10 -N -i "$@" \
  -n parse-only "$baseline $dir" \
  -n "index pass" "$baseline $dir --index" \
  -n "fastapi-codemod diff" "target/release/fastapi-codemod diff $dir"

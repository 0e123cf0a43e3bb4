#!/usr/bin/env bash
# Fuzz the YAML edit engine for a bounded time:   fuzz/run.sh [SECONDS] [JOBS]
#
# cargo-fuzz (libFuzzer) on the stable toolchain: RUSTC_BOOTSTRAP=1 lets
# stable rustc take the sanitizer flags cargo-fuzz passes. Installs
# cargo-fuzz when missing. Seeds: the fixtures and, when present beside the
# repository, shared/yaml-test-suite. A failing input lands in
# fuzz/artifacts/edit/; copy it to fuzz/regressions/ (any name) and
# tests/fuzz_regressions.rs checks it on every `cargo test` from then on.
# Not part of CI: run it on demand.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
jobs=${2:-1}
export PATH="$HOME/.cargo/bin:$PATH" RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz

corpus=corpus/edit
mkdir -p "$corpus" artifacts/edit
seed() { # seed NAME FILE: two inputs per file, one per value
    printf '\001' | cat - "$2" >"$corpus/seed-on-$1"
    printf '\000' | cat - "$2" >"$corpus/seed-off-$1"
}
for f in ../fixtures/configs/*.yaml; do seed "$(basename "$f")" "$f"; done
i=0
while IFS= read -r f; do seed "repo-$((i++))" "$f"; done < <(find ../fixtures/mlops-gitops -name '*.yaml')
suite=../../shared/yaml-test-suite
[ -d "$suite" ] || suite=/work/shared/yaml-test-suite
if [ -d "$suite" ]; then
    for d in "$suite"/*/; do seed "suite-$(basename "$d")" "$d/in.yaml"; done
fi
for f in regressions/*; do [ -f "$f" ] && cp "$f" "$corpus/"; done

parallel=()
[ "$jobs" -gt 1 ] && parallel=(-jobs="$jobs" -workers="$jobs")
cargo fuzz run edit "$corpus" -- \
    -max_total_time="$seconds" "${parallel[@]}" \
    -max_len=4096 -timeout=10 -print_final_stats=1 \
    -dict=edit.dict

#!/usr/bin/env bash
# Fuzz the wire parsers for a bounded time:   fuzz/run-wire.sh [SECONDS] [TARGET...]
#
# Each target (fuzz/fuzz_targets/wire_*.rs: pkt-lines, the ref
# advertisement, report-status, the side band, the upload-pack answer,
# the index reader, the URL parser, the masking of remote text) runs for
# SECONDS (default 30) on its corpus, fuzz/wire/<target>/ (real answers of
# git's services). cargo-fuzz (libFuzzer) on the stable toolchain:
# RUSTC_BOOTSTRAP=1 lets stable rustc take the sanitizer flags cargo-fuzz
# passes. A failing input lands in fuzz/artifacts/wire_<target>/ and makes
# the script fail. One allocation over 64 MiB is a failure (-malloc_limit_mb:
# every read is bounded well below it); the process as a whole may grow
# to 2 GiB, as AddressSanitizer holds freed memory in quarantine and a
# 256 MiB limit was met by that alone after ~100,000 runs; copy it into fuzz/wire/<target>/ (any name) and
# tests/fuzz_regressions.rs checks it on every `cargo test` from then on,
# on stable, with 10,000 more inputs made from the corpus.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(pkt_lines advertisement report sideband upload_response index url mask)
export PATH="$HOME/.cargo/bin:$PATH" RUSTC_BOOTSTRAP=1
# The sanitized build is kept outside the checkout (CI clones afresh each
# run): a second run on the same machine builds only what changed.
export CARGO_TARGET_DIR=${MLOPS_FUZZ_TARGET:-$HOME/.cache/mlops-fuzz-target}
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz

for t in "${targets[@]}"; do
    corpus=corpus/wire_$t
    mkdir -p "$corpus" "artifacts/wire_$t"
    cp wire/"$t"/* "$corpus"/
    cargo fuzz run "wire_$t" "$corpus" -- \
        -max_total_time="$seconds" -max_len=70000 -rss_limit_mb=2048 -malloc_limit_mb=64 \
        -timeout=10 -print_final_stats=1
done

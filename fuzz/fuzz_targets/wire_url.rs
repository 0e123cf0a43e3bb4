//! `mlops::fuzz::url` on arbitrary bytes: no panic, no
//! unbounded growth (the checks live there, shared with
//! tests/fuzz_regressions.rs, which runs them on stable).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    mlops::fuzz::url(data);
});

//! The YAML edit engine on arbitrary bytes: the first byte picks the value
//! (odd: `true`, even: `false`), the rest is the file. The checks live in
//! `mlops::edit::oracle`-style code below, shared with the regression test
//! (tests/fuzz_regressions.rs includes `fuzz/check.rs`).

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../check.rs"]
mod check;

fuzz_target!(|data: &[u8]| {
    check::check(data);
});

//! The YAML edit engine on arbitrary bytes: a first byte below 0x80 picks
//! an autoscaling value (odd: `true`, even: `false`) and the rest is the
//! file; from 0x80 up, the rest is a `KEY=STRING` / `KEY:=SCALAR` line for
//! `set`, then the file. The checks live in `fuzz/check.rs`, shared with
//! the regression test (tests/fuzz_regressions.rs includes it).

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../check.rs"]
mod check;

fuzz_target!(|data: &[u8]| {
    check::check(data);
});

//! Inputs the fuzzer (fuzz/run.sh) found, checked on every `cargo test`
//! with the very checks the fuzz target makes (fuzz/check.rs): each file in
//! fuzz/regressions/ is one input: a first byte below 0x80 switches
//! autoscaling (odd = enable, even = disable), from 0x80 up the first line
//! is a `set` argument (see fuzz/check.rs).

#[path = "../fuzz/check.rs"]
mod check;

#[test]
fn every_saved_fuzz_input_passes_the_fuzz_checks() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no inputs in {}", dir.display());
    let mut failed = Vec::new();
    for path in &names {
        let data = std::fs::read(path).unwrap();
        if let Err(panic) = std::panic::catch_unwind(|| check::check(&data)) {
            let why = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failed.push(format!("{}: {why}", path.display()));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

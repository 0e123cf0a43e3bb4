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

/// The wire parsers' fuzz targets (fuzz/fuzz_targets/wire_*.rs), run on
/// the stable toolchain: each on its corpus (fuzz/wire/<target>/: real
/// answers of git's services, the inputs a fuzz run found) and on a
/// bounded number of inputs made from it: random mutations (flips,
/// cuts, insertions, splices) and random pkt-line streams from the
/// protocol's own words. Deterministic (a fixed seed), so a failure is
/// repeatable; the failing input is printed, to be saved in the corpus.
#[test]
fn every_wire_parser_survives_its_corpus_and_random_inputs() {
    use mlops::fuzz;
    let targets: [(&str, Target); 8] = [
        ("pkt_lines", fuzz::pkt_lines),
        ("advertisement", fuzz::advertisement),
        ("report", fuzz::report),
        ("sideband", fuzz::sideband),
        ("upload_response", fuzz::upload_response),
        ("index", fuzz::index),
        ("url", fuzz::url),
        ("mask", fuzz::mask),
    ];
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/wire");
    let mut failed = Vec::new();
    for (name, target) in targets {
        let mut corpus: Vec<Vec<u8>> = std::fs::read_dir(root.join(name))
            .unwrap()
            .map(|e| std::fs::read(e.unwrap().path()).unwrap())
            .collect();
        corpus.sort();
        assert!(!corpus.is_empty(), "no corpus for {name}");
        let mut rng = fastrand::Rng::with_seed(0x6d6c6f7073);
        let mut inputs = corpus.clone();
        for _ in 0..10_000 {
            inputs.push(match rng.u8(0..4) {
                0 => stream(&mut rng),
                _ => mutate(&mut rng, &corpus),
            });
        }
        for input in inputs {
            if let Err(panic) = std::panic::catch_unwind(|| target(&input)) {
                let why = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failed.push(format!("{name}: {why}\n  input: {:?}", escape(&input)));
                break;
            }
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

/// A fuzz target: bytes in, a panic when a check fails.
type Target = fn(&[u8]);

/// The words a server says, to build streams from.
const WORDS: [&[u8]; 16] = [
    b"ERR ",
    b"ok refs/heads/main",
    b"ng refs/heads/main ",
    b"unpack ok",
    b"unpack ",
    b"NAK",
    b"ACK 1111111111111111111111111111111111111111",
    b"shallow ",
    b"1111111111111111111111111111111111111111 refs/heads/main",
    b"\0report-status side-band-64k no-thin",
    b" capabilities^{}",
    b"\n",
    b"\x1b[31m",
    b"\x1b]0;",
    b"PACK",
    b"\r",
];

/// A random pkt-line stream: lines of random words behind a band byte or
/// not, sometimes a special or broken length, ending in a flush or not.
fn stream(rng: &mut fastrand::Rng) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..rng.usize(0..12) {
        match rng.u8(0..10) {
            0 => out.extend_from_slice(
                [
                    &b"0000"[..],
                    b"0001",
                    b"0002",
                    b"0003",
                    b"0004",
                    b"+fff",
                    b"fff1",
                ][rng.usize(0..7)],
            ),
            _ => {
                let mut line = Vec::new();
                if rng.bool() {
                    line.push(rng.u8(0..5));
                }
                for _ in 0..rng.usize(1..5) {
                    line.extend_from_slice(WORDS[rng.usize(0..WORDS.len())]);
                }
                out.extend_from_slice(format!("{:04x}", line.len() + 4).as_bytes());
                out.extend_from_slice(&line);
            }
        }
    }
    if rng.bool() {
        out.extend_from_slice(b"0000");
    }
    out
}

/// One corpus input, changed a few times at random.
fn mutate(rng: &mut fastrand::Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut data = corpus[rng.usize(0..corpus.len())].clone();
    for _ in 0..rng.usize(1..6) {
        let at = rng.usize(0..=data.len());
        match rng.u8(0..5) {
            0 if at < data.len() => data[at] ^= 1 << rng.u8(0..8),
            1 => data.truncate(at),
            2 => data.insert(at, rng.u8(..)),
            3 => {
                let other = &corpus[rng.usize(0..corpus.len())];
                let from = rng.usize(0..=other.len());
                data.splice(at..at, other[from..].iter().copied());
            }
            _ if at < data.len() => data[at] = b"0123456789abcdef+ \n\0"[rng.usize(0..20)],
            _ => {}
        }
    }
    data
}

fn escape(data: &[u8]) -> String {
    data.iter()
        .flat_map(|b| std::ascii::escape_default(*b))
        .map(char::from)
        .collect()
}

//! Helm's own values reader (main.go beside this file: sigs.k8s.io/yaml
//! over go-yaml v2, what `helm` uses), built once per test binary with Go
//! from the module cache; shared by the tests that use it as the referee
//! for what the chart reads (`#[path]`-included).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// The built reader; `None`, saying why once, where Go or its modules are
/// not available.
pub fn reader() -> Option<&'static Path> {
    static BUILT: OnceLock<Option<PathBuf>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
            let out = dir.join(format!("helm-values-{}", env!("CARGO_CRATE_NAME")));
            let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/helm-values");
            let built = Command::new("nice")
                .args(["-n", "19", "go", "build", "-o"])
                .arg(&out)
                .arg(".")
                .current_dir(&src)
                .env("GOFLAGS", "-mod=readonly -buildvcs=false")
                .env("GOTOOLCHAIN", "local")
                .output();
            match built {
                Ok(o) if o.status.success() => Some(out),
                Ok(o) => {
                    let why = String::from_utf8_lossy(&o.stderr);
                    eprintln!("skipped Helm's reader: go build failed: {why}");
                    None
                }
                Err(e) => {
                    eprintln!("skipped Helm's reader: cannot run go: {e}");
                    None
                }
            }
        })
        .as_deref()
}

/// What Helm reads from `text`, as JSON (`Err`: Helm refuses the file);
/// `None` without the reader.
pub fn read(text: &[u8]) -> Option<Result<serde_json::Value, String>> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let reader = reader()?;
    let n = N.fetch_add(1, Ordering::Relaxed);
    let file = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("helm-input-{}-{n}.yaml", std::process::id()));
    std::fs::write(&file, text).unwrap();
    let out = Command::new(reader).arg(&file).output().unwrap();
    let _ = std::fs::remove_file(&file);
    Some(if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    })
}

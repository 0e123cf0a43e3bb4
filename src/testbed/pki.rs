//! A throwaway certificate authority made with the `openssl` CLI: a CA
//! (self-signed, P-256, one day), a server certificate for 127.0.0.1 and
//! a client certificate (`CN=bot`), as `ca.pem`, `server.pem`/`.key`,
//! `client.pem`/`.key` in one folder.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::Result;

/// The files servers need.
pub struct Pki {
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
}

/// Runs `openssl` with `args` in `dir`.
pub(super) fn openssl(dir: &Path, args: &[&str]) -> Result<()> {
    super::run(Command::new("openssl").args(args).current_dir(dir))
}

const EC: [&str; 4] = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];

/// A key and a certificate `name` signed by the CA in `dir`, with the
/// X.509 extensions `ext` and the subject `subject`.
pub(super) fn signed(dir: &Path, name: &str, subject: &str, ext: &str) -> Result<()> {
    let (key, csr, extfile, pem) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.ext"),
        format!("{name}.pem"),
    );
    let req = ["req", "-nodes"];
    let out = ["-keyout", &key, "-out", &csr, "-subj", subject];
    openssl(dir, &[&req[..], &EC, &out].concat())?;
    fs::write(dir.join(&extfile), ext).map_err(|e| e.to_string())?;
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            &extfile,
            "-out",
            &pem,
        ],
    )
}

/// Makes the CA and the certificates under `dir`.
pub fn pki(dir: &Path) -> Result<Pki> {
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let ca = [
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-subj",
        "/CN=mlops test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ];
    openssl(
        dir,
        &[&["req", "-x509", "-nodes", "-days", "1"][..], &EC, &ca].concat(),
    )?;
    signed(
        dir,
        "server",
        "/CN=127.0.0.1",
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n",
    )?;
    signed(
        dir,
        "client",
        "/CN=bot",
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
    )?;
    Ok(Pki {
        ca: dir.join("ca.pem"),
        server_cert: dir.join("server.pem"),
        server_key: dir.join("server.key"),
    })
}

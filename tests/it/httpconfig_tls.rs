//! The rest of git's TLS and name settings, each beside git on a real
//! server (lighttpd over HTTPS with the test CA, or plain HTTP):
//! `http.pinnedPubkey` (hashes and a key file), `http.sslCipherList` /
//! `GIT_SSL_CIPHER_LIST`, `http.sslVersion` / `GIT_SSL_VERSION`, and
//! `http.curloptResolve` (a name only the setting knows).

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::clone::make_executable;
use crate::common::Env;
use crate::httpconfig::{both, git_probe, store_credentials, TOKEN};
use crate::servers::{served_gitops, Http};

/// `openssl` in `dir` with `args`, through `sh` (pipes): its stdout.
pub fn openssl(dir: &Path, script: &str) -> String {
    let out = Command::new("sh")
        .args(["-c", script])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn pinned_keys_ciphers_and_tls_versions_as_git_reads_them() {
    let env = Env::new();
    let Some((_remote, work, https)) = served_gitops(&env, true, TOKEN) else {
        return;
    };
    store_credentials(&env, &https.url("remote.git"));
    let ca = https.ca.clone().unwrap();
    let pki = ca.parent().unwrap();
    env.git(&work, &["config", "http.sslCAInfo", ca.to_str().unwrap()]);
    both(&env, &work, &[], true, "the test CA");

    // The server's public key: its SHA-256 as curl pins it, and the key
    // itself in a file (DER).
    let pin = openssl(
        pki,
        "openssl x509 -in server.pem -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64",
    );
    openssl(
        pki,
        "openssl x509 -in server.pem -pubkey -noout | openssl pkey -pubin -outform der -out server-pub.der",
    );
    let key_file = pki.join("server-pub.der");
    let right = format!("sha256//{pin}");
    let wrong = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    for (value, ok) in [
        (right.as_str(), true),
        (wrong, false),
        (key_file.to_str().unwrap(), true),
        (&format!("{wrong};{right}"), true),
    ] {
        env.git(&work, &["config", "http.pinnedPubkey", value]);
        let stderr = both(&env, &work, &[], ok, &format!("http.pinnedPubkey={value}"));
        if !ok {
            assert!(!stderr.contains(TOKEN), "{stderr}");
        }
    }
    env.git(&work, &["config", "--unset", "http.pinnedPubkey"]);

    // The cipher list is the TLS library's own syntax (git's
    // documentation says so): Debian's git uses libcurl on GnuTLS, mlops
    // libcurl on OpenSSL, as git built with OpenSSL does. A name OpenSSL
    // does not know is refused, exit 4, naming it; the variable wins
    // over the setting, as in git.
    env.git(&work, &["config", "http.sslCipherList", "NO-SUCH-CIPHER"]);
    let git_ok = git_probe(&env, &work, &[]).status.success();
    eprintln!("git (its own TLS library) with NO-SUCH-CIPHER: ok={git_ok}");
    let out = crate::httpconfig::mlops_run(&env, &work, "enable", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("cipher list: NO-SUCH-CIPHER"), "{stderr}");
    let vars = [(
        "GIT_SSL_CIPHER_LIST",
        "ECDHE-ECDSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256",
    )];
    let out = crate::httpconfig::mlops_run(&env, &work, "enable", &vars);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "GIT_SSL_CIPHER_LIST: {stderr}");
    env.git(&work, &["config", "--unset", "http.sslCipherList"]);

    // At least TLS 1.2, 1.3: the server speaks both.
    for version in ["tlsv1.2", "tlsv1.3"] {
        env.git(&work, &["config", "http.sslVersion", version]);
        both(
            &env,
            &work,
            &[],
            true,
            &format!("http.sslVersion={version}"),
        );
    }
    let vars = [("GIT_SSL_VERSION", "tlsv1.2")];
    both(&env, &work, &vars, true, "GIT_SSL_VERSION");
}

#[test]
fn a_name_only_curlopt_resolve_knows_is_reached_as_by_git() {
    let env = Env::new();
    let Some((_remote, work, http)) = served_gitops(&env, false, TOKEN) else {
        return;
    };
    // No resolver knows this name: only the setting does (nothing is
    // looked up beyond it, so nothing leaves 127.0.0.1).
    let url = format!("http://gitops.test:{}/git/remote.git", http.port);
    env.git(&work, &["remote", "set-url", "origin", &url]);
    store_credentials(&env, &url);
    // An entry for another name, cleared by an empty value, then ours.
    let config = work.join(".git/config");
    let mut text = fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "[http]\n\tcurloptResolve = other.test:1:127.0.0.1\n\tcurloptResolve =\n\tcurloptResolve = gitops.test:{}:127.0.0.1\n",
        http.port
    ));
    fs::write(&config, text).unwrap();
    let stderr = both(&env, &work, &[], true, "http.curloptResolve");
    assert!(stderr.contains("gitops.test"), "{stderr}");
    let requests = http.requests();
    assert!(!requests.is_empty(), "nothing reached the server");
}

#[test]
fn a_passphrase_protected_client_key_is_unlocked_as_git_unlocks_it() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    env.git(&remote, &["config", "http.receivepack", "true"]);
    let Some(https) = Http::start_tls_client_cert(env.path(), env.path(), "bot", TOKEN) else {
        return;
    };
    let url = https.url("remote.git");
    env.git(&work, &["remote", "set-url", "origin", &url]);
    store_credentials(&env, &url);
    let ca = https.ca.clone().unwrap();
    let pki = ca.parent().unwrap();
    openssl(
        pki,
        "openssl pkey -in client.key -aes256 -passout pass:k3y-phrase -out client-locked.key",
    );
    let cert = pki.join("client.pem");
    let (cert, key) = (cert.to_str().unwrap(), pki.join("client-locked.key"));
    env.git(&work, &["config", "http.sslCAInfo", ca.to_str().unwrap()]);
    env.git(&work, &["config", "http.sslCert", cert]);
    env.git(&work, &["config", "http.sslKey", key.to_str().unwrap()]);
    // An askpass program that notes its prompt and answers `answer`.
    let prompts = env.path().join("prompts.txt");
    let askpass = env.path().join("askpass.sh");
    let answer = env.path().join("answer.txt");
    fs::write(
        &askpass,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\ncat '{}'\n",
            prompts.display(),
            answer.display()
        ),
    )
    .unwrap();
    make_executable(&askpass);
    let vars = [("GIT_ASKPASS", askpass.to_str().unwrap())];
    fs::write(&answer, "k3y-phrase\n").unwrap();

    // Not said to be protected: nobody is asked, and both fail.
    let stderr = both(&env, &work, &vars, false, "a locked key, not said to be");
    assert!(stderr.contains("http.sslCertPasswordProtected"), "{stderr}");
    assert!(
        !prompts.exists(),
        "asked: {:?}",
        fs::read_to_string(&prompts)
    );

    // Said to be: the passphrase is asked as git asks it, once a run.
    env.git(&work, &["config", "http.sslCertPasswordProtected", "true"]);
    let stderr = both(&env, &work, &vars, true, "http.sslCertPasswordProtected");
    assert!(!stderr.contains("k3y-phrase"), "{stderr}");
    let asked = fs::read_to_string(&prompts).unwrap();
    let prompt = format!("Password for 'cert:///{cert}': ");
    assert_eq!(
        asked.lines().collect::<Vec<_>>(),
        [prompt.as_str(); 2],
        "git's, then mlops's"
    );
    env.git(
        &work,
        &["config", "--unset", "http.sslCertPasswordProtected"],
    );

    let with_env = [vars[0], ("GIT_SSL_CERT_PASSWORD_PROTECTED", "1")];
    both(
        &env,
        &work,
        &with_env,
        true,
        "GIT_SSL_CERT_PASSWORD_PROTECTED",
    );
    fs::write(&answer, "wrong\n").unwrap();
    both(&env, &work, &with_env, false, "a wrong passphrase");
}

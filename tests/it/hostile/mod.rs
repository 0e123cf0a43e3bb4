//! Broken and hostile servers, one scripted conversation per parser: a
//! small HTTP server on 127.0.0.1 that relays to the real `git
//! receive-pack`/`upload-pack --stateless-rpc` on a bare repository and
//! replaces one answer with what the test scripts (an endless ref
//! advertisement, an `ERR` line, a bad pkt-line length, a flooded report
//! or side band, a fetch answer that never reaches its pack). mlops must
//! end with exit 4 saying what the server did, under 64 MiB of memory,
//! with the server's text masked; `git push` runs beside it on the same
//! server.

mod server;

use std::process::Command;

use crate::common::{words, Env};
use server::*;

const MIB: i64 = 1024;

/// The end of a long stderr, for a failure message.
fn short(text: &str) -> String {
    let start = text.len().saturating_sub(3000);
    let start = (start..text.len())
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    text[start..].to_string()
}

fn assert_small(ran: &Ran) {
    if !std::path::Path::new(TIME).exists() {
        eprintln!("memory not measured: {TIME} (GNU time, Debian package `time`) is not installed");
        return;
    }
    assert!(ran.max_kib > 0, "{TIME} measured nothing");
    eprintln!("mlops peaked at {} KiB", ran.max_kib);
    assert!(
        ran.max_kib < 64 * MIB,
        "mlops took {} MiB: {}",
        ran.max_kib / MIB,
        short(&ran.stderr)
    );
}

fn no_control(text: &str) {
    assert!(
        !text.contains('\x07') && !text.contains("\x1b]") && !text.contains("\x1b[2J"),
        "control characters reached the terminal: {text:?}"
    );
}

/// 96 MiB of refs (valid lines, each naming another branch), then a flush.
fn endless_refs() -> Answer {
    let mut sent = 0usize;
    let mut first = true;
    Answer::Stream(Box::new(move || {
        if sent > 96 << 20 {
            return None;
        }
        let mut chunk = Vec::new();
        if first {
            chunk = pkt(b"# service=git-receive-pack\n");
            chunk.extend(b"0000");
            chunk.extend(pkt(
                b"1111111111111111111111111111111111111111 refs/heads/main\0report-status side-band-64k\n",
            ));
            first = false;
        }
        for i in 0..10_000 {
            chunk.extend(pkt(format!(
                "1111111111111111111111111111111111111111 refs/heads/flood-{sent}-{i}\n"
            )
            .as_bytes()));
        }
        sent += chunk.len();
        Some(chunk)
    }))
}

#[test]
fn an_endless_ref_advertisement_ends_the_run_in_bounded_memory() {
    let env = Env::new();
    let (remote, work) = checkout(&env, 0);
    let server = Hostile::start(
        &remote,
        Box::new(|req, repo| match req.is_listing() {
            true => endless_refs(),
            false => Answer::Body(relay(req, repo, &[])),
        }),
    );
    env.git(&work, &["remote", "set-url", "origin", &server.url()]);
    let ran = enable(&env, &work);
    assert_eq!(ran.code, 4, "{}", short(&ran.stderr));
    assert!(
        ran.stderr.contains("ref advertisement passed"),
        "{}",
        short(&ran.stderr)
    );
    assert_small(&ran);
    // Nothing was pushed (git has no such limit: it reads on).
    assert_eq!(env.subjects(&remote, "main").len(), 1);
}

#[test]
fn an_err_line_in_the_advertisement_is_the_servers_error() {
    let env = Env::new();
    let (remote, work) = checkout(&env, 0);
    let server = Hostile::start(
        &remote,
        Box::new(|req, _| {
            Answer::Body(listing(
                req,
                &pkt(b"ERR access denied: \x1b]0;pwned\x07repository archived\n"),
            ))
        }),
    );
    env.git(&work, &["remote", "set-url", "origin", &server.url()]);
    let git = git_push(&env, &work, &server.url());
    let git_err = String::from_utf8_lossy(&git.stderr);
    assert!(!git.status.success());
    assert!(git_err.contains("remote error: access denied"), "{git_err}");
    let ran = enable(&env, &work);
    assert_eq!(ran.code, 4, "{}", short(&ran.stderr));
    assert!(
        ran.stderr
            .contains("remote error: access denied: ^[]0;pwned^Grepository archived"),
        "{}",
        short(&ran.stderr)
    );
    assert!(!ran.stderr.contains("malformed"), "{}", short(&ran.stderr));
    no_control(&ran.stderr);
}

#[test]
fn pkt_line_lengths_git_refuses_are_refused() {
    let env = Env::new();
    let (remote, work) = checkout(&env, 0);
    for head in ["+fff", "0002", "0003", "fff1", " 1a0"] {
        let head = head.to_string();
        let server = Hostile::start(
            &remote,
            Box::new(move |req, _| {
                let mut bad = head.as_bytes().to_vec();
                bad.extend(vec![b'1'; 5000]);
                Answer::Body(listing(req, &bad))
            }),
        );
        let git = git_push(&env, &work, &server.url());
        let git_err = String::from_utf8_lossy(&git.stderr).into_owned();
        assert!(!git.status.success(), "{git_err}");
        env.git(&work, &["remote", "set-url", "origin", &server.url()]);
        let ran = enable(&env, &work);
        assert_eq!(ran.code, 4, "{}", short(&ran.stderr));
        assert!(ran.stderr.contains("pkt-line"), "{}", short(&ran.stderr));
        assert_eq!(env.subjects(&remote, "main").len(), 1);
    }
}

/// The real answer to a push, after `before` (pkt-lines of the side band).
fn push_answer_after(before: Vec<u8>) -> Box<Script> {
    Box::new(move |req, repo| match req.is_listing() {
        true => Answer::Body(relay(req, repo, &[])),
        false => {
            let mut out = before.clone();
            out.extend(relay(req, repo, &[]));
            Answer::Body(out)
        }
    })
}

#[test]
fn remote_lines_are_masked() {
    let env = Env::new();
    let (remote, work) = checkout(&env, 0);
    let server = Hostile::start(
        &remote,
        push_answer_after(pkt(
            b"\x02\x1b]0;pwned\x07Create a \x1b[1mpull request\x1b[m\x1b[2J\n",
        )),
    );
    env.git(&work, &["remote", "set-url", "origin", &server.url()]);
    let ran = enable(&env, &work);
    assert_eq!(ran.code, 0, "{}", short(&ran.stderr));
    assert!(
        ran.stderr
            .contains("remote: ^[]0;pwned^GCreate a \x1b[1mpull request\x1b[m^[[2J"),
        "{:?}",
        short(&ran.stderr)
    );
    no_control(&ran.stderr);
}

#[test]
fn a_flooded_side_band_ends_the_run_in_bounded_memory() {
    let env = Env::new();
    let (remote, work) = checkout(&env, 0);
    let server = Hostile::start(
        &remote,
        Box::new(|req, repo| match req.is_listing() {
            true => Answer::Body(relay(req, repo, &[])),
            false => {
                let mut sent = 0usize;
                let line = pkt(&[&[2u8][..], &[b'x'; 65000][..]].concat());
                Answer::Stream(Box::new(move || {
                    sent += 1;
                    (sent < 1600).then(|| line.repeat(16))
                }))
            }
        }),
    );
    env.git(&work, &["remote", "set-url", "origin", &server.url()]);
    let ran = enable(&env, &work);
    assert_eq!(ran.code, 4, "{}", short(&ran.stderr));
    assert!(
        ran.stderr.contains("messages passed 16 MiB"),
        "{}",
        short(&ran.stderr)
    );
    assert_small(&ran);
}

#[test]
fn a_flooded_report_ends_the_run_in_bounded_memory() {
    let env = Env::new();
    let (remote, work) = checkout(&env, 0);
    let server = Hostile::start(
        &remote,
        Box::new(|req, repo| match req.is_listing() {
            true => Answer::Body(relay(req, repo, &[])),
            false => {
                let mut sent = 0usize;
                let mut report = pkt(b"unpack ok\n");
                for i in 0..1000 {
                    report.extend(pkt(format!("ok refs/heads/x{i:060}\n").as_bytes()));
                }
                let band = pkt(&[&[1u8][..], &report[..60000]].concat());
                Answer::Stream(Box::new(move || {
                    sent += 1;
                    (sent < 1600).then(|| band.repeat(16))
                }))
            }
        }),
    );
    env.git(&work, &["remote", "set-url", "origin", &server.url()]);
    let ran = enable(&env, &work);
    assert_eq!(ran.code, 4, "{}", short(&ran.stderr));
    assert!(
        ran.stderr.contains("report passed 1 MiB"),
        "{}",
        short(&ran.stderr)
    );
    assert_small(&ran);
}

#[test]
fn an_ng_reason_is_masked() {
    let env = Env::new();
    let (remote, work) = checkout(&env, 0);
    let server = Hostile::start(
        &remote,
        Box::new(|req, repo| match req.is_listing() {
            true => Answer::Body(relay(req, repo, &[])),
            false => {
                let mut report = pkt(b"unpack ok\n");
                report.extend(pkt(b"ng refs/heads/main hook \x1b]0;pwned\x07declined\n"));
                report.extend(b"0000");
                let mut out = pkt(&[&[1u8][..], &report[..]].concat());
                out.extend(b"0000");
                Answer::Body(out)
            }
        }),
    );
    let git = git_push(&env, &work, &server.url());
    assert!(!git.status.success());
    assert!(String::from_utf8_lossy(&git.stderr).contains("[remote rejected]"));
    env.git(&work, &["remote", "set-url", "origin", &server.url()]);
    let ran = enable(&env, &work);
    assert_eq!(ran.code, 4, "{}", short(&ran.stderr));
    assert!(
        ran.stderr.contains("hook ^[]0;pwned^Gdeclined"),
        "{:?}",
        short(&ran.stderr)
    );
    no_control(&ran.stderr);
}

#[test]
fn a_server_that_refuses_thin_packs_gets_whole_objects() {
    let env = Env::new();
    let (remote, work) = checkout(&env, 60);
    let server = Hostile::start(&remote, Box::new(refusing_thin));
    let git = git_push(&env, &work, &server.url());
    assert!(
        git.status.success(),
        "{}",
        String::from_utf8_lossy(&git.stderr)
    );
    env.git(&remote, &["update-ref", "refs/heads/main", "main~1"]);
    env.git(&work, &["remote", "set-url", "origin", &server.url()]);
    let ran = enable(&env, &work);
    assert_eq!(ran.code, 0, "{}", short(&ran.stderr));
    assert_eq!(
        env.subjects(&remote, "main")[0],
        "Enable autoscaling for jukebox in test"
    );
}

#[test]
fn a_fetch_answer_without_a_pack_ends_the_run() {
    let env = Env::new();
    let (remote, work) = checkout(&env, 0);
    // The remote moves on: the checkout is behind and fetches.
    let other = env.clone_of(&remote, "other");
    std::fs::write(other.join("NOTES.md"), "moved\n").unwrap();
    env.git(&other, &["add", "NOTES.md"]);
    env.git(&other, &["commit", "-qm", "Moved on"]);
    env.git(&other, &["push", "-q", "origin", "main"]);
    let server = Hostile::start(
        &remote,
        Box::new(|req, repo| match (req.is_listing(), req.service()) {
            (false, "git-upload-pack") => {
                let mut sent = 0usize;
                let line = pkt(b"shallow 1111111111111111111111111111111111111111\n");
                Answer::Stream(Box::new(move || {
                    sent += 1;
                    (sent < 100).then(|| line.repeat(1000))
                }))
            }
            _ => Answer::Body(relay(req, repo, &[])),
        }),
    );
    env.git(&work, &["remote", "set-url", "origin", &server.url()]);
    let ran = enable(&env, &work);
    assert_eq!(ran.code, 4, "{}", short(&ran.stderr));
    // mlops's own fetch stops, and says why (--verbose); libgit2's fetch,
    // tried next, fails too.
    assert!(
        ran.stderr
            .contains("the remote sent more than 10000 lines before the pack"),
        "{}",
        short(&ran.stderr)
    );
    assert_small(&ran);
}

#[test]
fn ssh_stderr_is_masked() {
    let env = Env::new();
    let (_remote, work) = checkout(&env, 0);
    // The ssh program: refuses with a message carrying control characters.
    let ssh = env.path().join("ssh.sh");
    std::fs::write(
        &ssh,
        "#!/bin/sh\nprintf 'Permission denied \\033]0;pwned\\007(publickey)\\033[2J\\n' >&2\nexit 255\n",
    )
    .unwrap();
    crate::clone::make_executable(&ssh);
    env.git(
        &work,
        &[
            "remote",
            "set-url",
            "origin",
            "ssh://git@127.0.0.1/repo.git",
        ],
    );
    let mut git = Command::new("git");
    git.args(["push", "origin", "HEAD:main"]).current_dir(&work);
    env.apply(&mut git);
    let git = git.env("GIT_SSH_COMMAND", &ssh).output().unwrap();
    assert!(!git.status.success());
    let mut cmd = env.mlops(&work);
    let out = cmd
        .env("GIT_SSH_COMMAND", &ssh)
        .args(words("autoscale enable --env test jukebox --yes"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("Permission denied ^[]0;pwned^G(publickey)^[[2J"),
        "{stderr:?}"
    );
    no_control(&stderr);
}

#[test]
fn a_flood_on_ssh_stderr_ends_the_run_in_bounded_memory() {
    let env = Env::new();
    let (_remote, work) = checkout(&env, 0);
    // The ssh program (a server's stderr reaches us through it): 200 MB,
    // then a refusal, as a broken or hostile server might. Named by
    // core.sshCommand, which git and mlops both read.
    let ssh = env.path().join("ssh.sh");
    std::fs::write(
        &ssh,
        "#!/bin/sh\nhead -c 200000000 /dev/zero | tr '\\0' x >&2\nprintf '\\nfatal: the last words\\n' >&2\nexit 255\n",
    )
    .unwrap();
    crate::clone::make_executable(&ssh);
    env.git(&work, &["config", "core.sshCommand", ssh.to_str().unwrap()]);
    env.git(
        &work,
        &[
            "remote",
            "set-url",
            "origin",
            "ssh://git@127.0.0.1/repo.git",
        ],
    );
    let git = git_push(&env, &work, "origin");
    assert!(!git.status.success());
    let ran = run_measured(&env, &work, "autoscale enable --env test jukebox --yes");
    assert_eq!(ran.code, 4, "{}", short(&ran.stderr));
    assert!(
        ran.stderr.len() < 1 << 20,
        "{} bytes on stderr",
        ran.stderr.len()
    );
    assert!(
        ran.stderr.contains("fatal: the last words"),
        "{}",
        short(&ran.stderr)
    );
    assert_small(&ran);
}

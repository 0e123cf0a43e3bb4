//! No write ever leaves the work tree: a symlink on the way from the
//! repository root to a config (git's mode 120000, or a local link put in
//! place of a tracked folder) is refused, naming the link, by `set`,
//! `enable`, status and completion alike. git never follows a link in a
//! path either: `git add` of a path beyond one is refused.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use super::{append, colleague_pushes, completions, files, gitops, text};
use crate::common::{config, words, Env};

/// `model-deployments/test` replaced, in the checkout only, by a link to
/// a copy of it outside the repository; returns that outside folder.
fn link_out(env: &Env, work: &Path, folder: &str) -> std::path::PathBuf {
    let outside = env.path().join("outside");
    fs::rename(work.join(folder), &outside).unwrap();
    symlink(&outside, work.join(folder)).unwrap();
    outside
}

/// git itself refuses to touch a path beyond the link.
fn git_refuses_beyond(env: &Env, work: &Path, link: &str) {
    let file = "model-deployments/test/jukebox/config.yaml";
    let out = env.git_output(work, &["add", file]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("beyond a symbolic link"), "{said}");
    assert!(said.contains(link) || said.contains(file), "{said}");
}

/// Every way in refuses, naming `link`, and nothing is written anywhere:
/// not behind the link, not in the checkout, not on the remote.
fn refused_everywhere(env: &Env, remote: &Path, work: &Path, outside: &Path, link: &str) {
    let before = (files(outside), files(work), env.status(work));
    let remote_head = env.git(remote, &["rev-parse", "main"]);
    for line in [
        "set --env test jukebox version=v9 --yes",
        "set test/jukebox version=v9 --yes",
        "autoscale enable test/jukebox-ui --yes",
        "autoscale enable --autoscaler keda --env test jukebox --no-push --yes",
    ] {
        let out = env.mlops(work).args(words(line)).output().unwrap();
        let said = text(&out);
        assert_eq!(out.status.code(), Some(3), "{line}: {said}");
        assert!(
            said.contains(&format!("{link} is a symlink")),
            "{line}: {said}"
        );
    }
    assert_eq!((files(outside), files(work), env.status(work)), before);
    assert_eq!(env.git(remote, &["rev-parse", "main"]), remote_head);
    // status lists what lies behind the link, each with the link as its
    // error, and exits 3 after the complete listing.
    let (code, rows) = env.status_rows(work, "");
    assert_eq!(code, 3, "{rows:?}");
    for model in ["jukebox", "jukebox-ui"] {
        let row = crate::common::row(&rows, "test", model);
        assert_eq!(row["autoscaler"], serde_json::Value::Null, "{row}");
        let error = row["error"].as_str().unwrap_or_default();
        assert!(error.contains(&format!("{link} is a symlink")), "{row}");
    }
    if link != "model-deployments" {
        let prod = crate::common::row(&rows, "prod", "jukebox");
        assert_eq!(prod["error"], serde_json::Value::Null, "{prod}");
    }
    // Completion offers nothing beyond the link.
    let envs = completions(env, work, &["mlops", "autoscale", "enable", "--env", ""]);
    assert!(!envs.contains(&"test".to_string()), "{envs:?}");
    let models = completions(env, work, &["mlops", "set", "--env", "test", ""]);
    assert!(models.is_empty(), "{models:?}");
    let qualified = completions(env, work, &["mlops", "set", "test/"]);
    assert!(qualified.is_empty(), "{qualified:?}");
}

#[test]
fn an_environment_folder_replaced_by_a_link_out_of_the_checkout_is_never_written_through() {
    let env = Env::new();
    let (remote, work) = gitops(&env, |_| {});
    let outside = link_out(&env, &work, "model-deployments/test");
    git_refuses_beyond(&env, &work, "model-deployments/test");
    refused_everywhere(&env, &remote, &work, &outside, "model-deployments/test");
    // The other environment still works.
    env.mlops(&work)
        .args(words("set prod/jukebox version=v2 --yes"))
        .assert()
        .success();
}

#[test]
fn the_deployments_folder_replaced_by_a_link_is_never_written_through() {
    let env = Env::new();
    let (remote, work) = gitops(&env, |_| {});
    let outside = link_out(&env, &work, "model-deployments");
    refused_everywhere(&env, &remote, &work, &outside, "model-deployments");
}

#[test]
fn an_environment_folder_git_stores_as_a_link_is_never_written_through() {
    // The commit holds `model-deployments/test` as a symlink (mode 120000)
    // to a folder elsewhere in the work tree.
    let env = Env::new();
    let (remote, work) = gitops(&env, |seed| {
        fs::rename(seed.join("model-deployments/test"), seed.join("staging")).unwrap();
        symlink("../staging", seed.join("model-deployments/test")).unwrap();
    });
    let tree = env.git(&work, &["ls-tree", "HEAD", "model-deployments/test"]);
    assert!(tree.starts_with("120000 blob"), "{tree}");
    git_refuses_beyond(&env, &work, "model-deployments/test");
    refused_everywhere(
        &env,
        &remote,
        &work,
        &work.join("staging"),
        "model-deployments/test",
    );
}

#[test]
fn a_colleagues_change_beyond_a_local_link_is_not_written_through_it() {
    // The remote changed test/jukebox while the checkout, behind, has a
    // link in place of model-deployments/test. `git pull --ff-only` never
    // writes through the link (it puts a folder back in its place); mlops
    // refuses before anything is pushed and writes nothing anywhere.
    let env = Env::new();
    let (remote, work) = gitops(&env, |_| {});
    let twin = env.clone_of(&remote, "twin");
    colleague_pushes(&env, &remote, |dir| {
        append(dir, "test", "jukebox", "version: v7\n")
    });
    let outside = link_out(&env, &work, "model-deployments/test");
    let twin_outside = env.path().join("twin-outside");
    fs::rename(twin.join("model-deployments/test"), &twin_outside).unwrap();
    symlink(&twin_outside, twin.join("model-deployments/test")).unwrap();
    let before = files(&outside);
    assert_eq!(files(&twin_outside), before);

    env.git(&twin, &["pull", "-q", "--ff-only"]);
    assert_eq!(files(&twin_outside), before, "git wrote through the link");

    let remote_head = env.git(&remote, &["rev-parse", "main"]);
    let out = env
        .mlops(&work)
        .args(words("set prod/jukebox version=v2 --yes"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("model-deployments/test is a symlink"),
        "{}",
        text(&out)
    );
    assert_eq!(files(&outside), before, "mlops wrote through the link");
    assert_eq!(env.git(&remote, &["rev-parse", "main"]), remote_head);
    assert!(!fs::read_to_string(config(&work, "prod", "jukebox"))
        .unwrap()
        .contains("v2"));
}

#[test]
fn a_linked_model_folder_or_config_is_not_offered_and_is_refused() {
    // `alias` -> `jukebox` (a model folder git stores as a link) and
    // jukebox-ui's config.yaml replaced locally by a link to a file
    // outside: status names each, completion offers neither, set refuses
    // both, and nothing is written.
    let env = Env::new();
    let (remote, work) = gitops(&env, |seed| {
        symlink("jukebox", seed.join("model-deployments/test/alias")).unwrap();
    });
    let outside = env.path().join("outside.yaml");
    fs::write(&outside, "---\nname: outside\n").unwrap();
    let file = config(&work, "test", "jukebox-ui");
    fs::remove_file(&file).unwrap();
    symlink(&outside, &file).unwrap();
    let before = (files(&work), fs::read(&outside).unwrap());
    let remote_head = env.git(&remote, &["rev-parse", "main"]);
    for (line, link) in [
        (
            "set test/alias version=v9 --yes",
            "model-deployments/test/alias",
        ),
        (
            "set test/jukebox-ui version=v9 --yes",
            "config.yaml is a symlink",
        ),
    ] {
        let out = env.mlops(&work).args(words(line)).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{line}: {}", text(&out));
        assert!(text(&out).contains(link), "{line}: {}", text(&out));
    }
    assert_eq!((files(&work), fs::read(&outside).unwrap()), before);
    assert_eq!(env.git(&remote, &["rev-parse", "main"]), remote_head);
    let (code, rows) = env.status_rows(&work, "--env test");
    assert_eq!(code, 3);
    for model in ["alias", "jukebox-ui"] {
        let row = crate::common::row(&rows, "test", model);
        assert!(
            row["error"]
                .as_str()
                .unwrap_or_default()
                .contains("symlink"),
            "{row}"
        );
    }
    let offered = completions(&env, &work, &["mlops", "set", "--env", "test", ""]);
    assert_eq!(offered, ["jukebox"]);
    let offered = completions(&env, &work, &["mlops", "set", "test/"]);
    assert_eq!(offered, ["test/jukebox"]);
}

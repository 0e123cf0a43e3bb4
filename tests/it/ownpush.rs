//! The push mlops sends itself to path and SSH remotes (src/git/push.rs):
//! only the objects the commit adds, as deltas where they replace one,
//! which the remote resolves and checks; and one receive-pack
//! conversation (one `ssh`) for an up-to-date checkout.

use std::fs;
use std::path::Path;

use pretty_assertions::assert_eq;

use crate::auth::ssh_setup;
use crate::common::{words, Env};

fn loose_objects(env: &Env, repo: &Path) -> usize {
    let out = env.git(repo, &["count-objects"]);
    out.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn a_path_remote_receives_only_the_new_objects_and_fsck_is_clean() {
    let env = Env::new();
    // A folder big enough that its tree goes as a delta.
    let (remote, work) = env.gitops(|seed| {
        for i in 0..300 {
            let dir = seed.join(format!("model-deployments/test/extra-{i:03}"));
            fs::create_dir_all(&dir).unwrap();
            fs::write(dir.join("config.yaml"), format!("---\nversion: v{i}\n")).unwrap();
        }
    });
    env.git(&remote, &["repack", "-adq"]);
    let before = loose_objects(&env, &remote);
    env.mlops(&work)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .success();
    // The commit, the root tree, model-deployments, test, jukebox and the
    // new config.yaml: nothing else.
    assert_eq!(loose_objects(&env, &remote) - before, 6);
    env.git(&remote, &["fsck", "--strict", "--no-dangling"]);
    assert_eq!(
        env.git(&remote, &["rev-parse", "main"]),
        env.git(&work, &["rev-parse", "HEAD"])
    );
    assert_eq!(
        env.git(
            &remote,
            &["show", "main:model-deployments/test/extra-007/config.yaml"]
        ),
        "---\nversion: v7\n"
    );
}

#[test]
fn an_up_to_date_checkout_makes_one_ssh_connection() {
    let env = Env::new();
    let Some((remote, key, sshd)) = ssh_setup(&env, true) else {
        return;
    };
    let work = env.clone_of(&remote, "ssh-work");
    env.git(&work, &["remote", "set-url", "origin", &sshd.url(&remote)]);
    let accepted = || sshd.log().matches("Accepted publickey").count();
    let before = accepted();
    env.mlops(&work)
        .env("MLOPS_SSH_KEY", &key)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .success();
    assert_eq!(accepted() - before, 1, "{}", sshd.log());
    assert_eq!(
        env.git(&remote, &["rev-parse", "main"]),
        env.git(&work, &["rev-parse", "HEAD"])
    );
    env.git(&remote, &["fsck", "--strict", "--no-dangling"]);
}

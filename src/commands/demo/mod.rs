//! `mlops demo`: the whole job on a throwaway repository, no cluster and no
//! server needed. It builds an mlops-gitops checkout from the fixtures
//! built into the binary (the real public layout, with the workshop's
//! jukebox config in test), gives it a bare repository on disk as its
//! `origin`, then runs `mlops autoscale enable --env test jukebox` in it:
//! diff, confirmation on a terminal, commit, push. When the real servers
//! are there it goes on to close the loop ([`closing`]): a pull request
//! on Gitea and a wait for Argo CD and KServe on a Kubernetes API.

mod argo;
mod closing;

use std::path::Path;

use git2::{IndexAddOption, Repository, Signature};

use super::autoscale::{status, Render};
use super::change::{self, Edit};
use super::Context;
use crate::cli::{DemoArgs, LogArgs, StatusArgs, TargetArgs};
use crate::error::{self, Result};
use crate::gitops::chart::Autoscaler;

/// The demo repository's files: fixtures/mlops-gitops, with the workshop's
/// test config for jukebox (the step where the workshop adds autoscaling).
const FILES: &[(&str, &[u8])] = &[
    (
        "appset-prod.yaml",
        include_bytes!("../../../fixtures/mlops-gitops/appset-prod.yaml"),
    ),
    (
        "appset-test.yaml",
        include_bytes!("../../../fixtures/mlops-gitops/appset-test.yaml"),
    ),
    (
        "appset-toolings.yaml",
        include_bytes!("../../../fixtures/mlops-gitops/appset-toolings.yaml"),
    ),
    (
        "model-deployments/prod/jukebox/config.yaml",
        include_bytes!("../../../fixtures/mlops-gitops/model-deployments/prod/jukebox/config.yaml"),
    ),
    (
        "model-deployments/prod/jukebox-ui/config.yaml",
        include_bytes!(
            "../../../fixtures/mlops-gitops/model-deployments/prod/jukebox-ui/config.yaml"
        ),
    ),
    (
        "model-deployments/test/jukebox/config.yaml",
        include_bytes!("../../../fixtures/configs/workshop-example.yaml"),
    ),
    (
        "model-deployments/test/jukebox-ui/config.yaml",
        include_bytes!(
            "../../../fixtures/mlops-gitops/model-deployments/test/jukebox-ui/config.yaml"
        ),
    ),
    (
        "toolings/bootstrap/config.yaml",
        include_bytes!("../../../fixtures/mlops-gitops/toolings/bootstrap/config.yaml"),
    ),
    (
        "toolings/minio/config.yaml",
        include_bytes!("../../../fixtures/mlops-gitops/toolings/minio/config.yaml"),
    ),
];

pub fn run(ctx: &Context, args: &DemoArgs) -> Result<()> {
    let dir = tempfile::Builder::new()
        .prefix("mlops-demo-")
        .tempdir()
        .map_err(|e| error::failure("could not create a temporary folder").caused_by(e))?;
    let remote = dir.path().join("mlops-gitops.git");
    let work = dir.path().join("mlops-gitops");
    ctx.ui.info(format!(
        "Building a demo mlops-gitops repository in {}",
        work.display()
    ));
    build(&remote, &work)
        .map_err(|e| error::failure("could not build the demo repository").caused_by(e))?;
    ctx.ui.info(format!(
        "Its origin is the bare repository {}\n",
        remote.display()
    ));

    let mut demo = ctx.with_repo(work.clone());
    // A throwaway repository: without a terminal to ask on, the demo
    // answers yes itself (a real checkout needs --yes for that).
    demo.change.yes = !ctx.ui.interactive();
    let env = ["test".to_string()];
    let jukebox = ["jukebox".to_string()];
    let steps: [(&str, &dyn Edit); 3] = [
        (
            "mlops autoscale enable --env test jukebox",
            &Render(Autoscaler::Hpa),
        ),
        (
            "mlops autoscale enable --autoscaler keda --env test jukebox",
            &Render(Autoscaler::Keda),
        ),
        (
            "mlops set --env test jukebox version=7f3e9a1b2c",
            &super::set::demo_step("version=7f3e9a1b2c"),
        ),
    ];
    for (line, edit) in steps {
        ctx.ui.info(format!("\n$ {line}"));
        change::run(&demo, &env, &jukebox, edit)?;
    }

    if !ctx.ui.json() {
        ctx.ui.info("\n$ mlops autoscale status");
        status::run(&demo, &StatusArgs::default())?;
        ctx.ui.info("\n$ mlops log --env test jukebox");
        let log = LogArgs {
            targets: TargetArgs {
                envs: env.to_vec(),
                models: jukebox.to_vec(),
            },
            ..LogArgs::default()
        };
        super::log::run(&demo, &log)?;
        let origin = Repository::open_bare(&remote)
            .map_err(|e| error::git("could not open the demo remote").caused_by(e))?;
        let tip = origin.head().and_then(|h| h.peel_to_commit());
        if let Ok(commit) = tip {
            ctx.ui.info(format!(
                "\nThe demo remote's main is now at {}: {}",
                &commit.id().to_string()[..10],
                commit.summary().ok().flatten().unwrap_or("")
            ));
        }
    }
    if !args.local {
        closing::run(&demo, dir.path(), &work)?;
    }
    if args.keep {
        let kept = dir.keep();
        ctx.ui
            .info(format!("Kept the demo folder: {}", kept.display()));
    }
    Ok(())
}

/// A bare `remote` and a checkout `work` of it holding [`FILES`] in one
/// commit on main, tracking origin/main, as after `git clone`.
fn build(remote: &Path, work: &Path) -> Result<(), git2::Error> {
    let mut init = git2::RepositoryInitOptions::new();
    init.initial_head("main");
    Repository::init_opts(remote, init.bare(true))?;
    let mut init = git2::RepositoryInitOptions::new();
    init.initial_head("main");
    let repo = Repository::init_opts(work, &init)?;
    for (path, bytes) in FILES {
        let file = work.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).map_err(|e| git2::Error::from_str(&e.to_string()))?;
        }
        std::fs::write(&file, bytes).map_err(|e| git2::Error::from_str(&e.to_string()))?;
    }
    let mut index = repo.index()?;
    index.add_all(["*"], IndexAddOption::DEFAULT, None)?;
    index.write()?;
    let tree = repo.find_tree(index.write_tree()?)?;
    let who = Signature::now("mlops demo", "demo@mlops.localhost")?;
    repo.commit(
        Some("HEAD"),
        &who,
        &who,
        "Initial mlops-gitops layout",
        &tree,
        &[],
    )?;
    let mut origin = repo.remote("origin", &remote.to_string_lossy())?;
    origin.push(&["refs/heads/main:refs/heads/main"], None)?;
    origin.fetch(&["+refs/heads/*:refs/remotes/origin/*"], None, None)?;
    repo.find_branch("main", git2::BranchType::Local)?
        .set_upstream(Some("origin/main"))?;
    Ok(())
}

//! `mlops man`: man pages in roff, generated from the clap types so they
//! say exactly what `--help` says.

use std::path::PathBuf;

use clap::CommandFactory;
use serde::Serialize;

use super::Context;
use crate::cli::{Cli, ManArgs};
use crate::error::{self, failure, Kind, Result};

/// `--output json`: the page printed, or the files written.
#[derive(Serialize)]
#[serde(untagged)]
enum Doc {
    Page { name: String, page: String },
    Written { written: Vec<PathBuf> },
}

pub fn run(ctx: &Context, args: &ManArgs) -> Result<()> {
    let mut pages = pages()?;
    let Some(dir) = &args.out_dir else {
        let (name, page) = pages.swap_remove(0);
        if ctx.ui.json() {
            return ctx.ui.emit_json(&Doc::Page { name, page });
        }
        return ctx.ui.out(page);
    };
    std::fs::create_dir_all(dir).map_err(|e| error::io(Kind::Failure, "create", dir, e))?;
    let mut written = Vec::new();
    for (name, page) in pages {
        let path = dir.join(name);
        std::fs::write(&path, page).map_err(|e| error::io(Kind::Failure, "write", &path, e))?;
        ctx.ui.verbose(format!("wrote {}", path.display()));
        written.push(path);
    }
    ctx.ui.info(format!(
        "Wrote {} man pages to {}",
        written.len(),
        dir.display()
    ));
    if ctx.ui.json() {
        ctx.ui.emit_json(&Doc::Written { written })?;
    }
    Ok(())
}

/// Every page, `mlops.1` first, then one per visible subcommand named
/// `mlops-<sub>-<sub>.1` the way git names its pages, as (file name, roff).
pub fn pages() -> Result<Vec<(String, String)>> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut out = Vec::new();
    collect(&cmd, &mut out)?;
    Ok(out)
}

/// A built command's subcommands already carry display names like
/// `mlops-autoscale-enable`, which clap_mangen uses for title and file.
fn collect(cmd: &clap::Command, out: &mut Vec<(String, String)>) -> Result<()> {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut buf = Vec::new();
    man.render(&mut buf)
        .map_err(|e| failure("could not render the man page").caused_by(e))?;
    out.push((
        man.get_filename(),
        String::from_utf8_lossy(&buf).into_owned(),
    ));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, out)?;
    }
    Ok(())
}

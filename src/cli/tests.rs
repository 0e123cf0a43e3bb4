use clap::{CommandFactory, Parser};

use super::*;

/// clap's own consistency checks on every option and subcommand
/// (conflicting names, bad defaults, missing value names).
#[test]
fn the_command_line_is_consistent() {
    Cli::command().debug_assert();
}

fn parse(line: &str) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(line.split_whitespace())
}

/// The contract's spellings parse, options before or after the
/// subcommand alike (merging them is `commands::options`' job).
#[test]
fn contract_options_parse_before_and_after_the_subcommand() {
    let command = "autoscale enable --env test --env prod jukebox jukebox-ui";
    let options = "-C /r --dry-run --yes --no-push -m msg --retries 3 --output json";
    let after = parse(&format!("mlops {command} {options}")).unwrap();
    let before = parse(&format!("mlops {options} {command}")).unwrap();
    assert_eq!(after.output.output, OutputFormat::Json);
    assert_eq!(before.output.output, OutputFormat::Json);
    assert_eq!(
        before.repo.repo.as_deref(),
        Some(std::path::Path::new("/r"))
    );
    assert!(before.change.dry_run && before.change.yes && before.change.no_push);
    let Command::Autoscale(AutoscaleCommand::Enable(args)) = after.command else {
        panic!("not enable");
    };
    assert_eq!(args.targets.envs, ["test", "prod"]);
    assert_eq!(args.targets.models, ["jukebox", "jukebox-ui"]);
    assert_eq!(args.repo.repo.as_deref(), Some(std::path::Path::new("/r")));
    assert_eq!(
        (args.change.message.as_deref(), args.change.retries),
        (Some("msg"), Some(3))
    );
}

/// Options a subcommand does not use are not accepted after it.
#[test]
fn options_are_accepted_only_where_they_apply() {
    for line in [
        "mlops autoscale status --no-push",
        "mlops autoscale status -m hi",
        "mlops autoscale status --retries 3",
        "mlops man --dry-run",
        "mlops completions bash --yes",
        "mlops log --dry-run",
        "mlops autoscale enable --env test jukebox -m",
    ] {
        assert!(parse(line).is_err(), "{line} was accepted");
    }
    assert!(Cli::try_parse_from(["mlops", "autoscale", "enable", "-m", ""]).is_err());
}

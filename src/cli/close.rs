//! The options that close the loop after a push: the pull request on the
//! forge and waiting for Argo CD and KServe (README "Closing the loop").

use clap::builder::NonEmptyStringValueParser;
use clap::{Args, ValueEnum};

/// After the push: pull request, wait for the deployment.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "After the push")]
pub struct CloseArgs {
    /// Open a pull request from --branch into --base on the remote's forge (Gitea/Forgejo), or reuse the open one
    #[arg(long)]
    pub pull_request: bool,

    /// The forge hosting the remote [default: asked from the remote's server]
    #[arg(long, value_enum, value_name = "KIND")]
    pub forge: Option<ForgeChoice>,

    /// Refresh the Argo CD applications that deploy the change and wait until they are synced at the pushed commit and healthy, and the InferenceService is Ready
    #[arg(long)]
    pub wait: bool,

    /// How long --wait waits (e.g. 90s, 10m, 1h) [default: 10m]
    #[arg(long, value_name = "DURATION", value_parser = NonEmptyStringValueParser::new())]
    pub wait_timeout: Option<String>,

    /// The namespace of the Argo CD applications [default: the ApplicationSet's, else the kubeconfig context's]
    #[arg(long, value_name = "NS", value_parser = NonEmptyStringValueParser::new())]
    pub argocd_namespace: Option<String>,
}

/// The forges `--pull-request` speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ForgeChoice {
    /// Gitea or Forgejo (`/api/v1`)
    Gitea,
}

impl CloseArgs {
    /// Options given after the subcommand win over those before it.
    pub(crate) fn merge(self, top: CloseArgs) -> CloseArgs {
        CloseArgs {
            pull_request: self.pull_request || top.pull_request,
            forge: self.forge.or(top.forge),
            wait: self.wait || top.wait,
            wait_timeout: self.wait_timeout.or(top.wait_timeout),
            argocd_namespace: self.argocd_namespace.or(top.argocd_namespace),
        }
    }

    /// The flags given, for refusing them where they do not apply.
    pub(crate) fn flags(&self) -> Vec<&'static str> {
        [
            (self.pull_request, "--pull-request"),
            (self.forge.is_some(), "--forge"),
            (self.wait, "--wait"),
            (self.wait_timeout.is_some(), "--wait-timeout"),
            (self.argocd_namespace.is_some(), "--argocd-namespace"),
        ]
        .into_iter()
        .filter_map(|(set, flag)| set.then_some(flag))
        .collect()
    }
}

//! `mlops autoscale enable|disable|status`: the autoscaler the chart
//! renders, through the chart's model (`gitops::chart`).

mod disable;
mod enable;
pub(crate) mod status;

use super::change::{describe, Edit};
use super::Context;
use crate::cli::AutoscaleCommand;
use crate::edit::Refusal;
use crate::error::Result;
use crate::gitops::chart::{self, Autoscaler, Rendering};
use crate::gitops::layout::Target;

pub(crate) fn run(ctx: &Context, cmd: AutoscaleCommand) -> Result<u8> {
    match cmd {
        AutoscaleCommand::Enable(args) => enable::run(ctx, &args),
        AutoscaleCommand::Disable(args) => disable::run(ctx, &args),
        AutoscaleCommand::Status(args) => status::run(ctx, &args),
    }
}

/// Make the chart render `want`: what enable and disable do to a file.
pub(crate) struct Render(pub Autoscaler);

impl Render {
    fn name(&self) -> &'static str {
        match self.0 {
            Autoscaler::Off => "no autoscaler",
            Autoscaler::Hpa => "the HPA autoscaler",
            Autoscaler::Keda => "the KEDA autoscaler",
        }
    }
}

impl Edit for Render {
    fn apply(&self, old: &[u8]) -> Result<Option<Vec<u8>>, Refusal> {
        chart::edit_to(old, self.0)
    }

    fn subject(&self, changed: &[Target]) -> String {
        let what = match self.0 {
            Autoscaler::Off => "Disable autoscaling",
            Autoscaler::Hpa => "Enable autoscaling",
            Autoscaler::Keda => "Enable KEDA autoscaling",
        };
        format!("{what} for {}", describe(changed))
    }

    fn unchanged(&self, _target: &Target) -> String {
        format!("the chart already renders {} (unchanged)", self.name())
    }

    fn header(&self, target: &Target, old: &[u8], _new: &[u8]) -> String {
        let before = Rendering::read(old).map_or("unknown", |r| r.autoscaler().as_str());
        format!("{target}: autoscaler {before} -> {}", self.0.as_str())
    }

    fn want(&self) -> Option<Autoscaler> {
        Some(self.0)
    }

    fn command_line(&self) -> String {
        match self.0 {
            Autoscaler::Off => "autoscale disable".into(),
            Autoscaler::Hpa => "autoscale enable".into(),
            Autoscaler::Keda => "autoscale enable --autoscaler keda".into(),
        }
    }
}

//! `--wait`: after the push, until Argo CD and KServe have deployed the
//! commit. Each Argo CD application that deploys a changed file is asked
//! to refresh, as `argocd app get --refresh` asks (the annotation
//! `argocd.argoproj.io/refresh: normal`), then watched (a Kubernetes
//! watch, not a poll) until it is synced at the pushed commit and
//! healthy; then the model's InferenceService, in the application's
//! destination namespace, until its `Ready` condition is true and it
//! carries the autoscaler class the chart renders
//! (`serving.kserve.io/autoscalerClass`). The cluster is read as kubectl
//! reads it: `KUBECONFIG` or `~/.kube/config`, else the in-cluster
//! service account (kube-rs's `Config::infer`). Nothing here prints: the
//! progress goes through a callback.

mod verdict;
mod watch;

use std::time::Duration;

use serde::Serialize;

use crate::error::{Error, Kind, Result};
use crate::gitops::chart::Autoscaler;

/// One application to watch, with the model it deploys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Watch {
    pub application: String,
    /// The ApplicationSet's namespace, when it names one.
    pub namespace: Option<String>,
    pub env: String,
    pub model: String,
    /// The branch the application deploys, when the change went to
    /// another (a review branch): nothing to wait for until it is merged.
    pub after_merge: Option<String>,
}

impl Watch {
    /// The application `name` deploying `path`
    /// (`model-deployments/<env>/<model>/config.yaml`).
    pub(crate) fn of(name: &str, namespace: Option<&str>, path: &str) -> Option<Watch> {
        let mut parts = path.split('/');
        let (_, env, model) = (parts.next()?, parts.next()?, parts.next()?);
        Some(Watch {
            application: name.to_string(),
            namespace: namespace.map(str::to_string),
            env: env.to_string(),
            model: model.to_string(),
            after_merge: None,
        })
    }
}

/// One application's state when the wait ended (the report's `deployed`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Deployed {
    pub application: String,
    /// The revision Argo CD has synced (`status.sync.revision`).
    pub revision: Option<String>,
    /// `Synced`, `OutOfSync`, `Unknown`; null before Argo CD reported one.
    pub sync: Option<String>,
    /// `Healthy`, `Progressing`, `Degraded`, …
    pub health: Option<String>,
    /// The InferenceService is Ready with the autoscaler asked for.
    pub ready: bool,
}

/// What to wait for.
pub(crate) struct Wait<'a> {
    pub watches: &'a [Watch],
    /// The pushed commit (full hex).
    pub commit: String,
    /// The autoscaler the chart renders after the change, when the
    /// command was about it (`autoscale`); `None`: any.
    pub autoscaler: Option<Autoscaler>,
    /// `--argocd-namespace`.
    pub namespace: Option<String>,
    pub timeout: Duration,
}

/// Waits; `progress` gets one line per state change. The states reached
/// are returned in both cases; the error (exit 5) says what is pending.
pub(crate) fn wait(ask: &Wait, progress: &mut dyn FnMut(String)) -> (Vec<Deployed>, Result<()>) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            return (
                Vec::new(),
                Err(Error::new(
                    Kind::Wait,
                    format!("could not start the wait: {e}"),
                )),
            )
        }
    };
    runtime.block_on(watch::run(ask, progress))
}

/// `90s`, `10m`, `1h`, `1h30m`, or plain seconds.
pub(crate) fn duration(text: &str) -> std::result::Result<Duration, String> {
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return Err(format!("unknown unit {c:?}")),
        };
        let n: u64 = number
            .parse()
            .map_err(|_| "a number must come before each unit".to_string())?;
        total += n * unit;
        number.clear();
    }
    if !number.is_empty() {
        total += number.parse::<u64>().map_err(|e| e.to_string())?;
    }
    if total == 0 {
        return Err("the time must be more than zero".to_string());
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(duration("45"), Ok(Duration::from_secs(45)));
        assert!(duration("0").is_err());
        assert!(duration("5d").is_err());
        assert!(duration("m").is_err());
    }

    #[test]
    fn watch_of_path() {
        let w = Watch::of(
            "jukebox-test",
            None,
            "model-deployments/test/jukebox/config.yaml",
        )
        .unwrap();
        assert_eq!((w.env.as_str(), w.model.as_str()), ("test", "jukebox"));
    }
}

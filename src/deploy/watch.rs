//! The wait itself, on a small tokio runtime ([`super::wait`]): list the
//! object by name to learn its state and resource version, then watch it
//! from there (re-listing when the watch ends or its version is gone),
//! until the condition holds, it is degraded, or the time is up.

use std::cell::RefCell;
use std::future::Future;

use futures_util::StreamExt;
use kube::api::WatchParams;
use kube::api::{
    Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams,
};
use kube::core::WatchEvent;
use kube::{Client, Config};
use serde_json::{json, Value};
use tokio::time::Instant;

use super::verdict::{application, inference_service, Verdict};
use super::{Deployed, Wait, Watch};
use crate::error::{Error, Kind, Result};

const REFRESH: &str = "argocd.argoproj.io/refresh";

pub(super) async fn run(
    ask: &Wait<'_>,
    progress: &mut dyn FnMut(String),
) -> (Vec<Deployed>, Result<()>) {
    let mut watches: Vec<&Watch> = Vec::new();
    for w in ask.watches {
        if !watches.iter().any(|x| x.application == w.application) {
            watches.push(w);
        }
    }
    let mut states: Vec<Deployed> = watches
        .iter()
        .map(|w| Deployed {
            application: w.application.clone(),
            revision: None,
            sync: None,
            health: None,
            ready: false,
        })
        .collect();
    // The watches keep to the deadline; this bounds the rest (reaching
    // the cluster, the refresh) as well.
    let bound = ask.timeout + std::time::Duration::from_secs(30);
    let result = match tokio::time::timeout(bound, all(ask, &watches, &mut states, progress)).await
    {
        Ok(result) => result,
        Err(_) => Err(Error::new(
            Kind::Wait,
            format!(
                "pushed, but the cluster did not answer within {}",
                shown(bound)
            ),
        )),
    };
    (states, result)
}

async fn all(
    ask: &Wait<'_>,
    watches: &[&Watch],
    states: &mut [Deployed],
    progress: &mut dyn FnMut(String),
) -> Result<()> {
    let deadline = Instant::now() + ask.timeout;
    let client = connect().await?;
    let apps = resource("argoproj.io", "v1alpha1", "Application");
    let isvcs = resource("serving.kserve.io", "v1beta1", "InferenceService");
    let namespace = |w: &Watch| {
        ask.namespace
            .clone()
            .or_else(|| w.namespace.clone())
            .unwrap_or_else(|| client.default_namespace().to_string())
    };
    for w in watches {
        let api = Api::<DynamicObject>::namespaced_with(client.clone(), &namespace(w), &apps);
        refresh(&api, w, &namespace(w), progress).await?;
    }
    for (w, state) in watches.iter().zip(states.iter_mut()) {
        let ns = namespace(w);
        let api = Api::<DynamicObject>::namespaced_with(client.clone(), &ns, &apps);
        let what = format!("Argo CD application {} (namespace {ns})", w.application);
        let pending = RefCell::new(format!("{what} was not seen yet"));
        let commit = ask.commit.as_str();
        let app = within(deadline, &pending, ask, async {
            until(&api, &w.application, &what, &pending, progress, |app| {
                application(app, commit, state)
            })
            .await
        })
        .await?;
        let dest = app
            .data
            .pointer("/spec/destination/namespace")
            .and_then(Value::as_str)
            .unwrap_or(&ns)
            .to_string();
        let api = Api::<DynamicObject>::namespaced_with(client.clone(), &dest, &isvcs);
        let what = format!("InferenceService {} (namespace {dest})", w.model);
        let pending = RefCell::new(format!("{what} was not seen yet"));
        within(deadline, &pending, ask, async {
            until(&api, &w.model, &what, &pending, progress, |isvc| {
                inference_service(isvc, ask.autoscaler)
            })
            .await
        })
        .await?;
        state.ready = true;
    }
    Ok(())
}

/// Runs `work` until the deadline; on time out, says what is pending.
async fn within<T>(
    deadline: Instant,
    pending: &RefCell<String>,
    ask: &Wait<'_>,
    work: impl Future<Output = Result<T>>,
) -> Result<T> {
    match tokio::time::timeout_at(deadline, work).await {
        Ok(done) => done,
        Err(_) => Err(Error::new(
            Kind::Wait,
            format!(
                "pushed, but the deployment did not finish within {}: {}",
                shown(ask.timeout),
                pending.borrow()
            ),
        )
        .hinted(
            "wait longer with --wait-timeout, or look at the application: argocd app get NAME",
        )),
    }
}

fn shown(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match (s / 60, s % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s}s"),
    }
}

fn resource(group: &str, version: &str, kind: &str) -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind))
}

async fn connect() -> Result<Client> {
    let config = Config::infer().await.map_err(|e| {
        Error::new(
            Kind::Wait,
            format!("pushed, but --wait found no Kubernetes cluster to watch: {e}"),
        )
        .hinted("point KUBECONFIG at the cluster's kubeconfig (kubectl reads the same), or run inside the cluster with a service account")
    })?;
    Client::try_from(config).map_err(|e| {
        Error::new(
            Kind::Wait,
            format!("pushed, but the Kubernetes client could not be set up: {e}"),
        )
    })
}

/// An error and its causes, "a: b: c" (kube's own text stops at "client
/// error (Connect)"; the cause says "Connection refused").
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

/// A Kubernetes API error in the wait's terms.
fn api_error(what: &str, doing: &str, e: kube::Error) -> Error {
    let message = match &e {
        kube::Error::Api(status) if status.code == 403 => format!(
            "pushed, but --wait may not {doing} {what}: forbidden ({})",
            crate::forge::mask(&status.message)
        ),
        kube::Error::Api(status) if status.code == 404 => format!(
            "pushed, but the cluster does not know {what}'s kind ({})",
            crate::forge::mask(&status.message)
        ),
        kube::Error::Api(status) => format!(
            "pushed, but --wait could not {doing} {what}: {} (HTTP {})",
            crate::forge::mask(&status.message),
            status.code
        ),
        other => format!(
            "pushed, but --wait could not {doing} {what}: {}",
            crate::forge::mask(&chain(other))
        ),
    };
    let mut err = Error::new(Kind::Wait, message);
    if matches!(&e, kube::Error::Api(s) if s.code == 403) {
        err = err.hinted("the kubeconfig's user needs get, list, watch and patch on applications.argoproj.io, and get, list, watch on inferenceservices.serving.kserve.io");
    }
    err
}

/// Asks Argo CD to refresh the application now, as `argocd app get
/// --refresh` does, instead of at its next poll of git.
async fn refresh(
    api: &Api<DynamicObject>,
    w: &Watch,
    ns: &str,
    progress: &mut dyn FnMut(String),
) -> Result<()> {
    let what = format!("Argo CD application {} (namespace {ns})", w.application);
    let patch = json!({"metadata": {"annotations": {REFRESH: "normal"}}});
    match api
        .patch(
            &w.application,
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
    {
        Ok(_) => {
            progress(format!("Asked Argo CD to refresh {what}"));
            Ok(())
        }
        Err(kube::Error::Api(s))
            if s.code == 404
                && s.reason == "NotFound"
                && !s
                    .message
                    .contains("the server could not find the requested resource") =>
        {
            progress(format!(
                "{what} does not exist yet: waiting for its ApplicationSet to make it"
            ));
            Ok(())
        }
        Err(e) => Err(api_error(&what, "refresh", e)),
    }
}

/// Lists `name`, then watches it from the list's version, until `judge`
/// says done (the object) or degraded (an error). A watch that ends is
/// started again; an expired version lists again.
async fn until(
    api: &Api<DynamicObject>,
    name: &str,
    what: &str,
    pending: &RefCell<String>,
    progress: &mut dyn FnMut(String),
    mut judge: impl FnMut(&DynamicObject) -> Verdict,
) -> Result<DynamicObject> {
    let field = format!("metadata.name={name}");
    let note = |verdict: &Verdict, progress: &mut dyn FnMut(String)| {
        if let Verdict::Pending(state) = verdict {
            let line = format!("{what}: {state}");
            if *pending.borrow() != line {
                progress(line.clone());
                *pending.borrow_mut() = line;
            }
        }
    };
    loop {
        let list = api
            .list(&ListParams::default().fields(&field))
            .await
            .map_err(|e| api_error(what, "list", e))?;
        let mut version = list.metadata.resource_version.clone().unwrap_or_default();
        if let Some(obj) = list.items.into_iter().next() {
            match judge(&obj) {
                Verdict::Done => return Ok(obj),
                Verdict::Degraded(why) => return Err(degraded(what, why)),
                pending => note(&pending, progress),
            }
        }
        let params = WatchParams::default().fields(&field).timeout(290);
        let stream = api
            .watch(&params, &version)
            .await
            .map_err(|e| api_error(what, "watch", e))?;
        let mut stream = Box::pin(stream);
        while let Some(event) = stream.next().await {
            let obj = match event {
                Ok(WatchEvent::Added(obj)) | Ok(WatchEvent::Modified(obj)) => obj,
                Ok(WatchEvent::Deleted(_)) => {
                    note(&Verdict::Pending("deleted".to_string()), progress);
                    continue;
                }
                Ok(WatchEvent::Bookmark(b)) => {
                    version = b.metadata.resource_version;
                    continue;
                }
                // 410 Gone (the version expired) and the like: list again.
                Ok(WatchEvent::Error(_)) | Err(_) => break,
            };
            version = obj.metadata.resource_version.clone().unwrap_or(version);
            match judge(&obj) {
                Verdict::Done => return Ok(obj),
                Verdict::Degraded(why) => return Err(degraded(what, why)),
                pending => note(&pending, progress),
            }
        }
        let _ = version;
    }
}

fn degraded(what: &str, why: String) -> Error {
    Error::new(Kind::Wait, format!("pushed, but {what} is degraded: {why}"))
        .hinted("look at the application in Argo CD (argocd app get NAME) or at the model's pods")
}

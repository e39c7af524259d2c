//! One function instance: a process, and the Runtime API listener only it talks to.
//!
//! The instance holds at most one invocation ([`Instance::invoke`]): the event waits in a
//! one-slot channel until the process asks `GET /next`; its answer (`/response`, `/error`), an
//! init error, the process's exit or the timeout completes it. A watcher task owns the child
//! process and fails the held invocation the moment the process exits.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value as Json, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::net::TcpListener;
use tokio::process::Command;
use tokio::sync::{mpsc, oneshot, watch};

use crate::{FunctionConfig, InvokeError};

/// Largest response a function may return (Lambda's synchronous payload limit).
pub const MAX_PAYLOAD: usize = 6 * 1024 * 1024;

#[derive(Debug)]
struct Invocation {
    request_id: String,
    body: Vec<u8>,
    /// The caller's client context (JSON), for `Lambda-Runtime-Client-Context`.
    client_context: Option<String>,
    timeout: Duration,
    /// Fired when the process takes the event (`GET /next` answers): the function's Timeout
    /// counts from then, as on Lambda, where the init phase has its own limit.
    delivered: oneshot::Sender<()>,
}

#[derive(Debug)]
struct Pending {
    request_id: String,
    done: oneshot::Sender<Result<Vec<u8>, InvokeError>>,
}

/// A running function instance.
#[derive(Debug)]
pub struct Instance {
    /// `<function>#<n>`, in logs.
    label: String,
    /// Feeds `GET /next`.
    tx: mpsc::Sender<Invocation>,
    /// The invocation this instance holds, if any.
    pending: Mutex<Option<Pending>>,
    /// Cleared on kill or exit: a dead instance is never handed work.
    alive: AtomicBool,
    pid: Option<u32>,
    kill_tx: Mutex<Option<oneshot::Sender<()>>>,
    exited_rx: watch::Receiver<bool>,
    /// When its role session expires, seconds since the epoch.
    credentials_expire: Option<i64>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// The state the instance's Runtime API handlers share.
#[derive(Debug)]
struct Api {
    rx: tokio::sync::Mutex<mpsc::Receiver<Invocation>>,
    instance: Weak<Instance>,
    arn: String,
}

impl Instance {
    /// Starts the process with its own Runtime API listener on 127.0.0.1.
    pub async fn start(
        cfg: &FunctionConfig,
        n: u64,
        reaper: Option<Arc<crate::reaper::Reaper>>,
    ) -> std::io::Result<Arc<Instance>> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = mpsc::channel(1);
        let label = format!("{}#{n}", cfg.name);

        let mut cmd = Command::new(&cfg.command);
        // Nothing of this machine's environment reaches a function but what
        // `environment::INHERITED` names: on Lambda it has only its role's session, and an SDK
        // would otherwise find the developer's own keys (environment, ~/.aws) and call AWS.
        cmd.env_clear()
            .envs(crate::environment::of(cfg, &addr.to_string(), n))
            .args(&cfg.args)
            .current_dir(&cfg.working_dir)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            // Its own process group, so a bootstrap script's children are stopped with it.
            .process_group(0);
        let session = cfg.credentials.as_ref().and_then(|c| c.issue(&cfg.name));
        if let Some(s) = &session {
            cmd.envs(crate::environment::session(s));
        }
        let mut child = cmd.spawn().map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot start {}: {e}", cfg.command.display()),
            )
        })?;
        let pid = child.id();
        if let (Some(r), Some(p)) = (&reaper, pid) {
            r.track(p);
        }
        if let Some(out) = child.stdout.take() {
            tokio::spawn(stream(out, cfg.name.clone()));
        }
        if let Some(err) = child.stderr.take() {
            tokio::spawn(stream(err, cfg.name.clone()));
        }

        let (kill_tx, kill_rx) = oneshot::channel::<()>();
        let (exited_tx, exited_rx) = watch::channel(false);
        let instance = Arc::new(Instance {
            label: label.clone(),
            tx,
            pending: Mutex::new(None),
            alive: AtomicBool::new(true),
            pid,
            kill_tx: Mutex::new(Some(kill_tx)),
            exited_rx,
            credentials_expire: session.map(|s| s.expiration),
        });
        let api = Arc::new(Api {
            rx: tokio::sync::Mutex::new(rx),
            instance: Arc::downgrade(&instance),
            arn: cfg.arn(),
        });
        // Only the instance's own process tree may use its Runtime API; a refused peer is
        // logged once per connection.
        let admit: common::server::Admit = match pid {
            Some(root) => {
                let label = label.clone();
                std::sync::Arc::new(move |local, peer| {
                    let ok = crate::peer::held_by_tree(root, local, peer);
                    if !ok {
                        tracing::warn!(
                            "{label}: refused a Runtime API connection from {peer}, which is not the instance's process or a child of it"
                        );
                    }
                    ok
                })
            }
            None => std::sync::Arc::new(|_, _| false),
        };
        let limits = common::server::Limits {
            // The instance's connection sits idle while its function runs: no header timeout
            // (the peer is checked instead), and few connections.
            header_timeout: None,
            max_connections: 64,
            max_head_bytes: 64 * 1024,
        };
        let server = tokio::spawn(async move {
            let serve = common::server::serve(
                listener,
                router(api),
                limits,
                Some(admit),
                std::future::pending(),
            );
            if let Err(e) = serve.await {
                tracing::warn!("runtime API listener failed: {e}");
            }
        });

        let weak = Arc::downgrade(&instance);
        tokio::spawn(async move {
            let status = tokio::select! {
                s = child.wait() => s,
                _ = kill_rx => {
                    if let Some(pid) = pid {
                        kill_group(pid);
                    }
                    let _ = child.start_kill();
                    child.wait().await
                }
            };
            let why = match status {
                Ok(s) => format!("the process exited ({s})"),
                Err(e) => format!("the process could not be waited for: {e}"),
            };
            if let Some(i) = weak.upgrade() {
                i.alive.store(false, Ordering::SeqCst);
                if let Some(p) = lock(&i.pending).take() {
                    let _ = p.done.send(Err(InvokeError::Crashed(why.clone())));
                }
            }
            tracing::debug!("{label}: {why}");
            if let Some(p) = pid {
                // The group may hold a bootstrap script's children: they go with it.
                kill_group(p);
                if let Some(r) = &reaper {
                    r.forget(p);
                }
            }
            server.abort();
            let _ = exited_tx.send(true);
        });
        Ok(instance)
    }

    /// Whether its role session ends within [`crate::CREDENTIALS_MARGIN_SECS`].
    pub fn credentials_expire_soon(&self) -> bool {
        let now = i64::try_from(now_ms() / 1000).unwrap_or(i64::MAX);
        self.credentials_expire
            .is_some_and(|e| e - now < crate::CREDENTIALS_MARGIN_SECS)
    }

    /// Whether it may take work.
    pub fn is_alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }

    /// The process id.
    pub fn pid(&self) -> Option<u32> {
        self.pid.filter(|_| !*self.exited_rx.borrow())
    }

    /// Stops the process (and its group); the held invocation fails.
    pub fn kill(&self) {
        self.alive.store(false, Ordering::SeqCst);
        if let Some(k) = lock(&self.kill_tx).take() {
            let _ = k.send(());
        }
    }

    /// Waits until the process is gone.
    pub async fn exited(&self) {
        let mut rx = self.exited_rx.clone();
        let _ = rx.wait_for(|e| *e).await;
    }

    /// Hands `event` to the process, which has `init` to take it (a new instance to start,
    /// `cold`; a warm one to come back to `/next`), and then `timeout` to answer.
    pub async fn invoke(
        &self,
        event: Vec<u8>,
        client_context: Option<String>,
        timeout: Duration,
        init: Duration,
        cold: bool,
    ) -> Result<Vec<u8>, InvokeError> {
        let request_id = common::id::uuid();
        let (done_tx, done_rx) = oneshot::channel();
        *lock(&self.pending) = Some(Pending {
            request_id: request_id.clone(),
            done: done_tx,
        });
        // Checked after `pending` is set: an exit from now on fails it through the watcher.
        if !self.is_alive() {
            lock(&self.pending).take();
            return Err(InvokeError::Crashed("the instance had stopped".into()));
        }
        let (delivered_tx, delivered_rx) = oneshot::channel();
        let inv = Invocation {
            request_id,
            body: event,
            client_context,
            timeout,
            delivered: delivered_tx,
        };
        if self.tx.send(inv).await.is_err() {
            lock(&self.pending).take();
            return Err(InvokeError::Crashed("the instance had stopped".into()));
        }
        let expired = |why: String| {
            lock(&self.pending).take();
            tracing::warn!("{}: {why}; stopping it", self.label);
            self.kill();
            Err(InvokeError::Timeout(timeout))
        };
        // A warm instance is in `/next` or on its way back there; a new one starts first. (The
        // held invocation may also end before delivery: a crash at start.)
        let mut done_rx = done_rx;
        tokio::select! {
            biased;
            r = &mut done_rx => {
                return r.unwrap_or_else(|_| Err(InvokeError::Crashed("the instance stopped".into())));
            }
            d = tokio::time::timeout(init, delivered_rx) => {
                if !matches!(d, Ok(Ok(()))) {
                    let since = if cold { "of starting" } else { "of its last answer" };
                    return expired(format!("did not ask for its event within {init:?} {since}"));
                }
            }
        }
        match tokio::time::timeout(timeout, done_rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(InvokeError::Crashed("the instance stopped".into())),
            Err(_) => expired(format!("timed out after {timeout:?}")),
        }
    }

    /// Completes the held invocation if `request_id` is it.
    fn complete(&self, request_id: &str, result: Result<Vec<u8>, InvokeError>) -> bool {
        let mut slot = lock(&self.pending);
        match slot.take() {
            Some(p) if p.request_id == request_id => {
                let _ = p.done.send(result);
                true
            }
            other => {
                *slot = other;
                false
            }
        }
    }
}

/// SIGKILL to the instance's whole process group (a bootstrap script's children too).
pub(crate) fn kill_group(pid: u32) {
    if let Some(pgid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        // ESRCH (already gone) is the only failure left once the pid is ours.
        let _ = rustix::process::kill_process_group(pgid, rustix::process::Signal::KILL);
    }
}

async fn stream(pipe: impl AsyncRead + Unpin, name: String) {
    let mut lines = BufReader::new(pipe).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        eprintln!("{name} | {line}");
    }
}

fn router(api: Arc<Api>) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(api)
}

fn accepted() -> Response {
    (StatusCode::ACCEPTED, json!({"status": "OK"}).to_string()).into_response()
}

fn runtime_error(status: StatusCode, kind: &str, message: &str) -> Response {
    (
        status,
        json!({"errorMessage": message, "errorType": kind}).to_string(),
    )
        .into_response()
}

/// `GET /next`: blocks until there is an event (a release `lambda_runtime` cannot take a 204).
async fn next(State(api): State<Arc<Api>>) -> Response {
    let inv = api.rx.lock().await.recv().await;
    let Some(inv) = inv else {
        return runtime_error(
            StatusCode::GONE,
            "InstanceStopped",
            "this instance is stopping",
        );
    };
    let _ = inv.delivered.send(());
    let deadline = now_ms() + inv.timeout.as_millis();
    let mut trace_tail = [0u8; 12];
    common::id::random_bytes(&mut trace_tail);
    let trace = format!(
        "Root=1-{:08x}-{};Parent={};Sampled=0",
        now_ms() / 1000,
        common::encoding::hex(&trace_tail),
        &common::encoding::hex(&trace_tail)[..16]
    );
    let mut resp = Response::new(Body::from(inv.body));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for (name, value) in [
        ("lambda-runtime-aws-request-id", inv.request_id),
        ("lambda-runtime-deadline-ms", deadline.to_string()),
        ("lambda-runtime-invoked-function-arn", api.arn.clone()),
        ("lambda-runtime-trace-id", trace),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    if let Some(v) = inv
        .client_context
        .as_deref()
        .and_then(|c| HeaderValue::from_str(c).ok())
    {
        h.insert("lambda-runtime-client-context", v);
    }
    resp
}

async fn response(State(api): State<Arc<Api>>, Path(id): Path<String>, body: Body) -> Response {
    let Some(instance) = api.instance.upgrade() else {
        return runtime_error(
            StatusCode::GONE,
            "InstanceStopped",
            "this instance is stopping",
        );
    };
    match axum::body::to_bytes(body, MAX_PAYLOAD).await {
        Ok(bytes) => {
            if instance.complete(&id, Ok(bytes.to_vec())) {
                accepted()
            } else {
                runtime_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequestID",
                    "Invalid request ID",
                )
            }
        }
        Err(_) => {
            instance.complete(
                &id,
                Err(InvokeError::Function {
                    error_type: "Function.ResponseSizeTooLarge".into(),
                    message: format!("Response payload size exceeded maximum allowed payload size ({MAX_PAYLOAD} bytes)."),
                    payload: None,
                }),
            );
            runtime_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                "payload too large",
            )
        }
    }
}

/// What a runtime reported on `/error` or `/init/error`.
struct Reported {
    error_type: String,
    message: String,
    /// The body, when it was a JSON object.
    payload: Option<Vec<u8>>,
}

fn error_fields(bytes: &[u8]) -> Reported {
    let v: Json = serde_json::from_slice(bytes).unwrap_or(Json::Null);
    Reported {
        error_type: v["errorType"].as_str().unwrap_or("Unhandled").to_string(),
        message: v["errorMessage"].as_str().map_or_else(
            || String::from_utf8_lossy(bytes).into_owned(),
            str::to_string,
        ),
        payload: v.is_object().then(|| bytes.to_vec()),
    }
}

/// What `/error` and `/init/error` both read: the instance (410 once it is gone) and the
/// error the runtime reports.
async fn reported(api: &Api, body: Body) -> Result<(Arc<Instance>, Reported), Response> {
    let Some(instance) = api.instance.upgrade() else {
        return Err(runtime_error(
            StatusCode::GONE,
            "InstanceStopped",
            "this instance is stopping",
        ));
    };
    let bytes = axum::body::to_bytes(body, MAX_PAYLOAD)
        .await
        .unwrap_or_default();
    Ok((instance, error_fields(&bytes)))
}

async fn error(State(api): State<Arc<Api>>, Path(id): Path<String>, body: Body) -> Response {
    let (instance, r) = match reported(&api, body).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    tracing::warn!("{}: {}: {}", instance.label, r.error_type, r.message);
    if instance.complete(
        &id,
        Err(InvokeError::Function {
            error_type: r.error_type,
            message: r.message,
            payload: r.payload,
        }),
    ) {
        accepted()
    } else {
        runtime_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestID",
            "Invalid request ID",
        )
    }
}

async fn init_error(State(api): State<Arc<Api>>, body: Body) -> Response {
    let (
        instance,
        Reported {
            error_type: kind,
            message,
            ..
        },
    ) = match reported(&api, body).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    tracing::warn!("{}: init error: {kind}: {message}", instance.label);
    let pending = lock(&instance.pending).take();
    if let Some(p) = pending {
        let _ = p.done.send(Err(InvokeError::Crashed(format!(
            "init error: {kind}: {message}"
        ))));
    }
    instance.kill();
    accepted()
}

//! Functions as real processes speaking the Lambda Runtime API.
//!
//! # Layout
//! - [`Host`] (this file): the functions, each a pool of warm instances up to its concurrency
//!   limit; [`Host::invoke`] hands an event to an idle instance (starting one if needed) and
//!   waits for its answer within the function's Timeout.
//! - [`instance`]: one process and its own Runtime API listener (`/2018-06-01/runtime/...`):
//!   the listener knows which process holds which request, so a timeout kills the right one.
//! - [`build`]: building functions as `sam build` does before they start: Rust with cargo,
//!   Node.js with esbuild, anything with a Makefile.
//! - [`runtime`]: how each runtime's process starts (our Python and Node.js bootstraps).
//! - [`environment`]: the variables a function's process starts with, as Lambda sets them.
//! - [`sdk`]: the AWS SDK each runtime ships, installed once into a shared cache.
//! - [`deps`]: a function's (or layer's) pip and npm dependencies, installed once.
//! - [`peer`]: who is on the other end of a Runtime API connection (only the instance's own
//!   process tree is served).
//! - [`reaper`]: a process that kills the instances if gatehouse dies without doing it.

pub mod build;
pub mod deps;
pub mod environment;
pub mod instance;
pub mod peer;
pub mod reaper;
pub mod runtime;
pub mod sdk;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::instance::Instance;

/// How to run one function.
#[derive(Debug, Clone)]
pub struct FunctionConfig {
    /// The function's name (its logical id in the template).
    pub name: String,
    /// The executable: a built binary, a `bootstrap`, or an interpreter.
    pub command: PathBuf,
    /// Its arguments (an interpreter's: our bootstrap).
    pub args: Vec<String>,
    /// `Runtime` (`provided.al2023`, `python3.12`, ...), for `AWS_EXECUTION_ENV`.
    pub runtime: String,
    /// Why the function cannot run here, when it cannot (an unsupported runtime): its
    /// invocations fail with this, and nothing is started.
    pub unavailable: Option<String>,
    /// Its working directory (`LAMBDA_TASK_ROOT`).
    pub working_dir: PathBuf,
    /// Where the runtime's own files are (`LAMBDA_RUNTIME_DIR`): gatehouse's bootstraps.
    pub runtime_dir: PathBuf,
    /// `Environment.Variables`.
    pub env: Vec<(String, String)>,
    /// `Timeout`.
    pub timeout: Duration,
    /// `MemorySize`, MB.
    pub memory_mb: u32,
    /// `ReservedConcurrentExecutions`, else 10: instances never exceed it.
    pub concurrency: usize,
    /// `Handler` (`_HANDLER`).
    pub handler: String,
    /// Region, for `AWS_REGION` and the ARN.
    pub region: String,
    /// Account, for the ARN.
    pub account_id: String,
    /// Where its execution role's credentials come from: each instance starts with a fresh
    /// session in `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`, as on
    /// Lambda. None: the instance gets none of them.
    pub credentials: Option<Arc<dyn RoleCredentials>>,
}

/// A function's execution role session, as Lambda hands it to each execution environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret: String,
    /// `AWS_SESSION_TOKEN`.
    pub session_token: String,
    /// When it expires, seconds since the epoch: a warm instance is replaced before then.
    pub expiration: i64,
}

/// Issues role sessions for functions (the CLI meets it with the local IAM).
pub trait RoleCredentials: Send + Sync + std::fmt::Debug {
    /// A new session of `function`'s role; none when it has no role that Lambda may assume.
    fn issue(&self, function: &str) -> Option<Session>;
}

/// A warm instance whose role session has less than this left is replaced, so a function never
/// runs with expired credentials.
pub const CREDENTIALS_MARGIN_SECS: i64 = 300;

impl FunctionConfig {
    /// `arn:aws:lambda:<region>:<account>:function:<name>`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{}",
            self.region, self.account_id, self.name
        )
    }
}

pub use apispec::InvokeError;

/// The time an instance has to ask for its event: a new one to start (Lambda's init phase,
/// 10 s), a warm one to come back to `/next` after its last answer (it is idle again as soon
/// as it answers, before it asks; on a loaded machine that can take a while). The function's
/// Timeout counts from when it takes the event.
pub const INIT_GRACE: Duration = Duration::from_secs(10);

/// One invocation, start to end, holding a permit for its whole length.
async fn run(
    f: Arc<Function>,
    ids: Arc<AtomicU64>,
    reaper: Option<Arc<reaper::Reaper>>,
    event: Vec<u8>,
    client_context: Option<String>,
) -> Result<Vec<u8>, InvokeError> {
    if let Some(why) = &f.config.unavailable {
        return Err(InvokeError::Crashed(why.clone()));
    }
    let _permit = f
        .permits
        .acquire()
        .await
        .map_err(|_| InvokeError::Crashed("the function is shutting down".into()))?;
    let warm = loop {
        let candidate = lock(&f.idle).pop();
        match candidate {
            Some(i) if i.credentials_expire_soon() => i.kill(),
            Some(i) if i.is_alive() => break Some(i),
            Some(_) => continue,
            None => break None,
        }
    };
    let (instance, cold) = match warm {
        Some(i) => (i, false),
        None => {
            let id = ids.fetch_add(1, Ordering::Relaxed);
            let i = Instance::start(&f.config, id, reaper)
                .await
                .map_err(|e| InvokeError::Crashed(e.to_string()))?;
            lock(&f.all).push(Arc::clone(&i));
            (i, true)
        }
    };
    let outcome = instance
        .invoke(event, client_context, f.config.timeout, INIT_GRACE, cold)
        .await;
    let keep = !f.retired.load(Ordering::SeqCst);
    match &outcome {
        Ok(_) | Err(InvokeError::Function { .. }) if keep && instance.is_alive() => {
            lock(&f.idle).push(instance);
        }
        _ => {
            instance.kill();
            lock(&f.all).retain(|i| i.is_alive());
        }
    }
    outcome
}

/// One function's instances.
#[derive(Debug)]
struct Function {
    config: FunctionConfig,
    /// Bounds concurrent invocations, and so the number of instances.
    permits: Semaphore,
    /// Warm instances waiting in `/next`.
    idle: Mutex<Vec<Arc<Instance>>>,
    /// Every live instance, for shutdown and counting.
    all: Mutex<Vec<Arc<Instance>>>,
    /// Set when a new version replaced this one: instances stop once their request is done.
    retired: std::sync::atomic::AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// All functions of the stack.
#[derive(Debug, Default)]
pub struct Host {
    /// Kills the instances if this process dies first (SIGKILL); none in tests.
    reaper: Option<Arc<reaper::Reaper>>,
    functions: RwLock<HashMap<String, Arc<Function>>>,
    /// Replaced versions whose instances may still be finishing a request.
    retired: Mutex<Vec<Arc<Function>>>,
    next_instance: Arc<AtomicU64>,
}

impl Host {
    /// An empty host.
    pub fn new() -> Arc<Host> {
        Arc::new(Host::default())
    }

    /// An empty host whose instances `reaper` kills if this process dies without stopping
    /// them.
    pub fn with_reaper(reaper: reaper::Reaper) -> Arc<Host> {
        Arc::new(Host {
            reaper: Some(Arc::new(reaper)),
            ..Host::default()
        })
    }

    /// The reaper, for other children of this process that must die with it too.
    pub fn reaper(&self) -> Option<&Arc<reaper::Reaper>> {
        self.reaper.as_ref()
    }

    /// Adds (or replaces) a function. A replaced version's idle instances stop now; its busy
    /// ones finish the request they hold (nothing in flight is dropped), then stop.
    pub fn add(&self, config: FunctionConfig) {
        let f = Arc::new(Function {
            permits: Semaphore::new(config.concurrency.max(1)),
            config,
            idle: Mutex::new(Vec::new()),
            all: Mutex::new(Vec::new()),
            retired: std::sync::atomic::AtomicBool::new(false),
        });
        let old = self
            .functions
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(f.config.name.clone(), f);
        if let Some(old) = old {
            old.retired.store(true, Ordering::SeqCst);
            for i in lock(&old.idle).drain(..) {
                i.kill();
            }
            let mut retired = lock(&self.retired);
            retired.retain(|r| lock(&r.all).iter().any(|i| i.is_alive()));
            retired.push(old);
        }
    }

    /// Whether `name` is a function of the host.
    pub fn has(&self, name: &str) -> bool {
        self.function(name).is_some()
    }

    /// How many instances of `name` are running.
    pub fn instances(&self, name: &str) -> usize {
        self.function(name)
            .map_or(0, |f| lock(&f.all).iter().filter(|i| i.is_alive()).count())
    }

    /// Process ids of every live instance (for tests and `gatehouse` diagnostics).
    pub fn pids(&self) -> Vec<u32> {
        let map = self
            .functions
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.values()
            .flat_map(|f| {
                lock(&f.all)
                    .iter()
                    .filter_map(|i| i.pid())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn function(&self, name: &str) -> Option<Arc<Function>> {
        let map = self
            .functions
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(name).cloned()
    }

    /// Runs one event through `name` and returns its response payload.
    ///
    /// The invocation runs in its own task: a caller that stops waiting (a client that
    /// disconnected) does not strand the instance, which finishes and goes back to the pool.
    pub async fn invoke(&self, name: &str, event: Vec<u8>) -> Result<Vec<u8>, InvokeError> {
        self.invoke_with_client_context(name, event, None).await
    }

    /// [`Host::invoke`] with a client context (JSON) for the function's context object, as
    /// Lambda's Invoke API passes `X-Amz-Client-Context` on (`Lambda-Runtime-Client-Context`).
    pub async fn invoke_with_client_context(
        &self,
        name: &str,
        event: Vec<u8>,
        client_context: Option<String>,
    ) -> Result<Vec<u8>, InvokeError> {
        let f = self
            .function(name)
            .ok_or_else(|| InvokeError::UnknownFunction(name.to_string()))?;
        let ids = Arc::clone(&self.next_instance);
        tokio::spawn(run(f, ids, self.reaper.clone(), event, client_context))
            .await
            .unwrap_or_else(|e| Err(InvokeError::Crashed(format!("the invocation failed: {e}"))))
    }

    /// Stops every instance of every function and waits until their processes are gone.
    pub async fn shutdown(&self) {
        let all: Vec<Arc<Instance>> = {
            let map = self
                .functions
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            // No invocation starts an instance from now on (a queued Event one included).
            for f in map.values() {
                f.permits.close();
            }
            map.values().flat_map(|f| lock(&f.all).clone()).collect()
        };
        for i in &all {
            i.kill();
        }
        for i in &all {
            i.exited().await;
        }
        if let Some(r) = &self.reaper {
            let r = Arc::clone(r);
            let _ = tokio::task::spawn_blocking(move || r.finish()).await;
        }
    }
}

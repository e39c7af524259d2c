//! The environment a function's process starts with: what Lambda sets (AWS's "Defined runtime
//! environment variables", reserved and unreserved), local values where Lambda's would point at
//! its own file system, and nothing else of this machine's but the few variables below.
//!
//! Differences from Lambda, chosen here: `PATH` is this machine's (its interpreters and tools,
//! not `/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin`); `LAMBDA_TASK_ROOT` is the code
//! folder (or its staged copy), `LAMBDA_RUNTIME_DIR` the folder of gatehouse's bootstraps; the
//! X-Ray daemon address is loopback's (no daemon listens: the X-Ray SDKs' UDP segments go
//! nowhere, as `AWS_XRAY_CONTEXT_MISSING=LOG_ERROR` allows); three variables keep the SDKs
//! off this machine's own AWS configuration (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`
//! at `/dev/null`, `AWS_EC2_METADATA_DISABLED`); and `PYTHONDONTWRITEBYTECODE` stands for the
//! read-only task root.

use std::ffi::OsString;
use std::path::Path;

use crate::FunctionConfig;

/// This machine's variables a function keeps: where programs are, who the user is, the
/// temporary folder, certificate bundles and proxies (a function calling an emulator over
/// https needs the same trust store the developer set up). Everything else of gatehouse's
/// environment stays out (tokens, the developer's AWS profile, other tools' settings).
pub const INHERITED: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "TMPDIR",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NODE_EXTRA_CA_CERTS",
    "REQUESTS_CA_BUNDLE",
    "AWS_CA_BUNDLE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
];

/// Lambda's X-Ray daemon address, here loopback's (see the module's note).
const XRAY_HOST: &str = "127.0.0.1";
const XRAY_PORT: &str = "2000";

/// The environment of instance `n` of `cfg`, whose Runtime API listens at `runtime_api`: the
/// inherited variables, then the template's `Environment.Variables`, then Lambda's own (which
/// a template cannot override: CloudFormation refuses its reserved keys), in that order.
pub fn of(cfg: &FunctionConfig, runtime_api: &str, n: u64) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = INHERITED
        .iter()
        .filter_map(|k| std::env::var_os(k).map(|v| (OsString::from(k), v)))
        .collect();
    let mut set = |k: &str, v: OsString| match env.iter_mut().find(|(own, _)| own == k) {
        Some((_, old)) => *old = v,
        None => env.push((k.into(), v)),
    };
    for (k, v) in &cfg.env {
        set(k, v.into());
    }
    let task_root = cfg.working_dir.as_os_str();
    let text = |s: &str| OsString::from(s);
    let lambda: [(&str, OsString); 22] = [
        ("AWS_LAMBDA_RUNTIME_API", text(runtime_api)),
        ("AWS_LAMBDA_FUNCTION_NAME", text(&cfg.name)),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            text(&cfg.memory_mb.to_string()),
        ),
        ("AWS_LAMBDA_FUNCTION_VERSION", text("$LATEST")),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            text(&format!("/aws/lambda/{}", cfg.name)),
        ),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            text(&format!("local/[$LATEST]{n:032x}")),
        ),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", text("on-demand")),
        ("AWS_REGION", text(&cfg.region)),
        ("AWS_DEFAULT_REGION", text(&cfg.region)),
        (
            "AWS_EXECUTION_ENV",
            text(&format!("AWS_Lambda_{}", cfg.runtime)),
        ),
        ("_HANDLER", text(&cfg.handler)),
        ("LAMBDA_TASK_ROOT", task_root.to_os_string()),
        (
            "LAMBDA_RUNTIME_DIR",
            cfg.runtime_dir.as_os_str().to_os_string(),
        ),
        ("TZ", text(":UTC")),
        ("LANG", text("en_US.UTF-8")),
        (
            "LD_LIBRARY_PATH",
            library_path(&cfg.working_dir, &cfg.runtime_dir),
        ),
        ("AWS_XRAY_CONTEXT_MISSING", text("LOG_ERROR")),
        (
            "AWS_XRAY_DAEMON_ADDRESS",
            text(&format!("{XRAY_HOST}:{XRAY_PORT}")),
        ),
        ("_AWS_XRAY_DAEMON_ADDRESS", text(XRAY_HOST)),
        ("_AWS_XRAY_DAEMON_PORT", text(XRAY_PORT)),
        // Keep the SDKs off this machine's AWS configuration (see the module's note).
        ("AWS_SHARED_CREDENTIALS_FILE", text("/dev/null")),
        ("AWS_CONFIG_FILE", text("/dev/null")),
    ];
    for (k, v) in lambda {
        set(k, v);
    }
    set("AWS_EC2_METADATA_DISABLED", text("true"));
    // Lambda's task root is read-only, so Python writes no bytecode there; here it would write
    // `__pycache__` into the developer's sources, and a `.pyc` made in the same second as an
    // edit of the same size hides the edit from a reloaded instance.
    set("PYTHONDONTWRITEBYTECODE", text("1"));
    env
}

/// The execution role's session, in the variables Lambda puts it in (`AWS_ACCESS_KEY` too,
/// which AWS's list has beside `AWS_ACCESS_KEY_ID`).
pub fn session(s: &crate::Session) -> [(&'static str, &str); 4] {
    [
        ("AWS_ACCESS_KEY_ID", s.access_key.as_str()),
        ("AWS_ACCESS_KEY", s.access_key.as_str()),
        ("AWS_SECRET_ACCESS_KEY", s.secret.as_str()),
        ("AWS_SESSION_TOKEN", s.session_token.as_str()),
    ]
}

/// Lambda's `LD_LIBRARY_PATH` (`…:$LAMBDA_RUNTIME_DIR:$LAMBDA_RUNTIME_DIR/lib:$LAMBDA_TASK_ROOT:
/// $LAMBDA_TASK_ROOT/lib:/opt/lib`) with this machine's folders, then this machine's own.
fn library_path(task_root: &Path, runtime_dir: &Path) -> OsString {
    let mut dirs = vec![
        runtime_dir.to_path_buf(),
        runtime_dir.join("lib"),
        task_root.to_path_buf(),
        task_root.join("lib"),
    ];
    if let Some(own) = std::env::var_os("LD_LIBRARY_PATH") {
        dirs.extend(std::env::split_paths(&own));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

//! The host with real `lambda_runtime` processes: warm reuse, the concurrency limit, crashes,
//! timeouts, init failures and function errors, and nothing left running after shutdown.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lambda::{FunctionConfig, Host, InvokeError};
use serde_json::{Value, json};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

async fn test_binary(name: &str) -> PathBuf {
    lambda::build::cargo_build(&workspace().join("tests/functions"), name)
        .await
        .expect("the test functions build")
}

async fn config(bin: &str, fault: &str, timeout_ms: u64, concurrency: usize) -> FunctionConfig {
    FunctionConfig {
        name: format!("{bin}-{fault}"),
        command: test_binary(bin).await,
        args: Vec::new(),
        runtime: "provided.al2023".into(),
        unavailable: None,
        working_dir: workspace(),
        runtime_dir: workspace(),
        env: vec![
            ("FAULT".into(), fault.into()),
            ("ECHO_VAR".into(), "from-template".into()),
        ],
        timeout: Duration::from_millis(timeout_ms),
        memory_mb: 128,
        concurrency,
        handler: "bootstrap".into(),
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        credentials: None,
    }
}

fn alive(pid: u32) -> bool {
    // A zombie is as good as gone: read the state from /proc.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.split(' ').nth(2).is_none_or(|st| st != "Z"))
        .unwrap_or(false)
}

#[tokio::test]
async fn warm_instance_is_reused_and_gets_lambdas_variables() {
    let host = Host::new();
    let cfg = config("echo", "none", 3000, 10).await;
    let name = cfg.name.clone();
    host.add(cfg);
    let first: Value =
        serde_json::from_slice(&host.invoke(&name, b"{\"n\":1}".to_vec()).await.expect("ok"))
            .expect("json");
    let second: Value =
        serde_json::from_slice(&host.invoke(&name, b"{\"n\":2}".to_vec()).await.expect("ok"))
            .expect("json");
    assert_eq!(host.instances(&name), 1, "one warm instance served both");
    let body: Value = serde_json::from_str(second["body"].as_str().expect("body")).expect("json");
    assert_eq!(body["event"], json!({"n": 2}));
    assert_ne!(first["body"], second["body"]);
    let env = &body["env"];
    assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], name);
    assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "128");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
    assert_eq!(env["AWS_REGION"], "us-east-1");
    assert_eq!(env["ECHO_VAR"], "from-template");
    assert_eq!(env["TZ"], ":UTC");
    host.shutdown().await;
}

/// Sessions numbered in order, each expiring `ttl` seconds after it is issued.
#[derive(Debug)]
struct Sessions {
    issued: std::sync::atomic::AtomicU64,
    ttl: i64,
}

impl lambda::RoleCredentials for Sessions {
    fn issue(&self, function: &str) -> Option<lambda::Session> {
        let n = self
            .issued
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let now = i64::try_from(common::date::now_secs()).expect("now");
        Some(lambda::Session {
            access_key: format!("ASIA{n}"),
            secret: format!("secret-{function}"),
            session_token: format!("token-{n}"),
            expiration: now + self.ttl,
        })
    }
}

#[tokio::test]
async fn each_instance_gets_a_role_session_and_is_replaced_before_it_expires() {
    for (ttl, instances_expected) in [(3600, ["ASIA0", "ASIA0"]), (60, ["ASIA0", "ASIA1"])] {
        let host = Host::new();
        let mut cfg = config("echo", "none", 3000, 10).await;
        cfg.credentials = Some(Arc::new(Sessions {
            issued: 0.into(),
            ttl,
        }));
        let name = cfg.name.clone();
        host.add(cfg);
        let mut seen = Vec::new();
        for _ in 0..2 {
            let out: Value =
                serde_json::from_slice(&host.invoke(&name, b"{}".to_vec()).await.expect("ok"))
                    .expect("json");
            let body: Value =
                serde_json::from_str(out["body"].as_str().expect("body")).expect("json");
            let env = &body["env"];
            assert_eq!(env["AWS_SECRET_ACCESS_KEY"], format!("secret-{name}"));
            assert_eq!(
                env["AWS_SESSION_TOKEN"],
                env["AWS_ACCESS_KEY_ID"]
                    .as_str()
                    .expect("key")
                    .replace("ASIA", "token-")
            );
            seen.push(env["AWS_ACCESS_KEY_ID"].as_str().expect("key").to_string());
        }
        // A session with less than five minutes left is not handed to the next invocation.
        assert_eq!(seen, instances_expected, "ttl {ttl}");
        host.shutdown().await;
    }
}

#[tokio::test]
async fn concurrency_limit_bounds_instances() {
    let host = Host::new();
    let cfg = config("echo", "none", 3000, 2).await;
    let name = cfg.name.clone();
    host.add(cfg);
    let calls: Vec<_> = (0..8)
        .map(|i| {
            let host = Arc::clone(&host);
            let name = name.clone();
            tokio::spawn(async move {
                host.invoke(&name, format!("{{\"i\":{i}}}").into_bytes())
                    .await
            })
        })
        .collect();
    for c in calls {
        c.await.expect("task").expect("invocation");
    }
    assert!(
        host.instances(&name) <= 2,
        "{} instances",
        host.instances(&name)
    );
    host.shutdown().await;
}

#[tokio::test]
async fn crash_fails_the_invocation_and_the_next_one_gets_a_new_instance() {
    let host = Host::new();
    let cfg = config("fault", "none", 3000, 10).await;
    let name = cfg.name.clone();
    host.add(cfg);
    let crash = json!({"queryStringParameters": {"fault": "crash"}})
        .to_string()
        .into_bytes();
    match host.invoke(&name, crash).await {
        Err(InvokeError::Crashed(why)) => assert!(why.contains("exited"), "{why}"),
        other => panic!("expected a crash, got {other:?}"),
    }
    let ok = host
        .invoke(&name, b"{}".to_vec())
        .await
        .expect("a fresh instance serves");
    assert_eq!(
        serde_json::from_slice::<Value>(&ok).expect("json")["body"],
        "ok"
    );
    host.shutdown().await;
}

#[tokio::test]
async fn hang_past_timeout_is_killed_and_replaced() {
    let host = Host::new();
    let cfg = config("fault", "none", 500, 10).await;
    let name = cfg.name.clone();
    host.add(cfg);
    // Warm it first, so the timeout is the function's own and not the start-up grace.
    host.invoke(&name, b"{}".to_vec()).await.expect("warm");
    let pids = host.pids();
    let hang = json!({"queryStringParameters": {"fault": "hang"}})
        .to_string()
        .into_bytes();
    let started = std::time::Instant::now();
    assert_eq!(
        host.invoke(&name, hang).await,
        Err(InvokeError::Timeout(Duration::from_millis(500)))
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        pids.iter().all(|p| !alive(*p)),
        "the hung process was killed"
    );
    host.invoke(&name, b"{}".to_vec())
        .await
        .expect("the next request is served");
    host.shutdown().await;
}

#[tokio::test]
async fn function_error_keeps_the_instance_warm() {
    let host = Host::new();
    let cfg = config("fault", "none", 3000, 10).await;
    let name = cfg.name.clone();
    host.add(cfg);
    let err = json!({"queryStringParameters": {"fault": "error"}})
        .to_string()
        .into_bytes();
    match host.invoke(&name, err).await {
        Err(InvokeError::Function { message, .. }) => {
            assert!(message.contains("failing on purpose"), "{message}")
        }
        other => panic!("expected a function error, got {other:?}"),
    }
    host.invoke(&name, b"{}".to_vec())
        .await
        .expect("same instance still serves");
    assert_eq!(host.instances(&name), 1);
    host.shutdown().await;
}

#[tokio::test]
async fn exit_at_start_is_a_crash_not_a_hang() {
    let host = Host::new();
    let cfg = config("fault", "init-exit", 3000, 10).await;
    let name = cfg.name.clone();
    host.add(cfg);
    let started = std::time::Instant::now();
    assert!(matches!(
        host.invoke(&name, b"{}".to_vec()).await,
        Err(InvokeError::Crashed(_))
    ));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "no waiting for a timeout"
    );
    host.shutdown().await;
}

#[tokio::test]
async fn shutdown_leaves_no_process_behind() {
    let host = Host::new();
    let cfg = config("echo", "none", 3000, 4).await;
    let name = cfg.name.clone();
    host.add(cfg);
    let calls: Vec<_> = (0..4)
        .map(|_| {
            let host = Arc::clone(&host);
            let name = name.clone();
            tokio::spawn(async move { host.invoke(&name, b"{}".to_vec()).await })
        })
        .collect();
    for c in calls {
        c.await.expect("task").expect("ok");
    }
    let pids = host.pids();
    assert!(!pids.is_empty());
    host.shutdown().await;
    assert!(pids.iter().all(|p| !alive(*p)), "{pids:?} still running");
}

#[tokio::test]
async fn unknown_function_is_named() {
    let host = Host::new();
    assert_eq!(
        host.invoke("Nope", b"{}".to_vec()).await,
        Err(InvokeError::UnknownFunction("Nope".into()))
    );
}

#[tokio::test]
async fn replacing_a_function_lets_in_flight_requests_finish_then_stops_old_instances() {
    let host = Host::new();
    let mut cfg = config("fault", "none", 5000, 10).await;
    cfg.name = "replaced".into();
    host.add(cfg.clone());
    host.invoke("replaced", b"{}".to_vec()).await.expect("warm");
    let old_pids = host.pids();
    // A slow request in flight on the old version while the new one is added.
    let slow = {
        let host = Arc::clone(&host);
        tokio::spawn(async move {
            let ev = json!({"queryStringParameters": {"fault": "sleep"}})
                .to_string()
                .into_bytes();
            host.invoke("replaced", ev).await
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut new_cfg = cfg.clone();
    new_cfg.command = test_binary("echo").await;
    host.add(new_cfg);
    let slept: Value = serde_json::from_slice(
        &slow
            .await
            .expect("task")
            .expect("the in-flight request completed"),
    )
    .expect("json");
    assert_eq!(slept["body"], "slept", "answered by the old version");
    let now: Value =
        serde_json::from_slice(&host.invoke("replaced", b"{}".to_vec()).await.expect("ok"))
            .expect("json");
    assert!(
        now["body"].as_str().expect("body").contains("event"),
        "the new version answers: {now}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(old_pids.iter().all(|p| !alive(*p)), "old instances stopped");
    host.shutdown().await;
}

#[tokio::test]
async fn a_caller_that_gives_up_does_not_strand_the_instance() {
    let host = Host::new();
    let cfg = config("fault", "none", 5000, 10).await;
    let name = cfg.name.clone();
    host.add(cfg);
    host.invoke(&name, b"{}".to_vec()).await.expect("warm");
    // The caller goes away (a client disconnected) while the instance works.
    let slow = json!({"queryStringParameters": {"fault": "sleep"}})
        .to_string()
        .into_bytes();
    let gave_up = tokio::time::timeout(Duration::from_millis(200), host.invoke(&name, slow)).await;
    assert!(gave_up.is_err(), "the caller stopped waiting");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    // The instance finished its work and serves the next request: no second instance.
    host.invoke(&name, b"{}".to_vec()).await.expect("served");
    assert_eq!(host.instances(&name), 1);
    host.shutdown().await;
}

/// A runtime that answers, then takes `LINGER` seconds before it asks for the next event (a
/// function that does work after answering, or a machine too busy to schedule it at once).
const LINGERING_RUNTIME: &str = r#"
import json, os, time, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(api + "next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    body = json.dumps({"got": event, "pid": os.getpid()}).encode()
    urllib.request.urlopen(urllib.request.Request(api + rid + "/response", data=body, method="POST")).read()
    time.sleep(float(os.environ["LINGER"]))
"#;

#[tokio::test]
async fn a_warm_instance_slow_to_come_back_to_next_is_waited_for_not_killed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("runtime.py");
    std::fs::write(&script, LINGERING_RUNTIME).expect("write");
    let host = Host::new();
    let mut cfg = config("echo", "none", 3000, 1).await;
    cfg.name = "lingering".into();
    cfg.command = "python3".into();
    cfg.args = vec![script.display().to_string()];
    cfg.env.push(("LINGER".into(), "0.4".into()));
    host.add(cfg);
    let mut pids = Vec::new();
    for i in 0..3 {
        let answer: Value = serde_json::from_slice(
            &host
                .invoke("lingering", format!("{{\"i\":{i}}}").into_bytes())
                .await
                .expect("answered, not timed out"),
        )
        .expect("json");
        assert_eq!(answer["got"]["i"], i);
        pids.push(answer["pid"].as_u64().expect("pid"));
    }
    assert!(
        pids.windows(2).all(|w| w[0] == w[1]),
        "one instance, reused: {pids:?}"
    );
    host.shutdown().await;
}

//! `ceiling <function binary> <event.json> [instances] [seconds]`: the function path's limit on
//! this machine. The thinnest Runtime API there can be: `GET …/invocation/next` is answered at
//! once with the same event, `POST …/invocation/<id>/response` is counted and answered 202; no
//! client, no gateway, no authorizer. Starts `instances` processes of the function binary (10, as
//! gatehouse runs by default), lets them warm up for a second, counts responses for `seconds`
//! (5), and prints `invocations/s <figure>`.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(binary), Some(event)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: ceiling <function binary> <event.json> [instances] [seconds]");
        std::process::exit(2);
    };
    let instances: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(10);
    let seconds: u64 = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(5);
    let event = Bytes::from(std::fs::read(event)?);
    let responses = Arc::new(AtomicU64::new(0));

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let serve = {
        let responses = responses.clone();
        async move {
            let next_id = Arc::new(AtomicU64::new(0));
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let (event, responses, next_id) =
                    (event.clone(), responses.clone(), next_id.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                        let (event, responses, next_id) =
                            (event.clone(), responses.clone(), next_id.clone());
                        async move {
                            Ok::<_, Infallible>(answer(req, &event, &responses, &next_id).await)
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    };
    tokio::spawn(serve);

    let mut children = Vec::new();
    for i in 0..instances {
        children.push(
            tokio::process::Command::new(binary)
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
                .env("AWS_LAMBDA_FUNCTION_NAME", "ceiling")
                .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
                .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
                .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/ceiling")
                .env("AWS_LAMBDA_LOG_STREAM_NAME", format!("ceiling/{i}"))
                .env("AWS_REGION", "us-east-1")
                .env("RUST_LOG", "info")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .kill_on_drop(true)
                .spawn()?,
        );
    }

    tokio::time::sleep(Duration::from_secs(1)).await;
    let start = responses.load(Ordering::Relaxed);
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let done = responses.load(Ordering::Relaxed) - start;
    let rate = done as f64 / t0.elapsed().as_secs_f64();
    for mut child in children {
        let _ = child.start_kill();
        let _ = child.wait().await;
    }
    if done == 0 {
        eprintln!("ceiling: no instance of {binary} answered an invocation");
        std::process::exit(1);
    }
    println!("invocations/s {rate:.1}");
    Ok(())
}

async fn answer(
    req: Request<hyper::body::Incoming>,
    event: &Bytes,
    responses: &AtomicU64,
    next_id: &AtomicU64,
) -> Response<Full<Bytes>> {
    let path = req.uri().path();
    if req.method() == Method::GET && path.ends_with("/invocation/next") {
        let id = next_id.fetch_add(1, Ordering::Relaxed);
        let deadline = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() + 3_000)
            .unwrap_or(0);
        return Response::builder()
            .header("Lambda-Runtime-Aws-Request-Id", format!("ceiling-{id}"))
            .header("Lambda-Runtime-Deadline-Ms", deadline.to_string())
            .header(
                "Lambda-Runtime-Invoked-Function-Arn",
                "arn:aws:lambda:us-east-1:000000000000:function:ceiling",
            )
            .header(
                "Lambda-Runtime-Trace-Id",
                "Root=1-00000000-000000000000000000000000",
            )
            .header("Content-Type", "application/json")
            .body(Full::new(event.clone()))
            .unwrap_or_default();
    }
    let is_response = req.method() == Method::POST && path.ends_with("/response");
    // Read the body whatever it is, as a Runtime API must before answering.
    let _ = req.into_body().collect().await;
    if is_response {
        responses.fetch_add(1, Ordering::Relaxed);
    }
    let mut answer = Response::new(Full::new(Bytes::from_static(b"{}")));
    *answer.status_mut() = StatusCode::ACCEPTED;
    answer
}

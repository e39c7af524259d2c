//! The HTTP/1 server every listener of the stack uses (the API, the Cognito endpoint, each
//! instance's Runtime API), with the limits a long-running local server needs against slow or
//! hostile clients on the same machine:
//! - a header timeout: a client has this long to send a request's headers, counted from the
//!   moment the connection can take a request (when it opens, or when the previous response
//!   was sent), so an idle keep-alive connection is closed after it too;
//! - a bound on open connections: past it new connections are closed at once, so that slow
//!   clients cannot exhaust the process's file descriptors;
//! - a bound on the request head (hyper answers `431` past it);
//! - an optional check of each connecting peer before anything is read from it.
//!
//! Each request carries axum's `ConnectInfo<SocketAddr>` as `axum::serve` would set it.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// A listener's limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time to send a request's headers (and so the longest idle keep-alive); `None`: no limit.
    pub header_timeout: Option<Duration>,
    /// Open connections at most.
    pub max_connections: usize,
    /// Largest request head (request line and headers), bytes.
    pub max_head_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Some(Duration::from_secs(10)),
            max_connections: 1024,
            max_head_bytes: 64 * 1024,
        }
    }
}

/// Decides whether a connection from `peer` to `local` may be served (run on the blocking
/// pool: it may read the file system).
pub type Admit = Arc<dyn Fn(SocketAddr, SocketAddr) -> bool + Send + Sync>;

/// Serves `app` on `listener` until `shutdown` completes, then lets the requests in flight
/// finish (for up to 5 s).
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: Limits,
    admit: Option<Admit>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut warned_full = false;
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors (or another transient failure): wait a moment
                    // instead of spinning; connections closing free them.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            if !warned_full {
                tracing::warn!(
                    "{} connections open on {}: closing new ones until some end",
                    limits.max_connections,
                    listener
                        .local_addr()
                        .map_or_else(|_| "?".into(), |a| a.to_string())
                );
                warned_full = true;
            }
            drop(stream);
            continue;
        };
        warned_full = false;
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let admit = admit.clone();
        let local = stream.local_addr()?;
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .max_header_size(limits.max_head_bytes);
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _permit = permit;
            if let Some(admit) = admit {
                let ok = tokio::task::spawn_blocking(move || admit(local, peer))
                    .await
                    .unwrap_or(false);
                if !ok {
                    return;
                }
            }
            let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                app.clone().oneshot(req.map(axum::body::Body::new))
            });
            let conn = http.serve_connection(TokioIo::new(stream), service);
            let _ = watcher.watch(conn).await;
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
    Ok(())
}

/// Why a request body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Longer than the limit: 413.
    TooLarge,
    /// Broken off or malformed (a bad chunk size): 400.
    Malformed,
}

/// Reads a request body of at most `limit` bytes, telling a body that is too long from one
/// that is malformed.
pub async fn read_body(
    body: axum::body::Body,
    limit: usize,
) -> Result<axum::body::Bytes, BodyError> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let inner = e.into_inner();
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(inner.as_ref());
        while let Some(s) = source {
            if s.to_string().contains("length limit exceeded") {
                return BodyError::TooLarge;
            }
            source = s.source();
        }
        BodyError::Malformed
    })
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use super::*;

    /// A body that breaks off with an error, as a malformed chunked encoding does.
    struct Broken;

    impl http_body::Body for Broken {
        type Data = axum::body::Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
            Poll::Ready(Some(Err(std::io::Error::other("invalid chunk size line"))))
        }
    }

    #[tokio::test]
    async fn a_long_body_is_too_large_and_a_broken_one_malformed() {
        let ok = read_body(axum::body::Body::from("abc"), 3).await;
        assert_eq!(ok.as_deref(), Ok(&b"abc"[..]));
        let long = read_body(axum::body::Body::from("abcd"), 3).await;
        assert_eq!(long, Err(BodyError::TooLarge));
        let broken = read_body(axum::body::Body::new(Broken), 100).await;
        assert_eq!(broken, Err(BodyError::Malformed));
    }
}

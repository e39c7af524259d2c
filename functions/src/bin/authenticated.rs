//! `GET /`: the stack's function for signed-in users.

use lambda_http::{Error, run, service_fn, tracing};

// Lambda hands an instance one event at a time, so one thread serves it best: measured with
// `make bench`'s ceiling driver, ~11,500 invocations/s for 10 instances against ~8,000 with
// tokio's multi-thread runtime (no work-stealing hand-offs, no idle worker to wake).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    run(service_fn(functions::authenticated)).await
}

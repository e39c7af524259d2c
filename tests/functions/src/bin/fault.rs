//! Misbehaves on purpose, as FAULT (or the request's `?fault=` query) says:
//! `crash` exits mid-invocation, `hang` never answers, `malformed` answers with a non-proxy
//! shape, `error` returns a function error, `init-exit` exits before asking for work, `binary`
//! answers with a base64 body, `sleep` answers after 0.8 s. Anything else answers 200 "ok".

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    if std::env::var("FAULT").as_deref() == Ok("init-exit") {
        eprintln!("exiting before init on purpose");
        std::process::exit(3);
    }
    run(service_fn(|e: LambdaEvent<Value>| async move {
        let fault = e.payload["queryStringParameters"]["fault"]
            .as_str()
            .map(str::to_string)
            .or_else(|| std::env::var("FAULT").ok())
            .unwrap_or_default();
        match fault.as_str() {
            "crash" => std::process::exit(7),
            "hang" => loop {
                tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
            },
            "malformed" => Ok(json!({"statusCode": "not a number", "body": 5})),
            "error" => Err(Error::from("failing on purpose")),
            "sleep" => {
                tokio::time::sleep(std::time::Duration::from_millis(800)).await;
                Ok(json!({"statusCode": 200, "body": "slept"}))
            }
            "binary" => Ok(
                json!({"statusCode": 200, "headers": {"Content-Type": "application/octet-stream"},
                                  "body": "AAECAwQ=", "isBase64Encoded": true}),
            ),
            _ => Ok(json!({"statusCode": 200, "body": "ok"})),
        }
    }))
    .await
}

//! Answers 200 with the whole event as its JSON body, so tests can inspect what the gateway sent.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(|e: LambdaEvent<Value>| async move {
        let env: serde_json::Map<String, Value> = std::env::vars()
            .filter(|(k, _)| {
                k.starts_with("AWS_") || k.starts_with("ECHO_") || k == "_HANDLER" || k == "TZ"
            })
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        let body = json!({"event": e.payload, "env": env, "requestId": e.context.request_id});
        Ok::<_, Error>(json!({
            "statusCode": 200,
            "headers": {"Content-Type": "application/json", "X-Echo": "single"},
            "multiValueHeaders": {"X-Multi": ["a", "b"]},
            "body": body.to_string(),
            "isBase64Encoded": false
        }))
    }))
    .await
}

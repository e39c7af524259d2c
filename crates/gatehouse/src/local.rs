//! What `gatehouse up` leaves in the state dir for the other commands: the outputs, the
//! endpoints it serves on, and the outbox.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde_json::Value as Json;

/// Where a running `gatehouse up` serves.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// The Cognito-compatible endpoint.
    pub cognito: String,
    /// The API's base (without stage).
    pub api: String,
    /// The stack's region (what its signatures are scoped to).
    pub region: String,
    /// The identity pools' ids.
    pub identity_pools: Vec<String>,
    /// The DynamoDB server the tables are on (the engine's, or `--dynamodb-endpoint`), with the
    /// region they were created in.
    pub dynamodb: Option<(String, String)>,
    /// The template's tables: (logical id, table name).
    pub tables: Vec<(String, String)>,
}

/// Writes `endpoints.json`.
pub fn write_endpoints(dir: &Path, e: &Endpoints) -> anyhow::Result<()> {
    let text = serde_json::json!({
        "cognito": e.cognito,
        "api": e.api,
        "region": e.region,
        "identity_pools": e.identity_pools,
        "dynamodb": e.dynamodb.as_ref().map(|(url, region)| serde_json::json!({"url": url, "region": region})),
        "tables": e.tables.iter().map(|(id, name)| serde_json::json!({"logicalId": id, "name": name})).collect::<Vec<_>>(),
    })
    .to_string();
    common::fs::write_private(&dir.join("endpoints.json"), text.as_bytes())
        .with_context(|| format!("cannot write {}", dir.join("endpoints.json").display()))
}

fn missing(dir: &Path) -> anyhow::Error {
    anyhow::anyhow!(
        "no local stack in {}: start one with `gatehouse up` (or pass --state-dir where it runs)",
        dir.display()
    )
}

/// Reads `endpoints.json`.
pub fn endpoints(dir: &Path) -> anyhow::Result<Endpoints> {
    let text = std::fs::read_to_string(dir.join("endpoints.json")).map_err(|_| missing(dir))?;
    let v: Json = serde_json::from_str(&text).context("endpoints.json is not JSON")?;
    Ok(Endpoints {
        cognito: v["cognito"].as_str().unwrap_or_default().to_string(),
        api: v["api"].as_str().unwrap_or_default().to_string(),
        region: v["region"].as_str().unwrap_or("us-east-1").to_string(),
        identity_pools: common::json::strings(&v["identity_pools"]),
        dynamodb: v["dynamodb"]["url"].as_str().map(|url| {
            (
                url.to_string(),
                v["dynamodb"]["region"]
                    .as_str()
                    .unwrap_or("us-east-1")
                    .to_string(),
            )
        }),
        tables: v["tables"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| {
                Some((
                    t["logicalId"].as_str()?.to_string(),
                    t["name"].as_str()?.to_string(),
                ))
            })
            .collect(),
    })
}

/// The running stack's identity pools.
pub fn identity_pools(dir: &Path) -> anyhow::Result<Vec<String>> {
    Ok(endpoints(dir)?.identity_pools)
}

/// Reads `outputs.json`.
pub fn outputs(dir: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(dir.join("outputs.json")).map_err(|_| missing(dir))?;
    serde_json::from_str(&text).context("outputs.json is not a JSON object of strings")
}

/// The outbox's messages, oldest first.
pub fn outbox(dir: &Path) -> anyhow::Result<Vec<Json>> {
    let path = dir.join("outbox.jsonl");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(missing(dir)),
        Err(e) => return Err(anyhow::anyhow!("cannot read {}: {e}", path.display())),
    };
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

/// One message as a line a person reads.
pub fn render_message(m: &Json) -> String {
    let mut line = format!(
        "to {}: {}",
        m["to"].as_str().unwrap_or_default(),
        m["body"].as_str().unwrap_or_default()
    );
    if let Some(p) = m["temporaryPassword"].as_str() {
        line.push_str(&format!("  [temporary password: {p}]"));
    }
    if let Some(c) = m["code"].as_str() {
        line.push_str(&format!("  [code: {c}]"));
    }
    line
}

//! The embedded engine's items across restarts: when gatehouse stops, every table on the engine
//! is scanned into `<state>/dynamodb/items.json` (0600, written whole then renamed); at the next
//! start, once the template's tables exist again, the items of each table that is still in the
//! template are written back with `BatchWriteItem`. A gatehouse killed with SIGKILL saves
//! nothing: what it wrote since its start is lost, what the last clean stop saved is kept.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde_json::{Value as Json, json};

use super::Endpoint;

/// The file in the state dir.
pub fn file(state_dir: &Path) -> PathBuf {
    state_dir.join("dynamodb").join("items.json")
}

/// Every item of `table` (in DynamoDB's JSON), page after page.
pub async fn scan(endpoint: &Endpoint, table: &str) -> anyhow::Result<Vec<Json>> {
    let mut items = Vec::new();
    let cursor = ("ExclusiveStartKey", "LastEvaluatedKey");
    endpoint
        .pages("Scan", json!({"TableName": table}), cursor, |page| {
            items.extend(page["Items"].as_array().into_iter().flatten().cloned());
        })
        .await?;
    Ok(items)
}

/// The names of the tables on the engine.
pub async fn tables(endpoint: &Endpoint) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    let cursor = ("ExclusiveStartTableName", "LastEvaluatedTableName");
    endpoint
        .pages("ListTables", json!({}), cursor, |page| {
            names.extend(common::json::strings(&page["TableNames"]));
        })
        .await?;
    Ok(names)
}

/// Saves every table's items; returns (tables, items) saved.
pub async fn save(endpoint: &Endpoint, state_dir: &Path) -> anyhow::Result<(usize, usize)> {
    let mut out = serde_json::Map::new();
    let mut count = 0;
    for t in tables(endpoint).await? {
        let items = scan(endpoint, &t).await?;
        count += items.len();
        out.insert(t, Json::Array(items));
    }
    let path = file(state_dir);
    let tmp = path.with_extension("json.partial");
    let tables = out.len();
    common::fs::write_private(
        &tmp,
        serde_json::to_string(&json!({"tables": out}))?.as_bytes(),
    )
    .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok((tables, count))
}

/// Writes back the saved items of each table in `present`; returns (tables, items) restored.
/// Tables saved but no longer in the template are named in a warning.
pub async fn restore(
    endpoint: &Endpoint,
    state_dir: &Path,
    present: &[String],
) -> anyhow::Result<(usize, usize)> {
    let path = file(state_dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((0, 0)),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let saved: Json = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not JSON; move it away to start empty",
            path.display()
        )
    })?;
    let (mut tables, mut count) = (0, 0);
    for (name, items) in saved["tables"].as_object().into_iter().flatten() {
        if !present.contains(name) {
            tracing::warn!(
                "{}: table {name} is no longer in the template; its saved items are not restored",
                path.display()
            );
            continue;
        }
        let items = items.as_array().map_or(&[][..], Vec::as_slice);
        for chunk in items.chunks(25) {
            write_batch(endpoint, name, chunk).await?;
        }
        tables += 1;
        count += items.len();
    }
    Ok((tables, count))
}

/// One `BatchWriteItem` of up to 25 puts, and again with what it left unprocessed.
async fn write_batch(endpoint: &Endpoint, table: &str, items: &[Json]) -> anyhow::Result<()> {
    let puts: Vec<Json> = items
        .iter()
        .map(|i| json!({"PutRequest": {"Item": i}}))
        .collect();
    let mut request = json!({"RequestItems": {table: puts}});
    for _ in 0..10 {
        let answer = match endpoint.call("BatchWriteItem", &request).await? {
            Ok(a) => a,
            Err(r) => bail!(
                "restoring {table}: BatchWriteItem answered {}: {}",
                r.kind,
                r.message
            ),
        };
        match answer.get("UnprocessedItems") {
            Some(left) if left.as_object().is_some_and(|m| !m.is_empty()) => {
                request = json!({"RequestItems": left});
            }
            _ => return Ok(()),
        }
    }
    bail!("restoring {table}: BatchWriteItem kept items unprocessed")
}

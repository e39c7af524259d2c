//! `gatehouse tables`: the running stack's DynamoDB tables with their item counts, and
//! `gatehouse tables scan NAME`: a table's items, one JSON object per line, in plain JSON (the
//! attribute values without DynamoDB's type tags; `--typed` keeps them).

use anyhow::{Context as _, bail};
use serde_json::{Value as Json, json};

use crate::dynamodb::{Credentials, Endpoint, snapshot};
use crate::local;

/// Flags of `gatehouse tables`.
#[derive(Debug, clap::Args)]
pub struct TablesArgs {
    #[command(subcommand)]
    action: Option<Action>,
    /// The local stack's state dir (before or after `scan`).
    #[arg(long, default_value = ".gatehouse", global = true)]
    state_dir: std::path::PathBuf,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Print a table's items, one JSON object per line.
    Scan {
        /// The table: its logical id in the template, or its name.
        name: String,
        /// Keep DynamoDB's attribute types (`{"S": "…"}`), as `aws dynamodb scan` prints them.
        #[arg(long)]
        typed: bool,
    },
}

/// Runs the command.
pub async fn run(args: TablesArgs) -> anyhow::Result<()> {
    let e = local::endpoints(&args.state_dir)?;
    let Some((url, region)) = &e.dynamodb else {
        bail!(
            "the stack in {} serves no DynamoDB tables (its template has none, or it runs with --no-dynamodb)",
            args.state_dir.display()
        );
    };
    let endpoint = Endpoint::new(url, region, Credentials::from_env())?;
    match args.action {
        None => {
            println!("{:<24} {:<44} items", "table", "name");
            for (id, name) in &e.tables {
                let count = count(&endpoint, name).await.with_context(|| {
                    format!("cannot read {name} at {url}: is `gatehouse up` running?")
                })?;
                println!("{id:<24} {name:<44} {count}");
            }
        }
        Some(Action::Scan { name, typed }) => {
            let table = e
                .tables
                .iter()
                .find(|(id, n)| *id == name || *n == name)
                .map_or(name.clone(), |(_, n)| n.clone());
            let items = snapshot::scan(&endpoint, &table).await.with_context(|| {
                format!("cannot read {table} at {url}: is `gatehouse up` running?")
            })?;
            for item in items {
                let line = if typed { item } else { plain(&item) };
                println!("{line}");
            }
        }
    }
    Ok(())
}

/// The number of items in `table` (`Scan` with `Select: COUNT`, page by page: exact, where
/// `DescribeTable`'s `ItemCount` is refreshed only every few hours on AWS).
async fn count(endpoint: &Endpoint, table: &str) -> anyhow::Result<u64> {
    let mut total = 0;
    let req = json!({"TableName": table, "Select": "COUNT"});
    let cursor = ("ExclusiveStartKey", "LastEvaluatedKey");
    endpoint
        .pages("Scan", req, cursor, |page| {
            total += page["Count"].as_u64().unwrap_or(0);
        })
        .await?;
    Ok(total)
}

/// An item without DynamoDB's type tags: `{"S": "a"}` → `"a"`, `{"N": "1"}` → `1`, sets and
/// lists → arrays, `{"B": …}` → its base64 text, `{"NULL": true}` → `null`.
pub fn plain(item: &Json) -> Json {
    match item.as_object() {
        Some(map) => Json::Object(map.iter().map(|(k, v)| (k.clone(), value(v))).collect()),
        None => item.clone(),
    }
}

fn value(v: &Json) -> Json {
    let Some((tag, inner)) = v.as_object().and_then(|m| m.iter().next()) else {
        return v.clone();
    };
    let number = |n: &Json| {
        n.as_str()
            .and_then(|s| serde_json::from_str::<serde_json::Number>(s).ok())
            .map_or_else(|| n.clone(), Json::Number)
    };
    match tag.as_str() {
        "N" => number(inner),
        "NS" => Json::Array(inner.as_array().into_iter().flatten().map(number).collect()),
        "NULL" => Json::Null,
        "M" => plain(inner),
        "L" => Json::Array(inner.as_array().into_iter().flatten().map(value).collect()),
        // S, B, BOOL, SS, BS: the value as it is written.
        _ => inner.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_lose_their_type_tags() {
        let item = json!({
            "id": {"S": "a"}, "n": {"N": "12.5"}, "ok": {"BOOL": true}, "none": {"NULL": true},
            "tags": {"SS": ["x", "y"]}, "nums": {"NS": ["1", "2"]},
            "m": {"M": {"k": {"L": [{"S": "v"}, {"N": "3"}]}}}, "b": {"B": "aGk="}
        });
        assert_eq!(
            plain(&item),
            json!({"id": "a", "n": 12.5, "ok": true, "none": null, "tags": ["x", "y"],
                   "nums": [1, 2], "m": {"k": ["v", 3]}, "b": "aGk="})
        );
    }
}

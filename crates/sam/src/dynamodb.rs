//! `AWS::DynamoDB::Table` and `AWS::Serverless::SimpleTable` as the DynamoDB `CreateTable`
//! request that makes them (and the `UpdateTimeToLive` that follows), for a DynamoDB-compatible
//! server the user points the stack at. CloudFormation's properties are DynamoDB's own but for
//! `StreamSpecification` and `SSESpecification` (CloudFormation infers the `…Enabled` flag) and
//! `TimeToLiveSpecification` (a separate call); SimpleTable is SAM's shorthand: a `PrimaryKey`
//! (default `id`, a string), on-demand billing unless `ProvisionedThroughput` says otherwise.

use serde_json::{Map, Value as Json, json};

/// A table of the template.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Logical id.
    pub logical_id: String,
    /// `TableName`, or the name CloudFormation generates.
    pub name: String,
    /// The `CreateTable` request.
    pub create: Json,
    /// The `UpdateTimeToLive` request, when the template enables a TTL attribute.
    pub time_to_live: Option<Json>,
}

/// The members of CloudFormation's `AWS::DynamoDB::Table` that `CreateTable` takes as they are.
const AS_IS: &[&str] = &[
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "ProvisionedThroughput",
    "LocalSecondaryIndexes",
    "TableClass",
    "DeletionProtectionEnabled",
    "OnDemandThroughput",
    "WarmThroughput",
];

/// `AWS::DynamoDB::Table` properties (resolved) as a table named `name`.
pub fn table(logical_id: &str, name: &str, props: &Json) -> Result<Table, String> {
    let mut create = Map::new();
    create.insert("TableName".into(), json!(name));
    for key in AS_IS {
        if let Some(v) = props.get(*key).filter(|v| !v.is_null()) {
            create.insert((*key).to_string(), v.clone());
        }
    }
    if props["KeySchema"].as_array().is_none_or(Vec::is_empty) {
        return Err("a table needs a KeySchema".into());
    }
    if let Some(gsis) = props["GlobalSecondaryIndexes"].as_array() {
        // CloudFormation allows ContributorInsightsSpecification on an index; CreateTable
        // does not.
        let gsis: Vec<Json> = gsis
            .iter()
            .map(|g| {
                let mut g = g.clone();
                if let Some(o) = g.as_object_mut() {
                    o.remove("ContributorInsightsSpecification");
                }
                g
            })
            .collect();
        create.insert("GlobalSecondaryIndexes".into(), Json::Array(gsis));
    }
    if let Some(view) = props["StreamSpecification"]["StreamViewType"].as_str() {
        create.insert(
            "StreamSpecification".into(),
            json!({"StreamEnabled": true, "StreamViewType": view}),
        );
    }
    if let Some(enabled) = props["SSESpecification"]["SSEEnabled"].as_bool() {
        let mut sse = Map::new();
        sse.insert("Enabled".into(), json!(enabled));
        for k in ["SSEType", "KMSMasterKeyId"] {
            if let Some(v) = props["SSESpecification"].get(k) {
                sse.insert(k.into(), v.clone());
            }
        }
        create.insert("SSESpecification".into(), Json::Object(sse));
    }
    if let Some(tags) = props["Tags"].as_array().filter(|t| !t.is_empty()) {
        create.insert("Tags".into(), Json::Array(tags.clone()));
    }
    if !create.contains_key("BillingMode") && !create.contains_key("ProvisionedThroughput") {
        // CloudFormation's default is PROVISIONED, which then requires a throughput; a
        // template that deploys gives one, so an absent pair means on-demand.
        create.insert("BillingMode".into(), json!("PAY_PER_REQUEST"));
    }
    let ttl = &props["TimeToLiveSpecification"];
    let time_to_live = (ttl["Enabled"].as_bool() == Some(true))
        .then(|| ttl["AttributeName"].as_str())
        .flatten()
        .map(|attr| {
            json!({
                "TableName": name,
                "TimeToLiveSpecification": {"Enabled": true, "AttributeName": attr},
            })
        });
    Ok(Table {
        logical_id: logical_id.to_string(),
        name: name.to_string(),
        create: Json::Object(create),
        time_to_live,
    })
}

/// `AWS::Serverless::SimpleTable` properties (resolved) as a table named `name`.
pub fn simple_table(logical_id: &str, name: &str, props: &Json) -> Result<Table, String> {
    let key = &props["PrimaryKey"];
    let key_name = key["Name"].as_str().unwrap_or("id");
    let key_type = match key["Type"].as_str().unwrap_or("String") {
        "String" => "S",
        "Number" => "N",
        "Binary" => "B",
        other => {
            return Err(format!(
                "PrimaryKey.Type {other:?} is not one of String, Number, Binary"
            ));
        }
    };
    let mut create = json!({
        "TableName": name,
        "AttributeDefinitions": [{"AttributeName": key_name, "AttributeType": key_type}],
        "KeySchema": [{"AttributeName": key_name, "KeyType": "HASH"}],
    });
    match props.get("ProvisionedThroughput").filter(|p| !p.is_null()) {
        Some(p) => create["ProvisionedThroughput"] = p.clone(),
        None => create["BillingMode"] = json!("PAY_PER_REQUEST"),
    }
    if let Some(enabled) = props["SSESpecification"]["SSEEnabled"].as_bool() {
        create["SSESpecification"] = json!({"Enabled": enabled});
    }
    if let Some(tags) = props["Tags"].as_object().filter(|t| !t.is_empty()) {
        create["Tags"] = Json::Array(
            tags.iter()
                .map(|(k, v)| json!({"Key": k, "Value": v}))
                .collect(),
        );
    }
    Ok(Table {
        logical_id: logical_id.to_string(),
        name: name.to_string(),
        create,
        time_to_live: None,
    })
}

//! What `Ref` and `Fn::GetAtt` give for each resource, shaped as AWS shapes them (names, ARNs
//! with the region and account), so that functions get sensible environment variables and
//! outputs keep their values even for resources the local stack does not emulate.

use std::collections::BTreeMap;

use common::digest::sha256;
use common::id::stable_id;
use serde_json::Value as Json;
use template::Pseudo;

const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// `arn:aws:lambda:<region>:<account>:function:<name>`.
pub fn function_arn(p: &Pseudo, name: &str) -> String {
    format!(
        "arn:aws:lambda:{}:{}:function:{name}",
        p.region, p.account_id
    )
}

/// An HTTP API's `GetAtt` attributes: `ApiId`, `ApiEndpoint`.
pub fn http_api_attributes(p: &Pseudo, id: &str) -> Vec<(&'static str, Json)> {
    vec![
        ("ApiId", Json::String(id.to_string())),
        (
            "ApiEndpoint",
            Json::String(format!(
                "https://{id}.execute-api.{}.amazonaws.com",
                p.region
            )),
        ),
    ]
}

/// `arn:aws:lambda:<region>:<account>:layer:<name>:1`: a layer's first version.
pub fn layer_arn(p: &Pseudo, name: &str) -> String {
    format!(
        "arn:aws:lambda:{}:{}:layer:{name}:1",
        p.region, p.account_id
    )
}

/// The name CloudFormation generates for a resource whose template gives none:
/// `<stack>-<LogicalId>-<12 characters>`, stable for the stack and logical id.
/// A nested stack's `Owner/Id` gives `<stack>-Owner-Id-<12>` (a name cannot hold `/`).
pub fn generated_name(p: &Pseudo, logical_id: &str) -> String {
    let digest = sha256(&[p.stack_name.as_bytes(), b"/", logical_id.as_bytes()]);
    format!(
        "{}-{}-{}",
        p.stack_name,
        logical_id.replace('/', "-"),
        stable_id(&digest, UPPER_ALNUM, 12)
    )
}

fn name(props: &Json, key: &str, p: &Pseudo, logical_id: &str) -> String {
    props[key]
        .as_str()
        .map_or_else(|| generated_name(p, logical_id), str::to_string)
}

/// `Ref` and the attributes of a resource the local stack does not emulate, from its
/// (possibly partly resolved) properties. `wanted` are the attributes the template reads:
/// those this file does not know for the type get a value shaped by their name (an `…Arn`
/// an ARN, an `…Id` an id, anything else a generated name), so that no reference blocks.
pub fn not_emulated(
    p: &Pseudo,
    type_name: &str,
    logical_id: &str,
    props: &Json,
    wanted: &[&str],
) -> Result<(String, BTreeMap<String, Json>), String> {
    use crate::attributes::{AttrKind, Lookup, lookup};
    let (reference, mut attrs) = known(p, type_name, logical_id, props);
    for w in wanted {
        if attrs.contains_key(*w) {
            continue;
        }
        let kind = match lookup(type_name, w) {
            Lookup::Has(kind) => kind,
            Lookup::UnknownType => AttrKind::String,
            Lookup::Not(real) => {
                return Err(format!(
                    "Fn::GetAtt {logical_id}.{w}: resource {logical_id} does not support attribute type {w} in Fn::GetAtt (a {type_name} has {})",
                    if real.is_empty() {
                        "none".to_string()
                    } else {
                        real.join(", ")
                    }
                ));
            }
        };
        let text = || {
            if w.ends_with("Arn") {
                let mut parts = type_name.split("::").skip(1);
                let service = parts.next().unwrap_or("unknown").to_lowercase();
                let resource = parts.next().unwrap_or("resource").to_lowercase();
                format!(
                    "arn:aws:{service}:{}:{}:{resource}/{}",
                    p.region,
                    p.account_id,
                    generated_name(p, logical_id)
                )
            } else if w.ends_with("Id") || w.ends_with("Ids") {
                let digest =
                    sha256(&[p.stack_name.as_bytes(), logical_id.as_bytes(), w.as_bytes()]);
                stable_id(&digest, b"abcdefghijklmnopqrstuvwxyz0123456789", 13)
            } else {
                generated_name(p, &format!("{logical_id}{w}"))
            }
        };
        let value = match kind {
            // A VPC endpoint's DNS entries are `<hosted zone>:<name>` (what templates split).
            AttrKind::List if *w == "DnsEntries" => Json::Array(vec![Json::String(format!(
                "Z7HUB22UULQXV:vpce-{}.{}.vpce.amazonaws.com",
                text(),
                p.region
            ))]),
            AttrKind::List => Json::Array(vec![Json::String(text())]),
            AttrKind::Integer | AttrKind::Number => Json::from(1),
            AttrKind::Boolean => Json::Bool(false),
            AttrKind::Object => Json::Object(serde_json::Map::new()),
            AttrKind::String | AttrKind::Json => Json::String(text()),
        };
        attrs.insert((*w).to_string(), value);
    }
    Ok((reference, attrs))
}

/// `Ref` and the attributes this file knows for `type_name`.
fn known(
    p: &Pseudo,
    type_name: &str,
    logical_id: &str,
    props: &Json,
) -> (String, BTreeMap<String, Json>) {
    let (r, a) = (&p.region, &p.account_id);
    let mut attrs = BTreeMap::new();
    let mut attr = |k: &str, v: String| {
        attrs.insert(k.to_string(), Json::String(v));
    };
    let reference = match type_name {
        "AWS::IAM::Role" => {
            let n = name(props, "RoleName", p, logical_id);
            attr("Arn", format!("arn:aws:iam::{a}:role/{n}"));
            attr(
                "RoleId",
                format!(
                    "AROA{}",
                    stable_id(&sha256(&[n.as_bytes()]), UPPER_ALNUM, 17)
                ),
            );
            n
        }
        "AWS::IAM::ManagedPolicy" => {
            let n = name(props, "ManagedPolicyName", p, logical_id);
            let arn = format!("arn:aws:iam::{a}:policy/{n}");
            attr("PolicyArn", arn.clone());
            arn
        }
        "AWS::IAM::Policy" => name(props, "PolicyName", p, logical_id),
        "AWS::DynamoDB::Table" | "AWS::Serverless::SimpleTable" => {
            let n = name(props, "TableName", p, logical_id);
            let arn = format!("arn:aws:dynamodb:{r}:{a}:table/{n}");
            attr("StreamArn", format!("{arn}/stream/1970-01-01T00:00:00.000"));
            attr("Arn", arn);
            n
        }
        "AWS::S3::Bucket" => {
            let n = name(props, "BucketName", p, logical_id).to_lowercase();
            attr("Arn", format!("arn:aws:s3:::{n}"));
            attr("DomainName", format!("{n}.s3.amazonaws.com"));
            attr("RegionalDomainName", format!("{n}.s3.{r}.amazonaws.com"));
            attr(
                "WebsiteURL",
                format!("http://{n}.s3-website-{r}.amazonaws.com"),
            );
            n
        }
        "AWS::SQS::Queue" => {
            let n = name(props, "QueueName", p, logical_id);
            let url = format!("https://sqs.{r}.amazonaws.com/{a}/{n}");
            attr("Arn", format!("arn:aws:sqs:{r}:{a}:{n}"));
            attr("QueueName", n);
            attr("QueueUrl", url.clone());
            url
        }
        "AWS::SNS::Topic" => {
            let n = name(props, "TopicName", p, logical_id);
            let arn = format!("arn:aws:sns:{r}:{a}:{n}");
            attr("TopicArn", arn.clone());
            attr("TopicName", n);
            arn
        }
        "AWS::Logs::LogGroup" => {
            let n = name(props, "LogGroupName", p, logical_id);
            attr("Arn", format!("arn:aws:logs:{r}:{a}:log-group:{n}:*"));
            n
        }
        "AWS::Lambda::LayerVersion" | "AWS::Serverless::LayerVersion" => {
            let n = name(props, "LayerName", p, logical_id);
            let arn = format!("arn:aws:lambda:{r}:{a}:layer:{n}:1");
            attr("LayerVersionArn", arn.clone());
            arn
        }
        "AWS::Serverless::StateMachine" | "AWS::StepFunctions::StateMachine" => {
            let n = name(props, "StateMachineName", p, logical_id);
            let arn = format!("arn:aws:states:{r}:{a}:stateMachine:{n}");
            attr("Name", n);
            attr("Arn", arn.clone());
            arn
        }
        "AWS::Events::Rule" => {
            let n = name(props, "Name", p, logical_id);
            attr("Arn", format!("arn:aws:events:{r}:{a}:rule/{n}"));
            n
        }
        "AWS::SSM::Parameter" => {
            let n = name(props, "Name", p, logical_id);
            if let Some(v) = props["Value"].as_str() {
                attr("Value", v.to_string());
            }
            attr(
                "Type",
                props["Type"].as_str().unwrap_or("String").to_string(),
            );
            n
        }
        "AWS::SecretsManager::Secret" => {
            let n = name(props, "Name", p, logical_id);
            let arn = format!("arn:aws:secretsmanager:{r}:{a}:secret:{n}-AbCdEf");
            attr("Id", arn.clone());
            arn
        }
        "AWS::Cognito::IdentityPool" => {
            // `<region>:<uuid>`, stable for the stack and logical id (so identities kept in
            // the state dir stay in their pool across restarts).
            let id = common::id::uuid_from(
                sha256(&[
                    p.stack_name.as_bytes(),
                    b"/identity-pool/",
                    logical_id.as_bytes(),
                ])[..16]
                    .try_into()
                    .expect("16 bytes"),
            );
            let n = props["IdentityPoolName"].as_str().map_or_else(
                || generated_name(p, logical_id).replace('-', "_"),
                str::to_string,
            );
            attr("Name", n);
            format!("{r}:{id}")
        }
        "AWS::KMS::Key" => {
            let id = common::id::uuid_from(
                sha256(&[p.stack_name.as_bytes(), logical_id.as_bytes()])[..16]
                    .try_into()
                    .expect("16 bytes"),
            );
            attr("Arn", format!("arn:aws:kms:{r}:{a}:key/{id}"));
            attr("KeyId", id.clone());
            id
        }
        other => {
            // `AWS::Service::Thing` -> arn:aws:service:<region>:<account>:thing/<name>.
            let n = generated_name(p, logical_id);
            let mut parts = other.split("::").skip(1);
            let service = parts.next().unwrap_or("unknown").to_lowercase();
            let resource = parts.next().unwrap_or("resource").to_lowercase();
            attr("Arn", format!("arn:aws:{service}:{r}:{a}:{resource}/{n}"));
            n
        }
    };
    (reference, attrs)
}

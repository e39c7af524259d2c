//! A REST API's resource policy. `Policy` (raw `AWS::ApiGateway::RestApi`) and
//! `x-amazon-apigateway-policy` (an OpenAPI body) are documents taken as written; SAM's
//! `Auth.ResourcePolicy` (on the API, or on one `Api` event) is written out statement by
//! statement as aws-sam-translator writes it (swagger.py `add_resource_policy`,
//! `add_custom_statements`), so that the local gateway evaluates what AWS would be given.

use serde_json::{Value as Json, json};

use apispec::RestApi;

/// A policy document from a `Policy` property or an OpenAPI extension: an object, or a string
/// holding one (CloudFormation takes both).
pub fn document(v: &Json) -> Result<Option<Json>, String> {
    match v {
        Json::Null => Ok(None),
        Json::Object(_) => Ok(Some(v.clone())),
        Json::String(s) => serde_json::from_str::<Json>(s)
            .ok()
            .filter(Json::is_object)
            .map(Some)
            .ok_or_else(|| "the resource policy is a string that is not a JSON object".into()),
        _ => Err("the resource policy must be a policy document".into()),
    }
}

/// Appends `statements` to `api`'s resource policy, skipping those it holds already (as
/// swagger.py does for its allow/deny pairs and custom statements).
fn append(api: &mut RestApi, statements: Vec<Json>) {
    let doc = api
        .resource_policy
        .get_or_insert_with(|| json!({"Version": "2012-10-17"}));
    doc["Version"] = json!("2012-10-17");
    let mut list = match doc["Statement"].take() {
        Json::Array(l) => l,
        Json::Null => Vec::new(),
        one => vec![one],
    };
    for s in statements {
        if !list.contains(&s) {
            list.push(s);
        }
    }
    doc["Statement"] = Json::Array(list);
}

/// A list as SAM takes one: a single value is a list of one.
fn as_list(v: &Json) -> Vec<Json> {
    match v {
        Json::Array(l) => l.clone(),
        Json::Null => Vec::new(),
        one => vec![one.clone()],
    }
}

/// The resources SAM writes for `path` with `methods`: `execute-api:/<stage>/<VERB>/<path>`,
/// `*` for ANY, path parameters as `*` (swagger.py `_get_method_path_uri_list`,
/// `get_path_without_trailing_slash`, which despite its name keeps the slash).
fn resources(stage: &str, path: &str, methods: &[&str]) -> Vec<Json> {
    let mut p = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        p.push_str(&rest[..open]);
        p.push('*');
        rest = &rest[open + close + 1..];
    }
    p.push_str(rest);
    methods
        .iter()
        .map(|m| {
            let verb = if m.eq_ignore_ascii_case("ANY") {
                "*".to_string()
            } else {
                m.to_ascii_uppercase()
            };
            json!(format!("execute-api:/{stage}/{verb}{p}"))
        })
        .collect()
}

/// An Allow `*` and a Deny `*` under `condition`: SAM's pair for IP and VPC lists.
fn pair(resources: &[Json], condition: Json) -> Vec<Json> {
    vec![
        json!({"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": resources, "Principal": "*"}),
        json!({"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": resources, "Principal": "*", "Condition": condition}),
    ]
}

/// SAM's `Auth.ResourcePolicy` for `path` of `api`, whose methods are `methods`, without its
/// `CustomStatements` (see [`add_custom`]).
pub fn add_sam(api: &mut RestApi, rp: &Json, path: &str, methods: &[&str]) -> Result<(), String> {
    if !rp.is_object() {
        return Err("ResourcePolicy must be a map (ResourcePolicyStatement).".into());
    }
    let stage = api.stage.clone();
    let res = resources(&stage, path, methods);
    for (key, effect) in [
        ("AwsAccountWhitelist", "Allow"),
        ("AwsAccountBlacklist", "Deny"),
    ] {
        let accounts = &rp[key];
        if accounts.is_null() || accounts.as_array().is_some_and(Vec::is_empty) {
            continue;
        }
        if !(accounts.is_array() || accounts.is_object()) {
            return Err(format!("Type of '{accounts}' must be a list or dictionary"));
        }
        append(
            api,
            vec![json!({
                "Effect": effect, "Action": "execute-api:Invoke", "Resource": res,
                "Principal": {"AWS": as_list(accounts)},
            })],
        );
    }
    for (key, operator) in [
        ("IpRangeWhitelist", "NotIpAddress"),
        ("IpRangeBlacklist", "IpAddress"),
    ] {
        let ips = as_list(&rp[key]);
        if !ips.is_empty() {
            append(api, pair(&res, json!({operator: {"aws:SourceIp": ips}})));
        }
    }
    // The blacklist first, as swagger.py writes them.
    for (plain, vpc, vpce, operator) in [
        (
            "SourceVpcBlacklist",
            "IntrinsicVpcBlacklist",
            "IntrinsicVpceBlacklist",
            "StringEquals",
        ),
        (
            "SourceVpcWhitelist",
            "IntrinsicVpcWhitelist",
            "IntrinsicVpceWhitelist",
            "StringNotEquals",
        ),
    ] {
        let mut vpcs = Vec::new();
        let mut vpces = Vec::new();
        if let Some(l) = rp[plain].as_array() {
            for e in l.iter().filter_map(Json::as_str) {
                if e.starts_with("vpce-") {
                    vpces.push(json!(e));
                } else if e.starts_with("vpc-") {
                    vpcs.push(json!(e));
                }
            }
        } else if !rp[plain].is_null() {
            return Err(format!(
                "{plain} must be a list of strings. Use {} instead for values that use Intrinsic Functions",
                plain.replace("Source", "Intrinsic")
            ));
        }
        vpcs.extend(as_list(&rp[vpc]));
        vpces.extend(as_list(&rp[vpce]));
        let mut condition = serde_json::Map::new();
        if !vpcs.is_empty() {
            condition.insert("aws:SourceVpc".into(), Json::Array(vpcs));
        }
        if !vpces.is_empty() {
            condition.insert("aws:SourceVpce".into(), Json::Array(vpces));
        }
        if !condition.is_empty() {
            append(api, pair(&res, json!({operator: condition})));
        }
    }
    Ok(())
}

/// `ResourcePolicy.CustomStatements`, appended as written (those already there skipped).
pub fn add_custom(api: &mut RestApi, rp: &Json) {
    let custom = as_list(&rp["CustomStatements"]);
    if !custom.is_empty() {
        append(api, custom);
    }
}

/// SAM's API-level `Auth.ResourcePolicy`, once every event has added its routes: for each path
/// of the API with every method on it (the OPTIONS SAM adds for `Cors` included: it adds them
/// before the API's `Auth`, api_generator.py `_construct_rest_api`), then the custom
/// statements.
pub fn add_sam_to_api(api: &mut RestApi, rp: &Json) -> Result<(), String> {
    if rp.is_null() {
        return Ok(());
    }
    let mut paths: Vec<(String, Vec<String>)> = Vec::new();
    for r in &api.routes {
        match paths.iter_mut().find(|(p, _)| *p == r.path) {
            Some((_, m)) => m.push(r.method.clone()),
            None => paths.push((r.path.clone(), vec![r.method.clone()])),
        }
    }
    if api.cors.is_some() {
        for (_, m) in &mut paths {
            if !m.iter().any(|m| m == "OPTIONS") {
                m.push("OPTIONS".into());
            }
        }
    }
    for (path, methods) in &paths {
        let methods: Vec<&str> = methods.iter().map(String::as_str).collect();
        add_sam(api, rp, path, &methods)?;
    }
    add_custom(api, rp);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sam_writes_one_statement_set_per_path_with_its_methods() {
        let mut api = RestApi::new("Api", "abc", "Prod");
        let rp =
            json!({"AwsAccountWhitelist": ["111122223333"], "IpRangeBlacklist": "10.0.0.1/32"});
        add_sam(&mut api, &rp, "/items/{id}", &["GET", "ANY"]).expect("a map");
        let doc = api.resource_policy.expect("a policy");
        let res = json!([
            "execute-api:/Prod/GET/items/*",
            "execute-api:/Prod/*/items/*"
        ]);
        assert_eq!(
            doc["Statement"],
            json!([
                {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": res, "Principal": {"AWS": ["111122223333"]}},
                {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": res, "Principal": "*"},
                {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": res, "Principal": "*",
                 "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.1/32"]}}},
            ])
        );
    }

    #[test]
    fn vpc_lists_split_by_prefix_and_custom_statements_are_not_repeated() {
        let mut api = RestApi::new("Api", "abc", "v1");
        let custom = json!({"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"});
        let rp = json!({"SourceVpcWhitelist": ["vpc-1", "vpce-2", "other"], "CustomStatements": [custom]});
        add_sam(&mut api, &rp, "/", &["POST"]).expect("a map");
        add_custom(&mut api, &rp);
        add_custom(&mut api, &rp);
        let st = &api.resource_policy.expect("a policy")["Statement"];
        assert_eq!(st.as_array().map(Vec::len), Some(3));
        assert_eq!(
            st[1]["Condition"],
            json!({"StringNotEquals": {"aws:SourceVpc": ["vpc-1"], "aws:SourceVpce": ["vpce-2"]}})
        );
        assert_eq!(st[1]["Resource"], json!(["execute-api:/v1/POST/"]));
        assert_eq!(st[2], custom);
    }

    #[test]
    fn a_document_may_be_a_json_string() {
        let d = document(&json!("{\"Statement\": []}")).expect("JSON");
        assert_eq!(d, Some(json!({"Statement": []})));
        assert!(document(&json!("nope")).is_err());
        assert_eq!(document(&Json::Null), Ok(None));
    }
}

//! The Lambda proxy event (payload 1.0) and the mapping of the function's answer back to HTTP.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value as Json, json};
use userpool::util::{Civil, b64, b64_decode, now_secs, random_bytes, sha256, uuid};

use crate::router::Resource;
use crate::spec::ApiSpec;

/// What the event needs besides the request.
#[derive(Debug)]
pub struct Context<'a> {
    /// API id.
    pub api_id: &'a str,
    /// Stage.
    pub stage: &'a str,
    /// Account id.
    pub account_id: &'a str,
    /// Region.
    pub region: &'a str,
    /// The matched resource path template.
    pub resource: &'a str,
    /// The request path without the stage.
    pub path: &'a str,
    /// Path parameters.
    pub params: &'a BTreeMap<String, String>,
    /// The authorizer's claims, if the route has one.
    pub claims: Option<&'a Json>,
    /// The client's address.
    pub peer: Option<SocketAddr>,
}

fn or_null(m: Map<String, Json>) -> Json {
    if m.is_empty() {
        Json::Null
    } else {
        Json::Object(m)
    }
}

/// A stable six-character resource id, as API Gateway gives each resource one.
fn resource_id(api_id: &str, resource: &str) -> String {
    let h = sha256(&[api_id.as_bytes(), resource.as_bytes()]);
    h.iter()
        .take(6)
        .map(|b| (b"abcdefghijklmnopqrstuvwxyz0123456789"[(*b % 36) as usize]) as char)
        .collect()
}

fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) => hex(h).zip(hex(l)).map(|(h, l)| (h * 16 + l) as u8),
            _ => None,
        };
        match (bytes[i], escaped) {
            (_, Some(b)) => {
                out.push(b);
                i += 3;
                continue;
            }
            (b'+', None) => out.push(b' '),
            (b, None) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The first label of the host, as API Gateway names it; an IP address has none, so the API id.
fn domain_prefix<'a>(host: &'a str, api_id: &'a str) -> &'a str {
    let name = host.split(':').next().unwrap_or(host);
    match name.split('.').next() {
        Some(label) if !label.is_empty() && !label.bytes().all(|b| b.is_ascii_digit()) => label,
        _ => api_id,
    }
}

/// Builds the proxy event for a request.
pub fn build(ctx: &Context<'_>, parts: &Parts, body: &Bytes) -> Vec<u8> {
    let now = now_secs();
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let source_ip = ctx
        .peer
        .map_or_else(|| "127.0.0.1".to_string(), |p| p.ip().to_string());
    let mut trace = [0u8; 12];
    random_bytes(&mut trace);
    let trace = format!("Root=1-{now:08x}-{}", userpool::util::hex(&trace));

    let mut headers = Map::new();
    let mut multi: Map<String, Json> = Map::new();
    let mut add = |name: &str, value: String| {
        headers.insert(name.to_string(), Json::String(value.clone()));
        match multi.get_mut(name) {
            Some(Json::Array(list)) => list.push(Json::String(value)),
            _ => {
                multi.insert(name.to_string(), json!([value]));
            }
        }
    };
    for (name, value) in &parts.headers {
        add(
            name.as_str(),
            String::from_utf8_lossy(value.as_bytes()).into_owned(),
        );
    }
    // What API Gateway's front end adds.
    add("x-amzn-trace-id", trace);
    add("x-forwarded-for", source_ip.clone());
    add(
        "x-forwarded-port",
        parts
            .uri
            .port_u16()
            .map_or_else(|| "80".into(), |p| p.to_string()),
    );
    add("x-forwarded-proto", "http".into());

    let mut query = Map::new();
    let mut multi_query: Map<String, Json> = Map::new();
    if let Some(q) = parts.uri.query() {
        for pair in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (k, v) = (percent_decode(k), percent_decode(v));
            query.insert(k.clone(), Json::String(v.clone()));
            match multi_query.get_mut(&k) {
                Some(Json::Array(list)) => list.push(Json::String(v)),
                _ => {
                    multi_query.insert(k, json!([v]));
                }
            }
        }
    }
    let params: Map<String, Json> = ctx
        .params
        .iter()
        .map(|(k, v)| (k.clone(), Json::String(v.clone())))
        .collect();

    let (body_json, b64_encoded) = if body.is_empty() {
        (Json::Null, false)
    } else {
        match std::str::from_utf8(body) {
            Ok(text) => (Json::String(text.to_string()), false),
            Err(_) => (Json::String(b64(body)), true),
        }
    };
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map_or_else(
            || format!("{}.execute-api.{}.amazonaws.com", ctx.api_id, ctx.region),
            str::to_string,
        );
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|h| h.to_str().ok());
    let stage_path = if ctx.path == "/" {
        format!("/{}/", ctx.stage)
    } else {
        format!("/{}{}", ctx.stage, ctx.path)
    };
    let mut ext = [0u8; 10];
    random_bytes(&mut ext);

    let mut request_context = json!({
        "resourceId": resource_id(ctx.api_id, ctx.resource),
        "resourcePath": ctx.resource,
        "httpMethod": parts.method.as_str(),
        "extendedRequestId": b64(&ext),
        "requestTime": Civil::from_epoch(now as i64).request_time_format(),
        "path": stage_path,
        "accountId": ctx.account_id,
        "protocol": "HTTP/1.1",
        "stage": ctx.stage,
        "domainPrefix": domain_prefix(&host, ctx.api_id),
        "requestTimeEpoch": ms as u64,
        "requestId": uuid(),
        "identity": {
            "cognitoIdentityPoolId": null, "accountId": null, "cognitoIdentityId": null,
            "caller": null, "sourceIp": source_ip, "principalOrgId": null, "accessKey": null,
            "cognitoAuthenticationType": null, "cognitoAuthenticationProvider": null,
            "userArn": null, "userAgent": user_agent, "user": null
        },
        "domainName": host,
        "apiId": ctx.api_id,
    });
    if let Some(claims) = ctx.claims {
        request_context["authorizer"] = json!({"claims": claims});
    }
    let event = json!({
        "resource": ctx.resource,
        "path": ctx.path,
        "httpMethod": parts.method.as_str(),
        "headers": or_null(headers),
        "multiValueHeaders": or_null(multi),
        "queryStringParameters": or_null(query),
        "multiValueQueryStringParameters": or_null(multi_query),
        "pathParameters": or_null(params),
        "stageVariables": null,
        "requestContext": request_context,
        "body": body_json,
        "isBase64Encoded": b64_encoded,
    });
    serde_json::to_vec(&event).expect("a JSON value serializes")
}

/// Maps the function's answer to HTTP; `Err` (the reason) when it is not the proxy shape.
pub fn response(payload: &[u8]) -> Result<Response, String> {
    let v: Json = serde_json::from_slice(payload).map_err(|e| format!("not JSON: {e}"))?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    let status = match obj.get("statusCode") {
        Some(Json::Number(n)) => n.as_u64().ok_or("statusCode is not an integer")?,
        Some(_) => return Err("statusCode is not an integer".into()),
        None => return Err("no statusCode".into()),
    };
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or("statusCode is not an HTTP status")?;
    let b64_encoded = match obj.get("isBase64Encoded") {
        None | Some(Json::Null) => false,
        Some(Json::Bool(b)) => *b,
        Some(_) => return Err("isBase64Encoded is not a boolean".into()),
    };
    let body = match obj.get("body") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::String(s)) if b64_encoded => b64_decode(s).ok_or("body is not valid base64")?,
        Some(Json::String(s)) => s.clone().into_bytes(),
        Some(_) => return Err("body is not a string".into()),
    };
    // multiValueHeaders first; a single header adds its value unless the pair is already there.
    let mut merged: Vec<(String, Vec<String>)> = Vec::new();
    match obj.get("multiValueHeaders") {
        None | Some(Json::Null) => {}
        Some(Json::Object(m)) => {
            for (k, list) in m {
                let Json::Array(list) = list else {
                    return Err(format!("multiValueHeaders.{k} is not a list"));
                };
                let values = list
                    .iter()
                    .map(|x| match x {
                        Json::String(s) => Ok(s.clone()),
                        Json::Number(_) | Json::Bool(_) => Ok(x.to_string()),
                        _ => Err(format!("multiValueHeaders.{k} holds a non-string")),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                merged.push((k.clone(), values));
            }
        }
        Some(_) => return Err("multiValueHeaders is not an object".into()),
    }
    match obj.get("headers") {
        None | Some(Json::Null) => {}
        Some(Json::Object(m)) => {
            for (k, v) in m {
                let value = match v {
                    Json::String(s) => s.clone(),
                    Json::Number(_) | Json::Bool(_) => v.to_string(),
                    _ => return Err(format!("headers.{k} is not a string")),
                };
                match merged
                    .iter_mut()
                    .find(|(name, _)| name.eq_ignore_ascii_case(k))
                {
                    Some((_, values)) if values.contains(&value) => {}
                    Some((_, values)) => values.push(value),
                    None => merged.push((k.clone(), vec![value])),
                }
            }
        }
        Some(_) => return Err("headers is not an object".into()),
    }
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    for (name, values) in merged {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("bad header name {name:?}"))?;
        for v in values {
            let v =
                HeaderValue::from_str(&v).map_err(|_| format!("bad value for header {name}"))?;
            h.append(name.clone(), v);
        }
    }
    if !h.contains_key(header::CONTENT_TYPE) {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    if let Ok(v) = HeaderValue::from_str(&uuid()) {
        h.insert("x-amzn-requestid", v);
    }
    Ok(resp)
}

/// SAM's CORS preflight for a resource: 200 with the Access-Control headers.
pub fn preflight(spec: &ApiSpec, res: &Resource) -> Response {
    let cors = spec.cors.clone().unwrap_or_default();
    let methods = cors.allow_methods.clone().unwrap_or_else(|| {
        let mut m: Vec<String> = res
            .methods
            .keys()
            .map(|k| {
                if k == "ANY" {
                    "DELETE,GET,HEAD,PATCH,POST,PUT".to_string()
                } else {
                    k.clone()
                }
            })
            .collect();
        m.push("OPTIONS".into());
        m.join(",")
    });
    let mut resp = Response::new(Body::from("{}"));
    let h = resp.headers_mut();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    set("content-type", "application/json");
    set("access-control-allow-origin", &cors.allow_origin);
    set("access-control-allow-methods", &methods);
    if let Some(hd) = &cors.allow_headers {
        set("access-control-allow-headers", hd);
    }
    if let Some(age) = &cors.max_age {
        set("access-control-max-age", age);
    }
    if cors.allow_credentials {
        set("access-control-allow-credentials", "true");
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_multi_value_headers_merge_as_api_gateway_does() {
        let r = response(br#"{"statusCode":201,"headers":{"A":"1","B":"x"},"multiValueHeaders":{"a":["1","2"],"C":["c"]},"body":"hi"}"#)
            .expect("valid");
        assert_eq!(r.status(), 201);
        let a: Vec<_> = r.headers().get_all("a").iter().collect();
        assert_eq!(a, ["1", "2"]);
        assert_eq!(r.headers()["b"], "x");
        assert_eq!(r.headers()["c"], "c");
    }

    #[test]
    fn malformed_answers_are_refused() {
        for bad in [
            &b"not json"[..],
            br#"[1]"#,
            br#"{"body":"x"}"#,
            br#"{"statusCode":"200"}"#,
            br#"{"statusCode":200,"body":5}"#,
            br#"{"statusCode":200,"headers":{"a":{"b":1}}}"#,
            br#"{"statusCode":200,"isBase64Encoded":true,"body":"!!"}"#,
            br#"{"statusCode":99999}"#,
        ] {
            assert!(response(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn base64_bodies_are_decoded() {
        let r = response(br#"{"statusCode":200,"isBase64Encoded":true,"body":"AAECAwQ="}"#)
            .expect("valid");
        assert_eq!(r.status(), 200);
    }

    #[test]
    fn query_strings_are_percent_decoded() {
        assert_eq!(percent_decode("a%20b+c%2F"), "a b c/");
        assert_eq!(percent_decode("100%"), "100%");
    }
}

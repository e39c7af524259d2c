//! The Lambda proxy event (payload 1.0) and the mapping of the function's answer back to HTTP.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use common::date::{now_secs, request_time};
use common::digest::sha256;
use common::encoding::{b64, b64_decode};
use common::id::{random_bytes, uuid};
use serde_json::Value as Json;

use crate::router::Resource;
use crate::spec::RestApi;

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
    /// `requestContext.authorizer`, if the route has an authorizer: `{"claims": …}` for a
    /// Cognito authorizer, `{"principalId", "integrationLatency", …context}` for a Lambda one.
    pub authorizer: Option<&'a Json>,
    /// The client's address.
    pub peer: Option<SocketAddr>,
    /// Payload 1.0 on an HTTP API: `"version":"1.0"`, `resourceId` null, and on the
    /// `$default` stage no stage segment in `requestContext.path`.
    pub http_api: bool,
    /// `requestContext.identity`'s caller fields (IAM) and API key; `None`: all null.
    pub identity: Option<&'a Identity>,
}

/// Who called, as `requestContext.identity` says it: the IAM caller of a signed request, the
/// API key of a keyed method.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// `accessKey`.
    pub access_key: Option<String>,
    /// `accountId`: the caller's account.
    pub account_id: Option<String>,
    /// `caller` and `user`: the principal's unique id (`AIDA…`).
    pub caller: Option<String>,
    /// `userArn`.
    pub user_arn: Option<String>,
    /// `apiKey`: the key's value.
    pub api_key: Option<String>,
    /// `apiKeyId`.
    pub api_key_id: Option<String>,
    /// `cognitoIdentityId`, `cognitoIdentityPoolId`, `cognitoAuthenticationType`,
    /// `cognitoAuthenticationProvider`: a caller signing with identity pool credentials.
    pub cognito: Option<crate::protect::CognitoIdentity>,
}

/// A stable six-character resource id, as API Gateway gives each resource one.
fn resource_id(api_id: &str, resource: &str) -> String {
    let h = sha256(&[api_id.as_bytes(), resource.as_bytes()]);
    h.iter()
        .take(6)
        .map(|b| (b"abcdefghijklmnopqrstuvwxyz0123456789"[(*b % 36) as usize]) as char)
        .collect()
}

/// The first label of the host, as API Gateway names it; an IP address has none, so the API id.
fn domain_prefix<'a>(host: &'a str, api_id: &'a str) -> &'a str {
    let name = host.split(':').next().unwrap_or(host);
    match name.split('.').next() {
        Some(label) if !label.is_empty() && !label.bytes().all(|b| b.is_ascii_digit()) => label,
        _ => api_id,
    }
}

/// JSON written straight into the event's buffer: the event is built for every request, and
/// a `serde_json::Value` tree of it (a map per object, a string per value) cost more than the
/// rest of the gateway's own work (17 µs of a request; written directly, a few µs).
struct Out(Vec<u8>);

impl Out {
    fn raw(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }
    /// `s` as a JSON string.
    fn str(&mut self, s: &str) {
        serde_json::to_writer(&mut self.0, s).expect("writing to a Vec does not fail");
    }
    /// `,"key":` (without the comma for the first key: `first` is then true).
    fn key(&mut self, key: &str, first: bool) {
        if !first {
            self.0.push(b',');
        }
        self.str(key);
        self.0.push(b':');
    }
    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.str(s),
            None => self.raw("null"),
        }
    }
    /// `{"k":"v",…}` and `{"k":["v",…],…}` from pairs grouped by key, or `null` for none.
    fn maps<K: AsRef<str>>(&mut self, pairs: &[(K, Vec<std::borrow::Cow<'_, str>>)], multi: bool) {
        if pairs.is_empty() {
            return self.raw("null");
        }
        self.0.push(b'{');
        for (i, (k, values)) in pairs.iter().enumerate() {
            self.key(k.as_ref(), i == 0);
            if multi {
                self.0.push(b'[');
                for (j, v) in values.iter().enumerate() {
                    if j > 0 {
                        self.0.push(b',');
                    }
                    self.str(v);
                }
                self.0.push(b']');
            } else {
                // As API Gateway does, the last of a repeated name.
                self.opt_str(values.last().map(AsRef::as_ref));
            }
        }
        self.0.push(b'}');
    }
}

/// What API Gateway's front end adds to the request's headers.
const ADDED: [&str; 4] = [
    "x-amzn-trace-id",
    "x-forwarded-for",
    "x-forwarded-port",
    "x-forwarded-proto",
];

/// Builds the proxy event for a request.
pub fn build(ctx: &Context<'_>, parts: &Parts, body: &Bytes) -> Vec<u8> {
    use std::borrow::Cow;
    let now = now_secs();
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let source_ip = ctx
        .peer
        .map_or_else(|| "127.0.0.1".to_string(), |p| p.ip().to_string());
    // The trace id, extendedRequestId and requestId, from one draw.
    let mut random = [0u8; 38];
    random_bytes(&mut random);
    let trace = format!("Root=1-{now:08x}-{}", common::encoding::hex(&random[..12]));
    let extended_id = b64(&random[12..22]);
    let request_id =
        common::id::uuid_from(random[22..38].try_into().expect("16 bytes of the draw"));
    // The port the client connected to: the URI's (rarely there on a server), else the Host's.
    let port = parts
        .uri
        .port_u16()
        .or_else(|| {
            let host = parts.headers.get(header::HOST)?.to_str().ok()?;
            host.rsplit_once(':')?.1.parse().ok()
        })
        .map_or_else(|| "80".into(), |p: u16| p.to_string());

    // Header names in the order they came, each with its values; the gateway's own last.
    fn value(v: &HeaderValue) -> Cow<'_, str> {
        String::from_utf8_lossy(v.as_bytes())
    }
    let mut headers: Vec<(&str, Vec<Cow<'_, str>>)> = parts
        .headers
        .keys()
        .filter(|name| !ADDED.contains(&name.as_str()))
        .map(|name| {
            (
                name.as_str(),
                parts.headers.get_all(name).iter().map(value).collect(),
            )
        })
        .collect();
    for (name, ours) in
        ADDED
            .iter()
            .zip([trace.as_str(), source_ip.as_str(), port.as_str(), "http"])
    {
        let mut values: Vec<Cow<'_, str>> =
            parts.headers.get_all(*name).iter().map(value).collect();
        values.push(Cow::Borrowed(ours));
        headers.push((name, values));
    }

    // Grouped by name (a map: a long query string must not cost a scan per parameter).
    let mut grouped: BTreeMap<String, Vec<Cow<'_, str>>> = BTreeMap::new();
    if let Some(q) = parts.uri.query() {
        // As API Gateway decodes a query string: `%XX` and `+` for a space.
        for (k, v) in form_urlencoded::parse(q.as_bytes()) {
            grouped.entry(k.into_owned()).or_default().push(v);
        }
    }
    let query: Vec<(String, Vec<Cow<'_, str>>)> = grouped.into_iter().collect();
    let params: Vec<(&str, Vec<Cow<'_, str>>)> = ctx
        .params
        .iter()
        .map(|(k, v)| (k.as_str(), vec![Cow::Borrowed(v.as_str())]))
        .collect();

    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map_or_else(
            || {
                Cow::Owned(format!(
                    "{}.execute-api.{}.amazonaws.com",
                    ctx.api_id, ctx.region
                ))
            },
            Cow::Borrowed,
        );
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|h| h.to_str().ok());
    let stage_path = if ctx.http_api {
        ctx.path.to_string()
    } else if ctx.path == "/" {
        format!("/{}/", ctx.stage)
    } else {
        format!("/{}{}", ctx.stage, ctx.path)
    };

    let mut o = Out(Vec::with_capacity(2048 + body.len()));
    o.raw("{");
    if ctx.http_api {
        o.raw(r#""version":"1.0","#);
    }
    o.key("resource", true);
    o.str(ctx.resource);
    o.key("path", false);
    o.str(ctx.path);
    o.key("httpMethod", false);
    o.str(parts.method.as_str());
    o.key("headers", false);
    o.maps(&headers, false);
    o.key("multiValueHeaders", false);
    o.maps(&headers, true);
    o.key("queryStringParameters", false);
    o.maps(&query, false);
    o.key("multiValueQueryStringParameters", false);
    o.maps(&query, true);
    o.key("pathParameters", false);
    o.maps(&params, false);
    o.raw(r#","stageVariables":null,"requestContext":{"#);
    o.key("resourceId", true);
    if ctx.http_api {
        o.raw("null");
    } else {
        o.str(&resource_id(ctx.api_id, ctx.resource));
    }
    o.key("resourcePath", false);
    o.str(ctx.resource);
    o.key("httpMethod", false);
    o.str(parts.method.as_str());
    o.key("extendedRequestId", false);
    o.str(&extended_id);
    o.key("requestTime", false);
    o.str(&request_time(now as i64));
    o.key("path", false);
    o.str(&stage_path);
    o.key("accountId", false);
    o.str(ctx.account_id);
    o.raw(r#","protocol":"HTTP/1.1""#);
    o.key("stage", false);
    o.str(ctx.stage);
    o.key("domainPrefix", false);
    o.str(domain_prefix(&host, ctx.api_id));
    o.key("requestTimeEpoch", false);
    o.raw(&ms.to_string());
    o.key("requestId", false);
    o.str(&request_id);
    match ctx.identity {
        None => o.raw(concat!(
            r#","identity":{"cognitoIdentityPoolId":null,"accountId":null,"cognitoIdentityId":null,"#,
            r#""caller":null,"principalOrgId":null,"accessKey":null,"cognitoAuthenticationType":null,"#,
            r#""cognitoAuthenticationProvider":null,"userArn":null,"user":null,"sourceIp":"#
        )),
        Some(id) => {
            let cognito = id.cognito.as_ref();
            o.key("identity", false);
            o.raw("{");
            o.key("cognitoIdentityPoolId", true);
            o.opt_str(cognito.map(|c| c.pool_id.as_str()));
            o.key("accountId", false);
            o.opt_str(id.account_id.as_deref());
            o.key("cognitoIdentityId", false);
            o.opt_str(cognito.map(|c| c.identity_id.as_str()));
            o.key("caller", false);
            o.opt_str(id.caller.as_deref());
            o.raw(r#","principalOrgId":null"#);
            o.key("accessKey", false);
            o.opt_str(id.access_key.as_deref());
            o.key("cognitoAuthenticationType", false);
            o.opt_str(cognito.map(|c| c.authentication_type.as_str()));
            o.key("cognitoAuthenticationProvider", false);
            o.opt_str(cognito.and_then(|c| c.authentication_provider.as_deref()));
            o.key("userArn", false);
            o.opt_str(id.user_arn.as_deref());
            o.key("user", false);
            o.opt_str(id.caller.as_deref());
            if id.api_key.is_some() {
                o.key("apiKey", false);
                o.opt_str(id.api_key.as_deref());
                o.key("apiKeyId", false);
                o.opt_str(id.api_key_id.as_deref());
            }
            o.raw(r#","sourceIp":"#);
        }
    }
    o.str(&source_ip);
    o.key("userAgent", false);
    o.opt_str(user_agent);
    o.raw("}");
    o.key("domainName", false);
    o.str(&host);
    o.key("apiId", false);
    o.str(ctx.api_id);
    if let Some(authorizer) = ctx.authorizer {
        o.key("authorizer", false);
        serde_json::to_writer(&mut o.0, authorizer).expect("writing to a Vec does not fail");
    }
    o.raw("}");
    o.key("body", false);
    let b64_encoded = match std::str::from_utf8(body) {
        _ if body.is_empty() => {
            o.raw("null");
            false
        }
        Ok(text) => {
            o.str(text);
            false
        }
        Err(_) => {
            o.str(&b64(body));
            true
        }
    };
    o.key("isBase64Encoded", false);
    o.raw(if b64_encoded { "true" } else { "false" });
    o.raw("}");
    o.0
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

/// A `mock` integration's fixed answer.
pub fn mock(status: u16, headers: &[(String, String)], body: &str) -> Response {
    let mut resp = Response::new(Body::from(body.to_string()));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let h = resp.headers_mut();
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            h.append(n, v);
        }
    }
    if !h.contains_key(header::CONTENT_TYPE) {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    resp
}

/// SAM's CORS preflight for a resource: 200 with the Access-Control headers.
pub fn preflight(spec: &RestApi, res: &Resource) -> Response {
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
    fn the_event_has_the_proxy_shape() {
        use axum::http::Request;
        let (parts, ()) = Request::get("http://h/v1/items/7?a=1&b=x%20y&a=2&flag")
            .header("host", "abc.example.com:3000")
            .header("user-agent", "t/1")
            .header("x-multi", "one")
            .header("x-multi", "two \"quoted\"")
            .header("x-forwarded-for", "10.0.0.1")
            .body(())
            .expect("request")
            .into_parts();
        let params = BTreeMap::from([("id".to_string(), "7".to_string())]);
        let claims = serde_json::json!({"sub": "s", "email": "e@x"});
        let authorizer = serde_json::json!({"claims": claims});
        let ctx = Context {
            api_id: "api1",
            stage: "v1",
            account_id: "000000000000",
            region: "us-east-1",
            resource: "/items/{id}",
            path: "/items/7",
            params: &params,
            authorizer: Some(&authorizer),
            peer: Some("127.0.0.9:5000".parse().expect("addr")),
            http_api: false,
            identity: None,
        };
        let e: Json = serde_json::from_slice(&build(&ctx, &parts, &Bytes::from_static(b"hi")))
            .expect("the event is JSON");
        assert_eq!(e["resource"], "/items/{id}");
        assert_eq!(e["path"], "/items/7");
        assert_eq!(e["httpMethod"], "GET");
        assert_eq!(e["headers"]["x-multi"], "two \"quoted\"");
        assert_eq!(
            e["multiValueHeaders"]["x-multi"],
            serde_json::json!(["one", "two \"quoted\""])
        );
        assert_eq!(e["headers"]["x-forwarded-for"], "127.0.0.9");
        assert_eq!(
            e["multiValueHeaders"]["x-forwarded-for"],
            serde_json::json!(["10.0.0.1", "127.0.0.9"])
        );
        assert_eq!(e["headers"]["x-forwarded-proto"], "http");
        assert_eq!(e["headers"]["x-forwarded-port"], "3000");
        assert!(
            e["headers"]["x-amzn-trace-id"]
                .as_str()
                .is_some_and(|t| t.starts_with("Root=1-"))
        );
        assert_eq!(
            e["queryStringParameters"],
            serde_json::json!({"a": "2", "b": "x y", "flag": ""})
        );
        assert_eq!(
            e["multiValueQueryStringParameters"],
            serde_json::json!({"a": ["1", "2"], "b": ["x y"], "flag": [""]})
        );
        assert_eq!(e["pathParameters"], serde_json::json!({"id": "7"}));
        assert_eq!(e["stageVariables"], Json::Null);
        assert_eq!(e["body"], "hi");
        assert_eq!(e["isBase64Encoded"], false);
        let rc = &e["requestContext"];
        assert_eq!(rc["path"], "/v1/items/7");
        assert_eq!(rc["stage"], "v1");
        assert_eq!(rc["domainName"], "abc.example.com:3000");
        assert_eq!(rc["domainPrefix"], "abc");
        assert_eq!(rc["identity"]["sourceIp"], "127.0.0.9");
        assert_eq!(rc["identity"]["userAgent"], "t/1");
        assert_eq!(rc["identity"]["user"], Json::Null);
        assert_eq!(rc["authorizer"]["claims"], claims);
        assert_eq!(rc["requestId"].as_str().map(str::len), Some(36));
        assert!(rc["requestTimeEpoch"].as_u64().is_some());

        // No query, no path parameters, a binary body, no claims.
        let (parts, ()) = Request::get("/").body(()).expect("request").into_parts();
        let none = BTreeMap::new();
        let ctx = Context {
            params: &none,
            authorizer: None,
            ..ctx
        };
        let e: Json = serde_json::from_slice(&build(&ctx, &parts, &Bytes::from_static(&[0xff, 0])))
            .expect("the event is JSON");
        assert_eq!(e["queryStringParameters"], Json::Null);
        assert_eq!(e["multiValueQueryStringParameters"], Json::Null);
        assert_eq!(e["pathParameters"], Json::Null);
        assert_eq!(e["requestContext"].get("authorizer"), None);
        assert_eq!(e["body"], "/wA=");
        assert_eq!(e["isBase64Encoded"], true);
        assert_eq!(e["headers"]["x-forwarded-port"], "80");
    }

    #[test]
    fn query_strings_are_percent_decoded() {
        let (parts, ()) = axum::http::Request::get("/v1/x?q=a%20b+c%2F&p=100%")
            .body(())
            .expect("request")
            .into_parts();
        let none = BTreeMap::new();
        let ctx = Context {
            api_id: "api1",
            stage: "v1",
            account_id: "000000000000",
            region: "us-east-1",
            resource: "/x",
            path: "/x",
            params: &none,
            authorizer: None,
            peer: None,
            http_api: false,
            identity: None,
        };
        let e: Json = serde_json::from_slice(&build(&ctx, &parts, &Bytes::new())).expect("JSON");
        assert_eq!(e["queryStringParameters"]["q"], "a b c/");
        assert_eq!(e["queryStringParameters"]["p"], "100%");
    }
}

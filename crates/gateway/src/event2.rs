//! HTTP APIs' Lambda payload format 2.0: the event, and the mapping of the function's answer
//! (a `{"statusCode", "headers", "cookies", "body", "isBase64Encoded"}` object, or any other
//! JSON value, which becomes a 200 `application/json` body).

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use common::date::{now_ms, request_time};
use common::encoding::{b64, b64_decode};
use serde_json::{Map, Value as Json, json};

/// What the event needs besides the request.
#[derive(Debug)]
pub struct Context<'a> {
    /// API id.
    pub api_id: &'a str,
    /// Stage (`$default` or a name).
    pub stage: &'a str,
    /// Account id.
    pub account_id: &'a str,
    /// Region.
    pub region: &'a str,
    /// `GET /items/{id}` or `$default`.
    pub route_key: &'a str,
    /// Path parameters.
    pub params: &'a BTreeMap<String, String>,
    /// `requestContext.authorizer`, when the route has one.
    pub authorizer: Option<Json>,
    /// The client's address.
    pub peer: Option<SocketAddr>,
}

fn domain_prefix<'a>(host: &'a str, api_id: &'a str) -> &'a str {
    let name = host.split(':').next().unwrap_or(host);
    match name.split('.').next() {
        Some(label) if !label.is_empty() && !label.bytes().all(|b| b.is_ascii_digit()) => label,
        _ => api_id,
    }
}

/// Builds the 2.0 event.
pub fn build(ctx: &Context<'_>, parts: &Parts, body: &Bytes) -> Vec<u8> {
    let ms = now_ms();
    let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut cookies = Vec::new();
    for (name, value) in &parts.headers {
        let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == header::COOKIE {
            cookies.extend(
                v.split(';')
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty()),
            );
            continue;
        }
        headers
            .entry(name.as_str().to_string())
            .or_default()
            .push(v);
    }
    let source_ip = ctx
        .peer
        .map_or_else(|| "127.0.0.1".to_string(), |p| p.ip().to_string());
    headers
        .entry("x-forwarded-for".into())
        .or_default()
        .push(source_ip.clone());
    headers
        .entry("x-forwarded-proto".into())
        .or_default()
        .push("http".into());
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map_or_else(
            || format!("{}.execute-api.{}.amazonaws.com", ctx.api_id, ctx.region),
            str::to_string,
        );
    let port = host.rsplit_once(':').map_or("80", |(_, p)| p).to_string();
    headers
        .entry("x-forwarded-port".into())
        .or_default()
        .push(port);
    let mut trace = [0u8; 12];
    common::id::random_bytes(&mut trace);
    headers
        .entry("x-amzn-trace-id".into())
        .or_default()
        .push(format!(
            "Root=1-{:08x}-{}",
            ms / 1000,
            common::encoding::hex(&trace)
        ));
    let headers: Map<String, Json> = headers
        .into_iter()
        .map(|(k, v)| (k, Json::String(v.join(","))))
        .collect();

    let raw_query = parts.uri.query().unwrap_or_default().to_string();
    let mut query: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(raw_query.as_bytes()) {
        query
            .entry(k.into_owned())
            .or_default()
            .push(v.into_owned());
    }
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let mut request_context = json!({
        "accountId": ctx.account_id,
        "apiId": ctx.api_id,
        "domainName": host,
        "domainPrefix": domain_prefix(&host, ctx.api_id),
        "http": {
            "method": parts.method.as_str(),
            "path": parts.uri.path(),
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": user_agent,
        },
        "requestId": common::id::uuid(),
        "routeKey": ctx.route_key,
        "stage": ctx.stage,
        "time": request_time(i64::try_from(ms / 1000).unwrap_or(0)),
        "timeEpoch": ms,
    });
    if let Some(a) = &ctx.authorizer {
        request_context["authorizer"] = a.clone();
    }
    let mut event = json!({
        "version": "2.0",
        "routeKey": ctx.route_key,
        "rawPath": parts.uri.path(),
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": request_context,
        "isBase64Encoded": false,
    });
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if !query.is_empty() {
        event["queryStringParameters"] = Json::Object(
            query
                .into_iter()
                .map(|(k, v)| (k, Json::String(v.join(","))))
                .collect(),
        );
    }
    if !ctx.params.is_empty() {
        event["pathParameters"] = json!(ctx.params);
    }
    if !body.is_empty() {
        match std::str::from_utf8(body) {
            Ok(text) => event["body"] = json!(text),
            Err(_) => {
                event["body"] = json!(b64(body));
                event["isBase64Encoded"] = json!(true);
            }
        }
    }
    serde_json::to_vec(&event).expect("an event serializes")
}

/// Maps the function's 2.0 answer to HTTP; `Err` (the reason) when it cannot be used.
pub fn response(payload: &[u8]) -> Result<Response, String> {
    let v: Json = serde_json::from_slice(payload).map_err(|e| format!("not JSON: {e}"))?;
    let shaped = v.as_object().filter(|o| o.contains_key("statusCode"));
    let Some(obj) = shaped else {
        // Any other JSON: 200, the output itself as the body (a string's text as it is).
        let body = match &v {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        };
        let mut resp = Response::new(Body::from(body));
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return Ok(resp);
    };
    let status = obj["statusCode"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or("statusCode is not an HTTP status")?;
    let b64_encoded = obj
        .get("isBase64Encoded")
        .and_then(Json::as_bool)
        .unwrap_or(false);
    let body = match obj.get("body") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::String(s)) if b64_encoded => b64_decode(s).ok_or("body is not valid base64")?,
        Some(Json::String(s)) => s.clone().into_bytes(),
        Some(other) => other.to_string().into_bytes(),
    };
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    if let Some(Json::Object(m)) = obj.get("headers") {
        for (k, v) in m {
            let value = match v {
                Json::String(s) => s.clone(),
                Json::Number(_) | Json::Bool(_) => v.to_string(),
                _ => return Err(format!("headers.{k} is not a string")),
            };
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| format!("bad header name {k:?}"))?;
            let value =
                HeaderValue::from_str(&value).map_err(|_| format!("bad value for header {k}"))?;
            h.insert(name, value);
        }
    }
    if let Some(Json::Array(cookies)) = obj.get("cookies") {
        for c in cookies.iter().filter_map(Json::as_str) {
            let v = HeaderValue::from_str(c)
                .map_err(|_| "a cookie is not a header value".to_string())?;
            h.append(header::SET_COOKIE, v);
        }
    }
    if !h.contains_key(header::CONTENT_TYPE) {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_value_becomes_a_200_json_body() {
        let r = response(br#""Hello""#).expect("ok");
        assert_eq!(r.status(), 200);
        let r = response(br#"{"message": "hi"}"#).expect("ok");
        assert_eq!(r.headers()["content-type"], "application/json");
    }

    #[test]
    fn cookies_become_set_cookie_headers() {
        let r = response(br#"{"statusCode": 201, "cookies": ["a=1", "b=2; Path=/"], "headers": {"x": "y"}, "body": "ok"}"#)
            .expect("ok");
        assert_eq!(r.status(), 201);
        let set: Vec<_> = r.headers().get_all("set-cookie").iter().collect();
        assert_eq!(set, ["a=1", "b=2; Path=/"]);
        assert_eq!(r.headers()["x"], "y");
        assert!(response(br#"{"statusCode": "x"}"#).is_err());
        assert!(response(b"not json").is_err());
    }

    #[test]
    fn the_event_has_the_2_0_shape() {
        use axum::http::Request;
        let (parts, ()) = Request::get("http://h/items/7?a=1&a=2&b=x")
            .header("host", "api1.example.com:3000")
            .header("cookie", "c1=v1; c2=v2")
            .header("x-multi", "one")
            .header("x-multi", "two")
            .body(())
            .expect("request")
            .into_parts();
        let params = BTreeMap::from([("id".to_string(), "7".to_string())]);
        let ctx = Context {
            api_id: "api1",
            stage: "$default",
            account_id: "123456789012",
            region: "us-east-1",
            route_key: "GET /items/{id}",
            params: &params,
            authorizer: Some(json!({"jwt": {"claims": {"sub": "s"}, "scopes": null}})),
            peer: Some("127.0.0.9:5000".parse().expect("addr")),
        };
        let e: Json = serde_json::from_slice(&build(&ctx, &parts, &Bytes::new())).expect("JSON");
        assert_eq!(e["version"], "2.0");
        assert_eq!(e["routeKey"], "GET /items/{id}");
        assert_eq!(e["rawPath"], "/items/7");
        assert_eq!(e["rawQueryString"], "a=1&a=2&b=x");
        assert_eq!(e["cookies"], json!(["c1=v1", "c2=v2"]));
        assert!(e["headers"].get("cookie").is_none());
        assert_eq!(e["headers"]["x-multi"], "one,two");
        assert_eq!(e["queryStringParameters"], json!({"a": "1,2", "b": "x"}));
        assert_eq!(e["pathParameters"], json!({"id": "7"}));
        assert!(e.get("body").is_none() && e.get("stageVariables").is_none());
        let rc = &e["requestContext"];
        assert_eq!(rc["http"]["method"], "GET");
        assert_eq!(rc["http"]["sourceIp"], "127.0.0.9");
        assert_eq!(rc["stage"], "$default");
        assert_eq!(rc["domainPrefix"], "api1");
        assert_eq!(rc["authorizer"]["jwt"]["claims"]["sub"], "s");
        assert!(rc["timeEpoch"].as_u64().is_some());
    }
}

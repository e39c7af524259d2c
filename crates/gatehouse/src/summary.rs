//! What `gatehouse up` prints once it serves: the endpoints, the outputs, the routes, what is
//! not emulated, and the commands a newcomer runs next with this stack's values filled in.

use std::path::Path;

use serde_json::Value as Json;

pub use gateway::RouteRow;

/// The summary's text; a blank line ends it, so scripts know when they have all of it.
pub fn render(elapsed_ms: u128, r: &crate::stack::Running) -> String {
    let (cognito_url, api_url, outputs, routes) =
        (&r.cognito_url, &r.api_url, &r.outputs, &r.routes);
    let (not_emulated, unavailable, state_dir) =
        (&r.not_emulated, &r.unavailable, r.state_dir.as_path());
    let mut out = String::new();
    out.push_str(&format!("gatehouse is up ({elapsed_ms} ms)\n"));
    out.push_str(&format!("  Cognito endpoint  {cognito_url}\n"));
    out.push_str(&format!(
        "  STS               {cognito_url} (AWS_ENDPOINT_URL_STS in functions)\n"
    ));
    out.push_str(&format!("  API               {api_url}\n"));
    for (k, v) in outputs {
        out.push_str(&format!("  {k:<17} {v}\n"));
    }
    out.push_str(&format!(
        "  state             {} (outputs.json, outbox.jsonl)\n",
        state_dir.display()
    ));
    if !r.transforms.is_empty() {
        out.push_str(&format!(
            "  transforms        {}\n",
            r.transforms.join(", ")
        ));
    }
    if !r.generated_used.is_empty() {
        out.push_str(&format!(
            "  generated ids     {} (SAM's, as the template refers to them)\n",
            r.generated_used.join(", ")
        ));
    }
    if let Some(builds) = &r.builds {
        out.push_str(&format!("  built             {builds}\n"));
    }
    out.push_str("  routes:\n");
    for r in routes {
        let (method, path, function, auth) = (&r.method, &r.path, &r.function, &r.protection);
        out.push_str(&format!(
            "    {method:<7} {path:<24} {function:<24} auth: {auth}\n"
        ));
    }
    if !unavailable.is_empty() {
        out.push_str("  cannot run here (their routes answer 502):\n");
        for (function, why) in unavailable {
            out.push_str(&format!("    {function:<24} {why}\n"));
        }
    }
    if let Some(url) = &r.dynamodb_endpoint
        && !r.tables.is_empty()
    {
        match &r.engine {
            Some((_, ready)) => out.push_str(&format!(
                "  DynamoDB tables on {url} (moto {} started by gatehouse, ready in {} ms; items kept in {} between starts):\n",
                crate::dynamodb::engine::MOTO,
                ready.as_millis(),
                crate::dynamodb::snapshot::file(state_dir).display()
            )),
            None => out.push_str(&format!("  DynamoDB tables on {url}:\n")),
        }
        for (logical_id, name, created) in &r.tables {
            let how = if *created { "created" } else { "existed" };
            out.push_str(&format!("    {logical_id:<24} {name:<40} {how}\n"));
        }
    }
    if !r.identity_pools.is_empty() {
        out.push_str(&format!(
            "  identity pools (cognito-identity on {cognito_url}):\n"
        ));
        for (id, name, roles) in &r.identity_pools {
            let role = |k: &str| {
                roles[k]
                    .as_str()
                    .map_or("-", |arn| arn.rsplit('/').next().unwrap_or(arn))
                    .to_string()
            };
            out.push_str(&format!(
                "    {name:<24} {id:<48} authenticated: {}  unauthenticated: {}\n",
                role("authenticated"),
                role("unauthenticated")
            ));
        }
    }
    if !not_emulated.is_empty() {
        out.push_str("  not emulated (references resolve to these values):\n");
        for n in not_emulated {
            out.push_str(&format!(
                "    {:<24} {:<32} Ref: {}\n",
                n.logical_id, n.type_name, n.reference
            ));
        }
    }
    out.push_str(&other_services(not_emulated, &r.endpoints));
    if let Some(next) = next_steps(api_url, routes, state_dir) {
        out.push_str(&next);
    }
    out.push('\n');
    out
}

/// The services the not-emulated resources belong to (and those `--endpoint` names), each
/// with where the functions' SDK calls to it go.
fn other_services(not_emulated: &[sam::NotEmulated], endpoints: &[(String, String)]) -> String {
    let mut services: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for n in not_emulated {
        if let Some(s) = sam::services::of_resource_type(&n.type_name) {
            services.entry(s).or_default().push(&n.logical_id);
        }
    }
    for (s, _) in endpoints {
        services.entry(s).or_default();
    }
    if services.is_empty() {
        return String::new();
    }
    let mut out = String::from("  other services (AWS_ENDPOINT_URL_<SERVICE> in functions):\n");
    for (service, resources) in services {
        let at = match endpoints.iter().find(|(s, _)| s == service) {
            Some((_, url)) => url.clone(),
            None => format!(
                "no endpoint: calls go to AWS with local credentials and fail (--endpoint {}=URL)",
                service.to_ascii_lowercase()
            ),
        };
        let used_by = if resources.is_empty() {
            String::new()
        } else {
            format!("  [{}]", resources.join(", "))
        };
        out.push_str(&format!("    {service:<16} {at}{used_by}\n"));
    }
    out
}

/// The commands a newcomer runs next, with this stack's values filled in: this app's first
/// open route and first route behind an authorizer (`GET` ones, with no path parameter, when
/// there are), and its invited user; nothing when it has no route.
fn next_steps(api_url: &str, routes: &[RouteRow], state_dir: &Path) -> Option<String> {
    let pick = |open: bool| {
        let mut candidates: Vec<&RouteRow> = routes
            .iter()
            // A user pool token helps on a route behind a Cognito or JWT authorizer; not on a
            // Lambda authorizer's (its token is the app's own), IAM, keyed or refused ones.
            .filter(|r| {
                if open {
                    r.protection == "-"
                } else {
                    r.token_header.is_some() && !r.protection.contains("api-key")
                }
            })
            .collect();
        // Callable with curl as it is: GET, no {param}, no greedy path.
        candidates.sort_by_key(|r| (r.method != "GET" && r.method != "ANY", r.path.contains('{')));
        candidates.first().map(|r| {
            (
                r.method.clone(),
                r.path.clone(),
                r.token_header.clone().unwrap_or_default(),
            )
        })
    };
    let open = pick(true);
    let guarded = pick(false);
    if open.is_none() && guarded.is_none() {
        return None;
    }
    let dir = if state_dir == Path::new(".gatehouse") {
        String::new()
    } else {
        format!(" --state-dir {}", state_dir.display())
    };
    let messages = std::fs::read_to_string(state_dir.join("outbox.jsonl")).unwrap_or_default();
    let invited = messages
        .lines()
        .filter_map(|l| serde_json::from_str::<Json>(l).ok())
        .filter(|m| m["temporaryPassword"].is_string())
        .filter_map(|m| m["to"].as_str().map(str::to_string))
        .next_back();
    let curl = |method: &str, path: &str, header: Option<&str>| {
        let x = if method == "GET" || method == "ANY" {
            String::new()
        } else {
            format!("-X {method} ")
        };
        let h = header.map_or(String::new(), |h| format!("-H \"{h}: $TOKEN\" "));
        // A route key's path has no host; a `$default` route is the API's root.
        let path = if path == "$default" { "/" } else { path };
        format!("    curl {x}{h}{api_url}{path}\n")
    };
    let mut s = String::from("  next:\n");
    if guarded.is_some() {
        match &invited {
            Some(user) => {
                s.push_str(&format!(
                    "    gatehouse outbox{dir}                  # {user}'s temporary password\n"
                ));
                s.push_str(&format!(
                    "    TOKEN=$(gatehouse login{dir} --username {user} --password \"$(gatehouse outbox{dir} --temporary-password {user})\" --new-password Testing1)\n"
                ));
            }
            None => s.push_str(&format!(
                "    TOKEN=$(gatehouse login{dir} --username <user> --password <password>)\n"
            )),
        }
    }
    if let Some((m, p, _)) = &open {
        s.push_str(&curl(m, p, None));
    }
    if let Some((m, p, h)) = &guarded {
        s.push_str(&curl(m, p, Some(h)));
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(path: &str, protection: &str, token_header: Option<&str>) -> RouteRow {
        RouteRow {
            method: "GET".into(),
            path: path.into(),
            function: "Fn".into(),
            protection: protection.into(),
            token_header: token_header.map(str::to_string),
        }
    }

    #[test]
    fn a_pool_token_is_offered_only_where_an_authorizer_takes_one_in_its_header() {
        let dir = Path::new("/nonexistent/gatehouse-state");
        let routes = [
            row("/Prod/open", "-", None),
            row("/Prod/lambda", "Token", None),
            row("/Prod/pool", "Pool", Some("X-Id-Token")),
        ];
        let next = next_steps("http://127.0.0.1:3000", &routes, dir).expect("routes");
        assert!(
            next.contains("curl http://127.0.0.1:3000/Prod/open\n"),
            "{next}"
        );
        assert!(
            next.contains("curl -H \"X-Id-Token: $TOKEN\" http://127.0.0.1:3000/Prod/pool\n"),
            "{next}"
        );
        assert!(!next.contains("/Prod/lambda"), "{next}");
        // A Lambda authorizer's token is the app's own: no sign-in is suggested for it.
        let lambda_only = [row("/Prod/lambda", "Token", None)];
        assert_eq!(next_steps("http://x", &lambda_only, dir), None);
    }
}

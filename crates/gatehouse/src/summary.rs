//! What `gatehouse up` prints once it serves: the endpoints, the outputs, the routes, what is
//! not emulated, and the commands a newcomer runs next with this stack's values filled in.

use std::path::Path;

use serde_json::Value as Json;

/// One row of the route table: method, path with the stage, function, authorizer.
pub type RouteRow = (String, String, String, String);

/// The summary's text; a blank line ends it, so scripts know when they have all of it.
pub fn render(elapsed_ms: u128, r: &crate::stack::Running) -> String {
    let (cognito_url, api_url, outputs, routes) =
        (&r.cognito_url, &r.api_url, &r.outputs, &r.routes);
    let (not_emulated, unavailable, state_dir) =
        (&r.not_emulated, &r.unavailable, r.state_dir.as_path());
    let mut out = String::new();
    out.push_str(&format!("gatehouse is up ({elapsed_ms} ms)\n"));
    out.push_str(&format!("  Cognito endpoint  {cognito_url}\n"));
    out.push_str(&format!("  API               {api_url}\n"));
    for (k, v) in outputs {
        out.push_str(&format!("  {k:<17} {v}\n"));
    }
    out.push_str(&format!(
        "  state             {} (outputs.json, outbox.jsonl)\n",
        state_dir.display()
    ));
    out.push_str("  routes:\n");
    for (method, path, function, auth) in routes {
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
        out.push_str(&format!("  DynamoDB tables on {url}:\n"));
        for (logical_id, name, created) in &r.tables {
            let how = if *created { "created" } else { "existed" };
            out.push_str(&format!("    {logical_id:<24} {name:<40} {how}\n"));
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
    if let Some(next) = next_steps(api_url, routes, state_dir) {
        out.push_str(&next);
    }
    out.push('\n');
    out
}

/// The commands a newcomer runs next, with this stack's values filled in: this app's first
/// open route and first route behind an authorizer (`GET` ones, with no path parameter, when
/// there are), and its invited user; nothing when it has no route.
fn next_steps(api_url: &str, routes: &[RouteRow], state_dir: &Path) -> Option<String> {
    let pick = |open: bool| {
        let mut candidates: Vec<&RouteRow> = routes
            .iter()
            // A token helps on a route behind an authorizer; not on IAM, keyed or refused ones.
            .filter(|(_, _, _, auth)| {
                if open {
                    auth == "-"
                } else {
                    auth != "-" && auth != "iam" && auth != "refused" && !auth.contains("api-key")
                }
            })
            .collect();
        // Callable with curl as it is: GET, no {param}, no greedy path.
        candidates.sort_by_key(|(m, p, _, _)| (m != "GET" && m != "ANY", p.contains('{')));
        candidates
            .first()
            .map(|(m, p, _, _)| (m.clone(), p.clone()))
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
    let curl = |method: &str, path: &str, token: bool| {
        let x = if method == "GET" || method == "ANY" {
            String::new()
        } else {
            format!("-X {method} ")
        };
        let h = if token {
            "-H \"Authorization: $TOKEN\" "
        } else {
            ""
        };
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
    if let Some((m, p)) = &open {
        s.push_str(&curl(m, p, false));
    }
    if let Some((m, p)) = &guarded {
        s.push_str(&curl(m, p, true));
    }
    Some(s)
}

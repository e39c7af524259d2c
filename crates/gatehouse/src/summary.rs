//! What `gatehouse up` prints once it serves: the endpoints, the outputs, the routes, what is
//! not emulated, and the commands a newcomer runs next with this stack's values filled in.

use std::collections::BTreeMap;
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
    if !not_emulated.is_empty() {
        out.push_str("  not emulated (references resolve to these values):\n");
        for n in not_emulated {
            out.push_str(&format!(
                "    {:<24} {:<32} Ref: {}\n",
                n.logical_id, n.type_name, n.reference
            ));
        }
    }
    if let Some(next) = next_steps(outputs, state_dir) {
        out.push_str(&next);
    }
    out.push('\n');
    out
}

/// The commands a newcomer runs next, with this stack's values filled in.
fn next_steps(outputs: &BTreeMap<String, String>, state_dir: &Path) -> Option<String> {
    let api = outputs.get("ApiUrl")?;
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
    let mut s = String::from("  next:\n");
    match invited {
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
    s.push_str(&format!("    curl {api}/open\n"));
    s.push_str(&format!("    curl -H \"Authorization: $TOKEN\" {api}\n"));
    Some(s)
}

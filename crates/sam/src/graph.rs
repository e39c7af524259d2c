//! The dependency graph CloudFormation builds: an edge for every `Ref`, `Fn::GetAtt` and
//! `Fn::Sub` to another resource, every `DependsOn`, and, as SAM applies them, the `Globals`
//! section a resource takes. A function's `Events` are not its dependencies: SAM moves them
//! onto the API, queue or pool they name, so an event that names an API whose definition names
//! the function is not a cycle.

use std::collections::{BTreeSet, HashMap, HashSet};

use template::{Node, Resource, Stack, TemplateError};

use crate::Kind;

/// The `Globals` section a resource of `kind` takes, if any.
pub(crate) fn globals_key(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Function => Some("Function"),
        Kind::RestApi => Some("Api"),
        Kind::HttpApi => Some("HttpApi"),
        Kind::Layer | Kind::ApiGateway(_) => None,
        _ => None,
    }
}

/// The resources `r` depends on (logical ids of resources in `ids`); a reference to a resource
/// SAM generates (`generated`: its id -> the resource that generates it) is one to that
/// resource.
fn dependencies(
    stack: &Stack,
    r: &Resource,
    kind: Kind,
    ids: &HashSet<&str>,
    generated: &HashMap<String, String>,
) -> BTreeSet<String> {
    let mut refs = HashSet::new();
    match (kind, &r.properties.value) {
        (Kind::Function, template::Value::Map(entries)) => {
            for (k, v) in entries {
                if k != "Events" {
                    template::references(v, &mut refs);
                }
            }
        }
        _ => template::references(&r.properties, &mut refs),
    }
    if let Some(key) = globals_key(kind)
        && let Some(g) =
            crate::globals_of(stack, crate::scope_of(&r.logical_id)).and_then(|g| g.get(key))
    {
        global_references(g, kind, &mut refs);
    }
    refs.extend(r.depends_on.iter().cloned());
    refs.into_iter()
        .map(|d| match generated.get(&d) {
            Some(owner) if !ids.contains(d.as_str()) => owner.clone(),
            _ => d,
        })
        .filter(|d| d != &r.logical_id && ids.contains(d.as_str()))
        .collect()
}

fn global_references(g: &Node, kind: Kind, refs: &mut HashSet<String>) {
    match (kind, &g.value) {
        (Kind::Function, template::Value::Map(entries)) => {
            for (k, v) in entries {
                if k != "Events" {
                    template::references(v, refs);
                }
            }
        }
        _ => template::references(g, refs),
    }
}

/// The resources in an order where each comes after everything it depends on (template
/// order among independent ones), as indices into `stack.resources`; a cycle is an error
/// that names its members.
pub(crate) fn order(stack: &Stack, kinds: &[Kind]) -> Result<Vec<usize>, TemplateError> {
    let ids: HashSet<&str> = stack
        .resources
        .iter()
        .map(|r| r.logical_id.as_str())
        .collect();
    let index: HashMap<&str, usize> = stack
        .resources
        .iter()
        .enumerate()
        .map(|(i, r)| (r.logical_id.as_str(), i))
        .collect();
    let generated: HashMap<String, String> = stack
        .resources
        .iter()
        .zip(kinds)
        .flat_map(|(r, k)| {
            crate::generated::ids(stack, r, *k)
                .into_iter()
                .map(|(g, _)| (g, r.logical_id.clone()))
        })
        .collect();
    let deps: Vec<Vec<usize>> = stack
        .resources
        .iter()
        .zip(kinds)
        .map(|(r, k)| {
            dependencies(stack, r, *k, &ids, &generated)
                .iter()
                .map(|d| index[d.as_str()])
                .collect()
        })
        .collect();
    let n = deps.len();
    let mut placed = vec![false; n];
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let before = out.len();
        for i in 0..n {
            if !placed[i] && deps[i].iter().all(|d| placed[*d]) {
                placed[i] = true;
                out.push(i);
            }
        }
        if out.len() == before {
            let cycle = find_cycle(&deps, &placed);
            let first = &stack.resources[cycle[0]];
            let names: Vec<&str> = cycle
                .iter()
                .chain(std::iter::once(&cycle[0]))
                .map(|i| stack.resources[*i].logical_id.as_str())
                .collect();
            return Err(TemplateError {
                file: stack.file_of(&first.logical_id).to_path_buf(),
                line: first.line,
                resource: Some(first.logical_id.clone()),
                message: format!(
                    "circular reference between resources: {} (each refers to the next through Ref, GetAtt, Sub, DependsOn or Globals; break one of these references)",
                    names.join(" -> ")
                ),
            });
        }
    }
    Ok(out)
}

/// One cycle among the resources not yet placed, in dependency order.
fn find_cycle(deps: &[Vec<usize>], placed: &[bool]) -> Vec<usize> {
    // Every unplaced resource depends on an unplaced one, so following any such edge from an
    // unplaced resource must come back to a resource already on the path.
    let start = placed
        .iter()
        .position(|p| !p)
        .expect("a resource is unplaced");
    let mut path = vec![start];
    let mut seen = HashMap::from([(start, 0usize)]);
    let mut at = start;
    loop {
        let next = *deps[at]
            .iter()
            .find(|d| !placed[**d])
            .expect("an unplaced resource depends on an unplaced one");
        if let Some(&pos) = seen.get(&next) {
            return path[pos..].to_vec();
        }
        seen.insert(next, path.len());
        path.push(next);
        at = next;
    }
}

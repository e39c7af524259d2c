//! Nested stacks read into their parent, so that one dependency graph spans them: the child's
//! resources become `Owner/Id` (`/` cannot appear in a logical id, so nothing collides), its
//! conditions and mappings likewise; the parent's `Parameters` for it are substituted where the
//! child refers to them (a value the parent knows at once is inlined; a reference to one of the
//! parent's resources is put in place as it is written); and the parent's
//! `Fn::GetAtt Owner.Outputs.Name` becomes the child's output value. Which resources are nested
//! stacks, and where their templates are, is the caller's to say.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde_json::Value as Json;

use crate::{Node, Physical, ResolveError, Scope, Stack, TemplateError, Value};

impl Stack {
    /// Reads the template at `path` as the nested stack held by the resource `owner` of this
    /// stack, with the values its `Parameters` property gives.
    pub fn read_nested(&self, owner: &str, path: &Path) -> Result<Stack, TemplateError> {
        let r = self
            .resources
            .iter()
            .find(|r| r.logical_id == owner)
            .expect("the owner is a resource of this stack");
        let at = |line: usize, message: String| TemplateError {
            file: self.file_of(owner).to_path_buf(),
            line,
            resource: Some(owner.to_string()),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            at(
                r.line,
                format!(
                    "cannot read the nested stack's template {}: {e}",
                    path.display()
                ),
            )
        })?;
        let mut literal = Vec::new();
        let mut deferred = BTreeMap::new();
        if let Some(params) = r.properties.get("Parameters") {
            let Some(entries) = params.entries() else {
                return Err(at(params.line, "Parameters must be a mapping".into()));
            };
            for (name, node) in entries {
                match self.resolve(node, &Physical::default(), owner) {
                    Ok(Json::String(s)) => literal.push((name.clone(), s)),
                    Ok(Json::Array(items)) => literal.push((
                        name.clone(),
                        items
                            .iter()
                            .map(crate::json_text)
                            .collect::<Vec<_>>()
                            .join(","),
                    )),
                    Ok(other) => literal.push((name.clone(), crate::json_text(&other))),
                    Err(ResolveError::Unresolved { .. }) => {
                        deferred.insert(name.clone(), node.clone());
                    }
                    Err(ResolveError::Invalid(e)) => return Err(e),
                }
            }
        }
        let mut child = Stack::parse_with(path, &text, &literal, deferred, self.pseudo.clone())
            .map_err(|mut e| {
                if e.message.starts_with("--parameter-overrides names") {
                    e.message = e.message.replacen(
                        "--parameter-overrides names",
                        &format!("{owner}'s Parameters name"),
                        1,
                    );
                } else if e.message.contains("has no Default") {
                    e.message = format!(
                        "{}; or give it in {owner}'s Parameters ({})",
                        e.message,
                        self.file_of(owner).display()
                    );
                }
                e
            })?;
        child.imports = self.imports.clone();
        Ok(child)
    }

    /// Gives parameter `name` the value of `node` (an intrinsic in the parent's names) in place
    /// of the value it was read with: e.g. an SSM parameter that a sibling stack writes.
    pub fn defer(&mut self, name: &str, node: Node) {
        self.parameters.remove(name);
        self.deferred.insert(name.to_string(), node);
    }

    /// Merges `child`, read by [`Stack::read_nested`] for `owner`, into this stack.
    /// `is_child_resource` says whether a name the child refers to is one of its own resources
    /// (its logical ids, and the ones its transform generates, such as SAM's `FnRole`).
    pub fn absorb(
        &mut self,
        owner: &str,
        child: Stack,
        is_child_resource: &dyn Fn(&str) -> bool,
    ) -> Result<(), TemplateError> {
        let prefix = format!("{owner}/");
        let conditions: HashSet<String> = child.conditions.keys().cloned().collect();
        let mappings: HashSet<String> = child
            .mappings
            .as_ref()
            .and_then(Node::entries)
            .map(|e| e.iter().map(|(k, _)| k.clone()).collect())
            .unwrap_or_default();
        let renamer = Renamer {
            prefix: &prefix,
            child: &child,
            is_child_resource,
            conditions: &conditions,
            mappings: &mappings,
        };

        for r in &child.resources {
            let mut r = r.clone();
            r.logical_id = format!("{prefix}{}", r.logical_id);
            r.properties = renamer.rename(&r.properties);
            r.metadata = r.metadata.as_ref().map(|m| renamer.rename(m));
            for d in &mut r.depends_on {
                if is_child_resource(d) {
                    *d = format!("{prefix}{d}");
                }
            }
            self.resources.push(r);
        }
        for (name, value) in &child.conditions {
            self.conditions.insert(format!("{prefix}{name}"), *value);
        }
        if let Some(entries) = child.mappings.as_ref().and_then(Node::entries) {
            let mine = self.mappings.get_or_insert_with(|| Node {
                line: 0,
                value: Value::Map(Vec::new()),
            });
            if let Value::Map(m) = &mut mine.value {
                m.extend(
                    entries
                        .iter()
                        .map(|(k, v)| (format!("{prefix}{k}"), v.clone())),
                );
            }
        }
        self.scopes.insert(
            owner.to_string(),
            Scope {
                file: child.file.clone(),
                globals: child.globals.as_ref().map(|g| renamer.rename(g)),
            },
        );
        for (scope, s) in &child.scopes {
            self.scopes.insert(
                format!("{prefix}{scope}"),
                Scope {
                    file: s.file.clone(),
                    globals: s.globals.as_ref().map(|g| renamer.rename(g)),
                },
            );
        }
        let outputs: BTreeMap<String, (usize, Node)> = child
            .outputs
            .iter()
            .map(|(name, line, node)| (name.clone(), (*line, renamer.rename(node))))
            .collect();
        self.warnings.extend(child.warnings);

        // The parent's `Fn::GetAtt Owner.Outputs.Name`, wherever it is.
        let file = self.file_of(owner).to_path_buf();
        let mut missing = None;
        let mut replace = |node: &mut Node| {
            replace_outputs(node, owner, &outputs, &mut missing);
        };
        for r in &mut self.resources {
            replace(&mut r.properties);
        }
        for (_, _, node) in &mut self.outputs {
            replace(node);
        }
        if let Some(g) = &mut self.globals {
            replace(g);
        }
        for s in self.scopes.values_mut() {
            if let Some(g) = &mut s.globals {
                replace(g);
            }
        }
        if let Some((name, line)) = missing {
            let known: Vec<&str> = outputs.keys().map(String::as_str).collect();
            return Err(TemplateError {
                file,
                line,
                resource: Some(owner.to_string()),
                message: format!(
                    "!GetAtt {owner}.Outputs.{name}: the nested stack {} has no output {name} (it has: {})",
                    child.file.display(),
                    known.join(", ")
                ),
            });
        }
        Ok(())
    }
}

/// Rewrites a child's node into the parent's names.
struct Renamer<'a> {
    prefix: &'a str,
    child: &'a Stack,
    is_child_resource: &'a dyn Fn(&str) -> bool,
    conditions: &'a HashSet<String>,
    mappings: &'a HashSet<String>,
}

impl Renamer<'_> {
    fn resource(&self, name: &str) -> Option<String> {
        (self.is_child_resource)(name).then(|| format!("{}{name}", self.prefix))
    }

    /// What a child's `Ref: name` becomes: its resource renamed, a parameter's value, or
    /// `None` (a pseudo parameter, left as it is).
    fn reference(&self, name: &str, line: usize) -> Option<Node> {
        if let Some(r) = self.resource(name) {
            return Some(intrinsic(line, "Ref", Value::Str(r)));
        }
        if let Some(node) = self.child.deferred.get(name) {
            return Some(node.clone());
        }
        match self.child.parameters.get(name) {
            Some(Json::String(s)) => Some(Node {
                line,
                value: Value::Str(s.clone()),
            }),
            Some(Json::Array(items)) => Some(Node {
                line,
                value: Value::Seq(
                    items
                        .iter()
                        .map(|i| Node {
                            line,
                            value: Value::Str(crate::json_text(i)),
                        })
                        .collect(),
                ),
            }),
            _ => None,
        }
    }

    fn rename(&self, node: &Node) -> Node {
        let line = node.line;
        if let Some((name, arg)) = node.intrinsic() {
            match (name, &arg.value) {
                ("Ref", Value::Str(target)) => {
                    if let Some(n) = self.reference(target, line) {
                        return n;
                    }
                }
                ("Fn::GetAtt", Value::Seq(items)) if !items.is_empty() => {
                    let mut items: Vec<Node> = items.iter().map(|i| self.rename(i)).collect();
                    if let Some(r) = items[0].as_str().and_then(|t| self.resource(t)) {
                        items[0].value = Value::Str(r);
                    }
                    return intrinsic(line, name, Value::Seq(items));
                }
                ("Fn::GetAtt", Value::Str(s)) => {
                    let (target, attr) = s.split_once('.').unwrap_or((s, ""));
                    if let Some(r) = self.resource(target) {
                        let text = if attr.is_empty() {
                            r
                        } else {
                            format!("{r}.{attr}")
                        };
                        return intrinsic(line, name, Value::Str(text));
                    }
                }
                ("Fn::Sub", _) => return self.sub(line, arg),
                ("Fn::If", Value::Seq(items)) if !items.is_empty() => {
                    let mut items: Vec<Node> = items.iter().map(|i| self.rename(i)).collect();
                    if let Some(c) = items[0].as_str().filter(|c| self.conditions.contains(*c)) {
                        items[0].value = Value::Str(format!("{}{c}", self.prefix));
                    }
                    return intrinsic(line, name, Value::Seq(items));
                }
                ("Condition", Value::Str(c)) if self.conditions.contains(c) => {
                    return intrinsic(line, name, Value::Str(format!("{}{c}", self.prefix)));
                }
                ("Fn::FindInMap", Value::Seq(items)) if !items.is_empty() => {
                    let mut items: Vec<Node> = items.iter().map(|i| self.rename(i)).collect();
                    if let Some(m) = items[0].as_str().filter(|m| self.mappings.contains(*m)) {
                        items[0].value = Value::Str(format!("{}{m}", self.prefix));
                    }
                    return intrinsic(line, name, Value::Seq(items));
                }
                _ => {}
            }
        }
        let value = match &node.value {
            Value::Seq(items) => Value::Seq(items.iter().map(|i| self.rename(i)).collect()),
            Value::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), self.rename(v)))
                    .collect(),
            ),
            other => other.clone(),
        };
        Node { line, value }
    }

    /// `Fn::Sub`: resource names in `${…}` renamed, parameters with a known value written in,
    /// parameters the parent gives as intrinsics bound as variables.
    fn sub(&self, line: usize, arg: &Node) -> Node {
        let (text, vars) = match &arg.value {
            Value::Str(s) => (s.as_str(), Vec::new()),
            Value::Seq(items) if items.len() == 2 => match (items[0].as_str(), &items[1].value) {
                (Some(t), Value::Map(vars)) => (t, vars.clone()),
                _ => return intrinsic(line, "Fn::Sub", self.rename(arg).value),
            },
            _ => return intrinsic(line, "Fn::Sub", self.rename(arg).value),
        };
        let own: HashSet<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
        let mut bound: Vec<(String, Node)> = vars
            .iter()
            .map(|(k, v)| (k.clone(), self.rename(v)))
            .collect();
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let var = &after[..end];
            let (target, attr) = match var.split_once('.') {
                Some((t, a)) => (t, Some(a)),
                None => (var, None),
            };
            let replaced = if var.starts_with('!') || own.contains(var) {
                None
            } else if let Some(r) = self.resource(target) {
                Some(match attr {
                    Some(a) => format!("${{{r}.{a}}}"),
                    None => format!("${{{r}}}"),
                })
            } else if attr.is_none() && self.child.deferred.contains_key(var) {
                if !bound.iter().any(|(k, _)| k == var) {
                    bound.push((var.to_string(), self.child.deferred[var].clone()));
                }
                None
            } else if attr.is_none() {
                match self.child.parameters.get(var) {
                    Some(Json::String(s)) => Some(s.clone()),
                    Some(Json::Array(items)) => Some(
                        items
                            .iter()
                            .map(crate::json_text)
                            .collect::<Vec<_>>()
                            .join(","),
                    ),
                    _ => None,
                }
            } else {
                None
            };
            match replaced {
                Some(r) => out.push_str(&r),
                None => {
                    out.push_str("${");
                    out.push_str(var);
                    out.push('}');
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        let text = Node {
            line,
            value: Value::Str(out),
        };
        if bound.is_empty() {
            intrinsic(line, "Fn::Sub", text.value)
        } else {
            let vars = Node {
                line,
                value: Value::Map(bound),
            };
            intrinsic(line, "Fn::Sub", Value::Seq(vec![text, vars]))
        }
    }
}

fn intrinsic(line: usize, name: &str, arg: Value) -> Node {
    Node {
        line,
        value: Value::Map(vec![(name.to_string(), Node { line, value: arg })]),
    }
}

/// Replaces `Fn::GetAtt [owner, Outputs.Name]` (either form) and `${owner.Outputs.Name}` with
/// the output's value; the first output that does not exist goes into `missing`.
fn replace_outputs(
    node: &mut Node,
    owner: &str,
    outputs: &BTreeMap<String, (usize, Node)>,
    missing: &mut Option<(String, usize)>,
) {
    let line = node.line;
    let mut found: Option<Option<Node>> = None;
    if let Some((name, arg)) = node.intrinsic() {
        let output =
            |attr: &str| -> Option<String> { attr.strip_prefix("Outputs.").map(str::to_string) };
        let wanted = match (name, &arg.value) {
            ("Fn::GetAtt", Value::Seq(items)) if items.len() == 2 => (items[0].as_str()
                == Some(owner))
            .then(|| items[1].as_str().and_then(output))
            .flatten(),
            ("Fn::GetAtt", Value::Str(s)) => s
                .strip_prefix(owner)
                .and_then(|rest| rest.strip_prefix('.'))
                .and_then(output),
            _ => None,
        };
        if let Some(out) = wanted {
            found = Some(outputs.get(&out).map(|(_, n)| n.clone()));
            if found.as_ref().is_some_and(Option::is_none) && missing.is_none() {
                *missing = Some((out, line));
            }
        } else if name == "Fn::Sub" {
            sub_outputs(node, owner, outputs, missing);
            return;
        }
    }
    if let Some(Some(n)) = found {
        *node = n;
        return;
    }
    match &mut node.value {
        Value::Seq(items) => items
            .iter_mut()
            .for_each(|n| replace_outputs(n, owner, outputs, missing)),
        Value::Map(entries) => entries
            .iter_mut()
            .for_each(|(_, n)| replace_outputs(n, owner, outputs, missing)),
        _ => {}
    }
}

/// `${owner.Outputs.Name}` in a Sub: bound as a variable to the output's value.
fn sub_outputs(
    node: &mut Node,
    owner: &str,
    outputs: &BTreeMap<String, (usize, Node)>,
    missing: &mut Option<(String, usize)>,
) {
    let line = node.line;
    let Value::Map(entries) = &mut node.value else {
        return;
    };
    let arg = &mut entries[0].1;
    let (text, mut vars) = match &arg.value {
        Value::Str(s) => (s.clone(), Vec::new()),
        Value::Seq(items) if items.len() == 2 => match (items[0].as_str(), &items[1].value) {
            (Some(t), Value::Map(v)) => (t.to_string(), v.clone()),
            _ => return,
        },
        _ => return,
    };
    for (_, v) in &mut vars {
        replace_outputs(v, owner, outputs, missing);
    }
    let needle = format!("${{{owner}.Outputs.");
    let mut rest = text.as_str();
    let mut any = false;
    while let Some(start) = rest.find(&needle) {
        let after = &rest[start + needle.len()..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        let var = format!("{owner}.Outputs.{name}");
        match outputs.get(name) {
            Some((_, n)) => {
                if !vars.iter().any(|(k, _)| k == &var) {
                    vars.push((var, n.clone()));
                }
                any = true;
            }
            None if missing.is_none() => *missing = Some((name.to_string(), line)),
            None => {}
        }
        rest = &after[end..];
    }
    if any || !vars.is_empty() {
        arg.value = Value::Seq(vec![
            Node {
                line,
                value: Value::Str(text),
            },
            Node {
                line,
                value: Value::Map(vars),
            },
        ]);
    }
}

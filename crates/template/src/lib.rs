//! `template.yaml` read into a [`Stack`]: parameters with their values, conditions evaluated,
//! resources in template order, and a resolver for intrinsic functions that takes the physical
//! ids of the resources created so far. It knows nothing of SAM or of any service: the `sam`
//! crate orders the resources and gives them meaning.
//!
//! # Layout
//! - [`node`]: YAML with line numbers; short tags turned into long-form intrinsics.
//! - [`Stack`] (this file): parameters, conditions, resources, outputs, and [`Stack::resolve`].
//! - [`extensions`]: the `AWS::LanguageExtensions` transform (`Fn::ForEach` written out).
//! - [`intrinsics`]: what each intrinsic function and condition evaluates to.
//!
//! Every error names the file, the line and, where there is one, the resource.

mod extensions;
mod intrinsics;
mod nested;
pub mod node;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine;
pub use node::{Node, Value};
use serde_json::Value as Json;

/// A template error, with where it is.
#[derive(Debug, thiserror::Error)]
pub struct TemplateError {
    /// The template file.
    pub file: PathBuf,
    /// 1-based line; 0 when the error is not about a place in the file.
    pub line: usize,
    /// The logical id of the resource (or output, parameter) the error is in.
    pub resource: Option<String>,
    /// What is wrong and, where it can, what to do.
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        if let Some(r) = &self.resource {
            write!(f, ": {r}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Values the template's pseudo parameters (`AWS::Region`, ...) take locally.
#[derive(Debug, Clone)]
pub struct Pseudo {
    /// `AWS::Region`.
    pub region: String,
    /// `AWS::AccountId`.
    pub account_id: String,
    /// `AWS::StackName`.
    pub stack_name: String,
}

impl Default for Pseudo {
    fn default() -> Self {
        Pseudo {
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            stack_name: "gatehouse".into(),
        }
    }
}

/// One resource of the template.
#[derive(Debug, Clone)]
pub struct Resource {
    /// The logical id (the key under `Resources`).
    pub logical_id: String,
    /// `Type`, e.g. `AWS::Cognito::UserPool`.
    pub kind: String,
    /// The line of the logical id.
    pub line: usize,
    /// `Properties`, unresolved (a `Null` node when absent).
    pub properties: Node,
    /// `Metadata`, unresolved.
    pub metadata: Option<Node>,
    /// `DependsOn`: logical ids, as written.
    pub depends_on: Vec<String>,
}

/// Physical ids and attributes of the resources created so far; what `Ref` and `Fn::GetAtt`
/// on a resource resolve to.
#[derive(Debug, Default, Clone)]
pub struct Physical {
    /// Logical id -> what `!Ref` gives.
    pub refs: HashMap<String, String>,
    /// (logical id, attribute) -> what `!GetAtt` gives.
    pub attrs: HashMap<(String, String), Json>,
}

impl Physical {
    /// Records a created resource's `Ref` value and attributes.
    pub fn insert(&mut self, logical_id: &str, reference: String, attrs: &[(&str, Json)]) {
        self.refs.insert(logical_id.to_string(), reference);
        for (name, value) in attrs {
            self.attrs
                .insert((logical_id.to_string(), (*name).to_string()), value.clone());
        }
    }
}

/// A parsed template with parameters and conditions settled.
#[derive(Debug)]
pub struct Stack {
    /// The file it was read from.
    pub file: PathBuf,
    /// Pseudo parameter values.
    pub pseudo: Pseudo,
    /// Parameter name -> value (a string, or a list for `CommaDelimitedList`).
    pub parameters: BTreeMap<String, Json>,
    /// Parameter name -> its `Type` (`String` when the template gives none).
    pub parameter_types: BTreeMap<String, String>,
    /// The template's `Transform` names, in order (`AWS::LanguageExtensions` is applied here).
    pub transforms: Vec<String>,
    /// Condition name -> truth.
    pub conditions: HashMap<String, bool>,
    /// Resources whose condition holds, in template order.
    pub resources: Vec<Resource>,
    /// `Outputs`: name -> (line, value node), in template order.
    pub outputs: Vec<(String, usize, Node)>,
    /// `Globals` (SAM), unresolved.
    pub globals: Option<Node>,
    /// What `Fn::ImportValue` gives, by export name (`--import-values`).
    pub imports: BTreeMap<String, Json>,
    /// What is odd in the template but does not stop it (a key given twice); printed at
    /// start-up.
    pub warnings: Vec<String>,
    /// The nested stacks read into this one, by the logical id that holds them (`Owner`,
    /// `Owner/Inner`); their resources are named `Owner/Id`.
    pub scopes: BTreeMap<String, Scope>,
    mappings: Option<Node>,
    /// Parameters given as intrinsics of a parent stack (see [`Stack::parse_with`]).
    deferred: BTreeMap<String, Node>,
}

/// A nested stack read into its parent.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Its template file: its lines and relative paths are in it.
    pub file: PathBuf,
    /// Its `Globals`, unresolved.
    pub globals: Option<Node>,
}

/// Why an intrinsic could not be resolved.
#[derive(Debug)]
pub enum ResolveError {
    /// It refers to a resource that has not been created (yet, or at all locally).
    Unresolved {
        /// The resource referred to.
        logical_id: String,
    },
    /// The template is wrong.
    Invalid(TemplateError),
}

impl Stack {
    /// Reads and checks a template file. `overrides` are `--parameter-overrides` values.
    pub fn load(
        path: &Path,
        overrides: &[(String, String)],
        pseudo: Pseudo,
    ) -> Result<Stack, TemplateError> {
        let text = std::fs::read_to_string(path).map_err(|e| TemplateError {
            file: path.into(),
            line: 0,
            resource: None,
            message: format!("cannot read the template: {e} (pass its path with --template)"),
        })?;
        Stack::parse(path, &text, overrides, pseudo)
    }

    /// Like [`Stack::load`], from text in memory; `path` is only used in errors.
    pub fn parse(
        path: &Path,
        text: &str,
        overrides: &[(String, String)],
        pseudo: Pseudo,
    ) -> Result<Stack, TemplateError> {
        Stack::parse_with(path, text, overrides, BTreeMap::new(), pseudo)
    }

    /// Like [`Stack::parse`]; `deferred` are parameters whose values are intrinsics of another
    /// stack (a nested stack's parent), substituted where the template refers to them.
    fn parse_with(
        path: &Path,
        text: &str,
        overrides: &[(String, String)],
        deferred: BTreeMap<String, Node>,
        pseudo: Pseudo,
    ) -> Result<Stack, TemplateError> {
        let err = |line: usize, resource: Option<&str>, message: String| TemplateError {
            file: path.into(),
            line,
            resource: resource.map(str::to_string),
            message,
        };
        let (mut root, duplicates) = node::parse(text).map_err(|e| err(e.line, None, e.message))?;
        let mut warnings = Vec::new();
        duplicate_warnings(path, &duplicates, &mut warnings);
        let dir = path.parent().unwrap_or_else(|| Path::new("."));
        expand_includes(&mut root, dir, path, 0, &mut warnings)?;
        if root.entries().is_none() {
            return Err(err(root.line, None, "the template is not a mapping".into()));
        }

        let transforms = extensions::transforms(&root);
        let enabled = transforms.iter().any(|t| t == extensions::TRANSFORM);
        extensions::check(&root, enabled, path)?;

        let mut stack = Stack {
            file: path.into(),
            pseudo,
            parameters: BTreeMap::new(),
            parameter_types: BTreeMap::new(),
            transforms,
            conditions: HashMap::new(),
            resources: Vec::new(),
            outputs: Vec::new(),
            globals: root.get("Globals").cloned(),
            imports: BTreeMap::new(),
            warnings,
            scopes: BTreeMap::new(),
            mappings: root.get("Mappings").cloned(),
            deferred,
        };

        // Parameters: an override, else the default; checked against AllowedValues.
        let declared: Vec<(String, Node)> = root
            .get("Parameters")
            .and_then(Node::entries)
            .map(<[_]>::to_vec)
            .unwrap_or_default();
        for name in overrides
            .iter()
            .map(|(n, _)| n)
            .chain(stack.deferred.keys())
        {
            if !declared.iter().any(|(n, _)| n == name) {
                let known: Vec<&str> = declared.iter().map(|(n, _)| n.as_str()).collect();
                return Err(err(
                    0,
                    None,
                    format!(
                        "--parameter-overrides names {name}, which the template does not declare (it has: {})",
                        known.join(", ")
                    ),
                ));
            }
        }
        for (name, decl) in &declared {
            let kind = decl.get("Type").and_then(Node::as_str).unwrap_or("String");
            stack.parameter_types.insert(name.clone(), kind.to_string());
            if stack.deferred.contains_key(name) {
                continue;
            }
            let given = overrides
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone());
            let default = decl.get("Default").map(scalar_string);
            let Some(text) = given.clone().or(default.flatten()) else {
                return Err(err(
                    decl.line,
                    Some(name),
                    format!(
                        "parameter {name} has no Default: pass --parameter-overrides {name}=<value>"
                    ),
                ));
            };
            if let Some(Value::Seq(allowed)) = decl.get("AllowedValues").map(|n| &n.value) {
                let allowed: Vec<String> = allowed.iter().filter_map(scalar_string).collect();
                if !allowed.contains(&text) {
                    return Err(err(
                        decl.line,
                        Some(name),
                        format!(
                            "{text:?} is not one of the allowed values: {}",
                            allowed.join(", ")
                        ),
                    ));
                }
            }
            let kind = decl.get("Type").and_then(Node::as_str).unwrap_or("String");
            let value = if kind == "CommaDelimitedList" || kind.starts_with("List<") {
                Json::Array(
                    text.split(',')
                        .map(|s| Json::String(s.trim().into()))
                        .collect(),
                )
            } else {
                Json::String(text)
            };
            stack.parameters.insert(name.clone(), value);
        }

        // AWS::LanguageExtensions, before anything reads Conditions, Resources or Outputs.
        extensions::apply(&mut root, &stack)?;

        // Conditions, each evaluated once (they may refer to each other).
        if let Some(conds) = root.get("Conditions").and_then(Node::entries) {
            let all: HashMap<&str, &Node> = conds.iter().map(|(k, v)| (k.as_str(), v)).collect();
            for (name, _) in conds {
                let mut visiting = HashSet::new();
                let value = stack
                    .condition(name, &all, &mut visiting)
                    .map_err(|e| with_resource(e, name))?;
                stack.conditions.insert(name.clone(), value);
            }
        }

        // Resources whose condition holds.
        let Some(resources) = root.get("Resources").and_then(Node::entries) else {
            return Err(err(root.line, None, "the template has no Resources".into()));
        };
        let mut all = Vec::new();
        for (id, body) in resources {
            let Some(kind) = body.get("Type").and_then(Node::as_str) else {
                return Err(err(body.line, Some(id), "the resource has no Type".into()));
            };
            if let Some(cond) = body.get("Condition") {
                let name = cond.as_str().unwrap_or_default();
                match stack.conditions.get(name) {
                    Some(false) => continue,
                    Some(true) => {}
                    None => {
                        return Err(err(
                            cond.line,
                            Some(id),
                            format!("no condition named {name:?}"),
                        ));
                    }
                }
            }
            let mut properties = body.get("Properties").cloned().unwrap_or(Node {
                line: body.line,
                value: Value::Null,
            });
            let metadata = body.get("Metadata").cloned();
            if let Some(m) = &metadata {
                local_asset(&mut properties, m);
            }
            all.push(Resource {
                logical_id: id.clone(),
                kind: kind.to_string(),
                line: extensions::key_line(body),
                properties,
                metadata,
                depends_on: body.get("DependsOn").map(Node::strings).unwrap_or_default(),
            });
        }
        stack.resources = all;

        if let Some(outputs) = root.get("Outputs").and_then(Node::entries) {
            for (name, body) in outputs {
                let Some(value) = body.get("Value") else {
                    return Err(err(body.line, Some(name), "the output has no Value".into()));
                };
                stack.outputs.push((name.clone(), body.line, value.clone()));
            }
        }
        Ok(stack)
    }

    /// The resources of one `Type`.
    pub fn resources_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Resource> + 'a {
        self.resources.iter().filter(move |r| r.kind == kind)
    }

    /// Resolves a node (a resource's properties, an output) to JSON with every intrinsic
    /// evaluated. `resource` names where the node is, for errors.
    pub fn resolve(
        &self,
        node: &Node,
        physical: &Physical,
        resource: &str,
    ) -> Result<Json, ResolveError> {
        Ok(self.eval(node, physical, resource)?.unwrap_or(Json::Null))
    }

    /// The outputs that can be resolved with what exists now, as strings; outputs that refer to
    /// resources not created locally are left out.
    pub fn resolved_outputs(
        &self,
        physical: &Physical,
    ) -> Result<BTreeMap<String, String>, TemplateError> {
        let mut out = BTreeMap::new();
        for (name, _, node) in &self.outputs {
            match self.resolve(node, physical, name) {
                Ok(v) => {
                    out.insert(name.clone(), json_text(&v));
                }
                Err(ResolveError::Unresolved { .. }) => {}
                Err(ResolveError::Invalid(e)) => return Err(e),
            }
        }
        Ok(out)
    }

    /// The file a resource (or output, `Globals`) named `logical_id` is written in: a nested
    /// stack's for `Owner/Id`.
    pub fn file_of(&self, logical_id: &str) -> &Path {
        let mut scope = logical_id;
        while let Some((outer, _)) = scope.rsplit_once('/') {
            if let Some(s) = self.scopes.get(outer) {
                return &s.file;
            }
            scope = outer;
        }
        &self.file
    }
}

fn with_resource(mut e: TemplateError, name: &str) -> TemplateError {
    e.resource
        .get_or_insert_with(|| format!("condition {name}"));
    e
}

/// A scalar as CloudFormation sees it: a string.
fn scalar_string(node: &Node) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A JSON value as the text CloudFormation would substitute.
pub fn json_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        Json::Array(items) => items.iter().map(json_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// The names a node refers to through `Ref`, `Fn::GetAtt` and `Fn::Sub` (resources,
/// parameters and pseudo parameters alike).
pub fn references(node: &Node, out: &mut HashSet<String>) {
    walk_references(node, &mut |name, _| {
        out.insert(name.to_string());
    });
}

/// The `(resource, attribute)` pairs a node reads through `Fn::GetAtt` (both forms) and
/// `Fn::Sub`'s `${Resource.Attribute}`; an attribute given by an intrinsic is left out.
pub fn attribute_references(node: &Node, out: &mut HashSet<(String, String)>) {
    walk_references(node, &mut |name, attr| {
        if let Some(attr) = attr {
            out.insert((name.to_string(), attr.to_string()));
        }
    });
}

/// Calls `f(name, attribute)` for every reference in `node`: `Ref` (no attribute),
/// `Fn::GetAtt`, and `Fn::Sub` variables (`${!Literal}` is not one).
fn walk_references(node: &Node, f: &mut impl FnMut(&str, Option<&str>)) {
    if let Some((name, arg)) = node.intrinsic() {
        match (name, &arg.value) {
            ("Ref", Value::Str(s)) => f(s, None),
            ("Fn::GetAtt", Value::Seq(items)) => {
                if let Some(s) = items.first().and_then(Node::as_str) {
                    f(s, items.get(1).and_then(Node::as_str));
                }
            }
            ("Fn::GetAtt", Value::Str(s)) => match s.split_once('.') {
                Some((id, attr)) => f(id, Some(attr)),
                None => f(s, None),
            },
            ("Fn::Sub", _) => {
                let text = match &arg.value {
                    Value::Str(s) => Some(s.as_str()),
                    Value::Seq(items) => items.first().and_then(Node::as_str),
                    _ => None,
                };
                let mut rest = text.unwrap_or_default();
                while let Some(start) = rest.find("${") {
                    let after = &rest[start + 2..];
                    let end = after.find('}').unwrap_or(after.len());
                    let var = &after[..end];
                    if !var.starts_with('!') {
                        match var.split_once('.') {
                            Some((id, attr)) => f(id, Some(attr)),
                            None => f(var, None),
                        }
                    }
                    rest = &after[end.min(after.len())..];
                }
            }
            _ => {}
        }
    }
    match &node.value {
        Value::Seq(items) => items.iter().for_each(|n| walk_references(n, f)),
        Value::Map(entries) => entries.iter().for_each(|(_, n)| walk_references(n, f)),
        _ => {}
    }
}

/// One warning per key given twice: CloudFormation deploys such a template with the last value,
/// so it is no reason to stop, but the author should know.
fn duplicate_warnings(file: &Path, duplicates: &[node::Duplicate], out: &mut Vec<String>) {
    for d in duplicates {
        out.push(format!(
            "{}:{}: the key {:?} is given twice in one mapping (lines {} and {}); CloudFormation uses the last value, and so does gatehouse: keep one of them",
            file.display(),
            d.last,
            d.key,
            d.first,
            d.last
        ));
    }
}

/// CDK's asset metadata, read as `sam` reads a synthesized template: a resource whose
/// `Metadata` has `aws:asset:path` and `aws:asset:property` (`Code`, `Content`, `TemplateURL`,
/// `BodyS3Location`, or a dotted path like `Code.ImageUri`) has that property replaced by the
/// asset's local path (relative to the template's folder, or absolute), where the template
/// itself names the S3 object `cdk deploy` uploads it to.
fn local_asset(properties: &mut Node, metadata: &Node) {
    let (Some(path), Some(property)) = (
        metadata.get("aws:asset:path").and_then(Node::as_str),
        metadata.get("aws:asset:property").and_then(Node::as_str),
    ) else {
        return;
    };
    let mut at = properties;
    for key in property.split('.') {
        let Value::Map(entries) = &mut at.value else {
            return;
        };
        let line = at.line;
        let i = match entries.iter().position(|(k, _)| k == key) {
            Some(i) => i,
            None => {
                entries.push((
                    key.to_string(),
                    Node {
                        line,
                        value: Value::Null,
                    },
                ));
                entries.len() - 1
            }
        };
        at = &mut entries[i].1;
    }
    at.value = Value::Str(path.to_string());
}

/// Replaces every `{"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": …}}}`
/// with the content of that local file (YAML or JSON), relative to the including file.
fn expand_includes(
    node: &mut Node,
    dir: &Path,
    file: &Path,
    depth: usize,
    warnings: &mut Vec<String>,
) -> Result<(), TemplateError> {
    let bad = |line: usize, m: String| TemplateError {
        file: file.into(),
        line,
        resource: None,
        message: m,
    };
    if let Some(("Fn::Transform", arg)) = node.intrinsic()
        && arg.get("Name").and_then(Node::as_str) == Some("AWS::Include")
    {
        let location = arg
            .get("Parameters")
            .and_then(|p| p.get("Location"))
            .and_then(Node::as_str)
            .ok_or_else(|| bad(node.line, "AWS::Include needs Parameters.Location".into()))?;
        if location.starts_with("s3://") || location.starts_with("https://") {
            return Err(bad(
                node.line,
                format!(
                    "AWS::Include of {location} cannot be read locally: put the file beside the template and give its relative path"
                ),
            ));
        }
        if depth > 8 {
            return Err(bad(node.line, "AWS::Include nests too deep".into()));
        }
        let path = dir.join(location);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            bad(
                node.line,
                format!("AWS::Include of {}: {e}", path.display()),
            )
        })?;
        let (mut included, duplicates) = node::parse(&text).map_err(|e| TemplateError {
            file: path.clone(),
            line: e.line,
            resource: None,
            message: e.message,
        })?;
        duplicate_warnings(&path, &duplicates, warnings);
        let inner_dir = path.parent().unwrap_or(dir).to_path_buf();
        expand_includes(&mut included, &inner_dir, &path, depth + 1, warnings)?;
        *node = included;
        return Ok(());
    }
    match &mut node.value {
        Value::Seq(items) => {
            for n in items {
                expand_includes(n, dir, file, depth, warnings)?;
            }
        }
        Value::Map(entries) => {
            for (_, n) in entries {
                expand_includes(n, dir, file, depth, warnings)?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests;

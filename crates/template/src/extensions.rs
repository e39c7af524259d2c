//! The `AWS::LanguageExtensions` transform, applied before anything reads the template, as
//! CloudFormation applies it before the SAM transform: every `Fn::ForEach::<Loop>` in
//! `Conditions`, `Outputs` and `Resources` (resource properties included, loops nested in
//! loops) is written out, one copy of its fragment per item of its collection. In each copy
//! every `${Identifier}` and `&{Identifier}` (the item with its non-alphanumeric characters
//! dropped) in a key or a string is the item, and so is `{"Ref": Identifier}`.
//!
//! The other functions the transform adds (`Fn::Length`, `Fn::ToJsonString`, `Fn::FindInMap`
//! with `DefaultValue`) are evaluated with every other intrinsic, in [`crate::intrinsics`].
//! CloudFormation also takes intrinsics in `DeletionPolicy`/`UpdateReplacePolicy` under this
//! transform; nothing here reads those attributes, so they need nothing.

use std::path::Path;

use serde_json::Value as Json;

use crate::node::{Node, Value};
use crate::{Physical, ResolveError, Stack, TemplateError};

/// The name that switches the transform on.
pub const TRANSFORM: &str = "AWS::LanguageExtensions";
const LOOP: &str = "Fn::ForEach::";

/// The template's `Transform` names, in order.
pub fn transforms(root: &Node) -> Vec<String> {
    root.get("Transform").map(Node::strings).unwrap_or_default()
}

/// Refuses a loop the transform would refuse, before anything reads the template: one without
/// the transform, or in a section other than `Conditions`, `Outputs` and `Resources`.
pub(crate) fn check(root: &Node, enabled: bool, file: &Path) -> Result<(), TemplateError> {
    let error = |line: usize, message: String| TemplateError {
        file: file.into(),
        line,
        resource: None,
        message,
    };
    for (section, body) in root.entries().unwrap_or_default() {
        let Some(line) = first_loop(body) else {
            continue;
        };
        if !enabled {
            return Err(error(
                line,
                format!(
                    "Fn::ForEach needs the {TRANSFORM} transform: write `Transform: [{TRANSFORM}, AWS::Serverless-2016-10-31]`"
                ),
            ));
        }
        if !matches!(section.as_str(), "Conditions" | "Outputs" | "Resources") {
            return Err(error(
                line,
                format!(
                    "Fn::ForEach cannot be used in the {section} section (only in Conditions, Outputs and Resources)"
                ),
            ));
        }
    }
    Ok(())
}

/// Writes out every `Fn::ForEach` of the template (after [`check`]). `stack` has the
/// parameters and mappings a loop's collection may read.
pub(crate) fn apply(root: &mut Node, stack: &Stack) -> Result<(), TemplateError> {
    let x = Expander { stack };
    let Value::Map(sections) = &mut root.value else {
        return Ok(());
    };
    for (_, body) in sections.iter_mut() {
        if first_loop(body).is_some() {
            x.expand(body)?;
        }
    }
    Ok(())
}

/// The line of the key whose value is `value`: a block mapping starts on the line after its
/// key (resources' lines are read so too).
pub(crate) fn key_line(value: &Node) -> usize {
    match value.value {
        Value::Map(_) => value.line.saturating_sub(1).max(1),
        _ => value.line,
    }
}

/// The line of the first `Fn::ForEach::` key at or below `node`.
fn first_loop(node: &Node) -> Option<usize> {
    match &node.value {
        Value::Map(entries) => entries.iter().find_map(|(k, v)| {
            if k.starts_with(LOOP) {
                Some(v.line)
            } else {
                first_loop(v)
            }
        }),
        Value::Seq(items) => items.iter().find_map(first_loop),
        _ => None,
    }
}

struct Expander<'a> {
    stack: &'a Stack,
}

impl Expander<'_> {
    fn error(&self, line: usize, message: String) -> TemplateError {
        TemplateError {
            file: self.stack.file.clone(),
            line,
            resource: None,
            message,
        }
    }

    /// Expands the loops at and below `node`, in place.
    fn expand(&self, node: &mut Node) -> Result<(), TemplateError> {
        match &mut node.value {
            Value::Seq(items) => {
                for item in items {
                    self.expand(item)?;
                }
            }
            Value::Map(entries) => {
                let mut out: Vec<(String, Node)> = Vec::with_capacity(entries.len());
                for (key, mut value) in std::mem::take(entries) {
                    let produced = match key.strip_prefix(LOOP) {
                        Some(name) => self.run(name, &value)?,
                        None => {
                            self.expand(&mut value)?;
                            vec![(key, value)]
                        }
                    };
                    for (k, v) in produced {
                        if let Some((_, first)) = out.iter().find(|(o, _)| *o == k) {
                            return Err(self.error(
                                key_line(&v),
                                format!(
                                    "Fn::ForEach writes the key {k:?}, which is already there (line {})",
                                    key_line(first)
                                ),
                            ));
                        }
                        out.push((k, v));
                    }
                }
                *entries = out;
            }
            _ => {}
        }
        Ok(())
    }

    /// One loop written out: its fragment's entries, once per item.
    fn run(&self, name: &str, body: &Node) -> Result<Vec<(String, Node)>, TemplateError> {
        let shape = || {
            self.error(
                body.line,
                format!(
                    "Fn::ForEach::{name} takes a list of three: an identifier, a collection and a fragment ({{OutputKey: OutputValue}})"
                ),
            )
        };
        let Value::Seq(parts) = &body.value else {
            return Err(shape());
        };
        let [identifier, collection, fragment] = parts.as_slice() else {
            return Err(shape());
        };
        let Some(id) = identifier.as_str().filter(|s| !s.is_empty()) else {
            return Err(shape());
        };
        let Some(keys) = fragment.entries() else {
            return Err(shape());
        };
        let (plain, amp) = (format!("${{{id}}}"), format!("&{{{id}}}"));
        for (key, value) in keys {
            if !key.starts_with(LOOP) && !key.contains(&plain) && !key.contains(&amp) {
                return Err(self.error(
                    key_line(value),
                    format!(
                        "Fn::ForEach::{name}: the key {key:?} does not contain ${{{id}}} or &{{{id}}}, so every item would write the same key"
                    ),
                ));
            }
        }
        let mut out = Vec::new();
        for item in self.collection(name, collection)? {
            let mut copy = fragment.clone();
            substitute(&mut copy, id, &item);
            self.expand(&mut copy)?;
            if let Value::Map(entries) = copy.value {
                out.extend(entries);
            }
        }
        Ok(out)
    }

    /// The items of a loop's collection: what it evaluates to, with the template's parameters
    /// and mappings (a list, a `Ref` to a list parameter, a `Fn::FindInMap` that gives a list),
    /// which must be a list of strings.
    fn collection(&self, name: &str, node: &Node) -> Result<Vec<String>, TemplateError> {
        let not_a_list = |what: &str| {
            self.error(
                node.line,
                format!(
                    "Fn::ForEach::{name}: the collection {what}; it must be a list of strings, a Ref to a CommaDelimitedList parameter or a Fn::FindInMap that gives a list"
                ),
            )
        };
        let what = match node.intrinsic() {
            Some(("Ref", p)) => format!("parameter {}", p.as_str().unwrap_or_default()),
            _ => "value".to_string(),
        };
        let value =
            match self
                .stack
                .resolve(node, &Physical::default(), &format!("Fn::ForEach::{name}"))
            {
                Ok(v) => v,
                Err(ResolveError::Invalid(e)) => return Err(e),
                Err(ResolveError::Unresolved { logical_id }) => {
                    return Err(not_a_list(&format!(
                        "reads the resource {logical_id}, which a loop cannot"
                    )));
                }
            };
        let Json::Array(items) = value else {
            return Err(not_a_list(&format!("{what} is not a list")));
        };
        items
            .iter()
            .map(|i| match i {
                Json::Array(_) | Json::Object(_) | Json::Null => {
                    Err(not_a_list("has an item that is not a string"))
                }
                _ => Ok(crate::json_text(i)),
            })
            .collect()
    }
}

/// One copy of a fragment for `item`: `${id}`, `&{id}` and `{"Ref": id}` replaced everywhere.
fn substitute(node: &mut Node, id: &str, item: &str) {
    let plain = format!("${{{id}}}");
    let amp = format!("&{{{id}}}");
    let alnum: String = item.chars().filter(char::is_ascii_alphanumeric).collect();
    let replace = |s: &str| -> Option<String> {
        (s.contains(&plain) || s.contains(&amp))
            .then(|| s.replace(&plain, item).replace(&amp, &alnum))
    };
    walk(node, &|n: &mut Node| match &mut n.value {
        Value::Str(s) => {
            if let Some(r) = replace(s) {
                *s = r;
            }
        }
        Value::Map(entries) => {
            if let [(k, arg)] = entries.as_slice()
                && k == "Ref"
                && arg.as_str() == Some(id)
            {
                n.value = Value::Str(item.to_string());
                return;
            }
            for (k, _) in entries.iter_mut() {
                if let Some(r) = replace(k) {
                    *k = r;
                }
            }
        }
        _ => {}
    });
    literal_getatt_names(node);
}

/// `f` on `node` and then on everything below it (what `f` left there).
fn walk(node: &mut Node, f: &impl Fn(&mut Node)) {
    f(node);
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| walk(n, f)),
        Value::Map(entries) => entries.iter_mut().for_each(|(_, n)| walk(n, f)),
        _ => {}
    }
}

/// `Fn::GetAtt: [!Sub "Bucket${Id}", !Ref Property]` is how a loop names what it reads; once
/// the item is in, a `Fn::Sub` with nothing left to substitute is its plain string, so the
/// `GetAtt` names its resource and attribute as CloudFormation requires.
fn literal_getatt_names(node: &mut Node) {
    walk(node, &|n: &mut Node| {
        let Value::Map(entries) = &mut n.value else {
            return;
        };
        let [(k, arg)] = entries.as_mut_slice() else {
            return;
        };
        if k != "Fn::GetAtt" {
            return;
        }
        if let Value::Seq(parts) = &mut arg.value {
            for part in parts {
                if let Some((
                    "Fn::Sub",
                    Node {
                        value: Value::Str(s),
                        ..
                    },
                )) = part.intrinsic()
                    && !s.contains("${")
                {
                    part.value = Value::Str(s.clone());
                }
            }
        }
    });
}

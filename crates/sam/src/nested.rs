//! Nested stacks: `AWS::Serverless::Application` with a local `Location` and
//! `AWS::CloudFormation::Stack` with a local `TemplateURL` are read into the one local stack
//! (see the template crate's `absorb`): their resources are served as `Owner/Id`, parameters
//! go in, `!GetAtt Owner.Outputs.Name` comes out. A parameter of type
//! `AWS::SSM::Parameter::Value<…>` whose value names an `AWS::SSM::Parameter` that another
//! stack of the app writes takes that parameter's `Value`, as it would on AWS once that stack
//! is deployed. A nested stack elsewhere (the Serverless Application Repository, S3) is not
//! emulated.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use template::{Node, Physical, Stack, TemplateError, Value};

use crate::{Kind, api, httpapi};

/// How deep nested stacks may go (CloudFormation's own limit is far higher; a loop of
/// templates that include each other stops here).
const MAX_DEPTH: usize = 8;

/// Where the template of the nested stack `r` is, when it is a local file.
pub(crate) fn local_template(
    stack: &Stack,
    logical_id: &str,
    kind: &str,
    props: &Node,
) -> Option<PathBuf> {
    let key = match kind {
        "AWS::Serverless::Application" => "Location",
        "AWS::CloudFormation::Stack" => "TemplateURL",
        _ => return None,
    };
    let location = props.get(key)?.as_str()?;
    if location.contains("://") {
        return None;
    }
    let dir = stack
        .file_of(logical_id)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    Some(dir.join(location))
}

/// Reads every local nested stack of `stack` (and theirs) into it.
pub fn absorb_all(stack: &mut Stack) -> Result<(), TemplateError> {
    absorb_nested(stack, 0)
}

fn absorb_nested(stack: &mut Stack, depth: usize) -> Result<(), TemplateError> {
    let nested: Vec<(String, usize, PathBuf)> = stack
        .resources
        .iter()
        .filter(|r| !r.logical_id.contains('/'))
        .filter_map(|r| {
            local_template(stack, &r.logical_id, &r.kind, &r.properties)
                .map(|p| (r.logical_id.clone(), r.line, p))
        })
        .collect();
    for (owner, line, path) in nested {
        if depth >= MAX_DEPTH {
            return Err(TemplateError {
                file: stack.file_of(&owner).to_path_buf(),
                line,
                resource: Some(owner),
                message: format!(
                    "nested stacks go more than {MAX_DEPTH} deep (does a template include itself?)"
                ),
            });
        }
        let mut child = stack.read_nested(&owner, &path)?;
        ssm_parameters(stack, &mut child);
        absorb_nested(&mut child, depth + 1)?;
        let own = own_names(&child);
        stack.absorb(&owner, child, &|name| own.contains(name))?;
    }
    Ok(())
}

/// The names a child's references may mean as its own resources: its logical ids, the ones
/// SAM generates for them, and its implicit APIs.
fn own_names(child: &Stack) -> HashSet<String> {
    let mut names: HashSet<String> = child
        .resources
        .iter()
        .map(|r| r.logical_id.clone())
        .collect();
    for r in &child.resources {
        names.extend(
            crate::generated::ids(child, r, Kind::of(&r.kind))
                .into_iter()
                .map(|(g, _)| g),
        );
    }
    for (api, http) in [
        (api::IMPLICIT_API, false),
        (httpapi::IMPLICIT_HTTP_API, true),
    ] {
        names.insert(api.to_string());
        names.extend(
            crate::generated::implicit_api_ids(api, http)
                .into_iter()
                .map(|(g, _)| g),
        );
    }
    names
}

/// A child's parameters of type `AWS::SSM::Parameter::Value<…>` whose value names an
/// `AWS::SSM::Parameter` of the stack read so far take that parameter's `Value`.
fn ssm_parameters(parent: &Stack, child: &mut Stack) {
    let ssm: Vec<(String, String)> = child
        .parameter_types
        .iter()
        .filter(|(_, t)| t.starts_with("AWS::SSM::Parameter::Value<"))
        .filter_map(|(name, _)| {
            child.parameters[name]
                .as_str()
                .map(|v| (name.clone(), v.to_string()))
        })
        .collect();
    for (name, ssm_name) in ssm {
        let writer = parent
            .resources
            .iter()
            .filter(|r| r.kind == "AWS::SSM::Parameter")
            .find(|r| {
                r.properties.get("Name").is_some_and(|n| {
                    parent
                        .resolve(n, &Physical::default(), &r.logical_id)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .as_deref()
                        == Some(ssm_name.as_str())
                })
            });
        if let Some(w) = writer {
            let line = w.line;
            let target = |s: &str| Node {
                line,
                value: Value::Str(s.to_string()),
            };
            let getatt = Node {
                line,
                value: Value::Map(vec![(
                    "Fn::GetAtt".into(),
                    Node {
                        line,
                        value: Value::Seq(vec![target(&w.logical_id), target("Value")]),
                    },
                )]),
            };
            child.defer(&name, getatt);
        }
    }
}

//! The intrinsic functions and conditions, evaluated as CloudFormation evaluates them against
//! the physical ids known so far: `Ref` (with pseudo parameters), `Fn::GetAtt`, `Fn::Sub`,
//! `Fn::Join`, `Fn::Split`, `Fn::Select`, `Fn::FindInMap`, `Fn::ImportValue`, `Fn::GetAZs`,
//! `Fn::Cidr`, `Fn::Length`, `Fn::ToJsonString`, `Fn::If`, and the condition functions
//! (`Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not`, `Condition`).

use super::*;

impl Stack {
    fn error(&self, line: usize, resource: &str, message: String) -> ResolveError {
        ResolveError::Invalid(TemplateError {
            file: self.file_of(resource).to_path_buf(),
            line,
            resource: Some(resource.to_string()),
            message,
        })
    }

    /// `None` is `AWS::NoValue`: the property is dropped.
    pub(crate) fn eval(
        &self,
        node: &Node,
        ph: &Physical,
        res: &str,
    ) -> Result<Option<Json>, ResolveError> {
        if let Some((name, arg)) = node.intrinsic() {
            return self.eval_fn(node.line, name, arg, ph, res);
        }
        Ok(Some(match &node.value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
            Value::Str(s) => Json::String(s.clone()),
            Value::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    if let Some(v) = self.eval(item, ph, res)? {
                        out.push(v);
                    }
                }
                Json::Array(out)
            }
            Value::Map(entries) => {
                let mut out = serde_json::Map::new();
                for (k, v) in entries {
                    if let Some(v) = self.eval(v, ph, res)? {
                        out.insert(k.clone(), v);
                    }
                }
                Json::Object(out)
            }
        }))
    }

    fn eval_fn(
        &self,
        line: usize,
        name: &str,
        arg: &Node,
        ph: &Physical,
        res: &str,
    ) -> Result<Option<Json>, ResolveError> {
        let args = |n: usize| -> Result<&[Node], ResolveError> {
            match &arg.value {
                Value::Seq(items) if items.len() == n => Ok(items),
                _ => Err(self.error(line, res, format!("{name} takes a list of {n} values"))),
            }
        };
        match name {
            "Ref" => {
                let target = arg
                    .as_str()
                    .ok_or_else(|| self.error(line, res, "Ref takes a name".into()))?;
                if target == "AWS::NoValue" {
                    return Ok(None);
                }
                self.reference(target, ph, line, res).map(Some)
            }
            "Fn::GetAtt" => {
                // `[Resource, Attribute]`, or the string form `Resource.Attribute` (the
                // attribute may itself have dots: `Child.Outputs.Name`).
                let (target, attr) = match &arg.value {
                    Value::Str(s) => {
                        match s.split_once('.') {
                            Some((t, a)) => (t.to_string(), a.to_string()),
                            None => {
                                return Err(self.error(
                                line,
                                res,
                                format!("Fn::GetAtt {s:?} names no attribute: write Resource.Attribute"),
                            ));
                            }
                        }
                    }
                    Value::Seq(items) if items.len() == 2 => {
                        let attr = match items[1].as_str() {
                            Some(a) => a.to_string(),
                            // The attribute may come from a Ref (a parameter).
                            None => {
                                json_text(&self.eval(&items[1], ph, res)?.unwrap_or(Json::Null))
                            }
                        };
                        match items[0].as_str() {
                            Some(t) => (t.to_string(), attr),
                            None => {
                                return Err(self.error(
                                    line,
                                    res,
                                    "Fn::GetAtt takes [Resource, Attribute]".into(),
                                ));
                            }
                        }
                    }
                    _ => {
                        return Err(self.error(
                            line,
                            res,
                            "Fn::GetAtt takes [Resource, Attribute] or \"Resource.Attribute\""
                                .into(),
                        ));
                    }
                };
                self.attribute(&target, &attr, ph, line, res).map(Some)
            }
            "Fn::ImportValue" => {
                let export = json_text(&self.eval(arg, ph, res)?.unwrap_or(Json::Null));
                self.imports.get(&export).cloned().map(Some).ok_or_else(|| {
                    self.error(
                        line,
                        res,
                        format!(
                            "Fn::ImportValue {export:?}: no such export here; give its value with --import-values FILE (a JSON object of export name to value)"
                        ),
                    )
                })
            }
            "Fn::Length" => {
                let v = self.eval(arg, ph, res)?.unwrap_or(Json::Null);
                match v {
                    Json::Array(items) => Ok(Some(Json::from(items.len()))),
                    _ => Err(self.error(line, res, "Fn::Length takes a list".into())),
                }
            }
            "Fn::ToJsonString" => {
                let v = self.eval(arg, ph, res)?.unwrap_or(Json::Null);
                Ok(Some(Json::String(v.to_string())))
            }
            "Fn::Cidr" => {
                let items = args(3)?;
                let mut vals = Vec::with_capacity(3);
                for item in items {
                    vals.push(json_text(&self.eval(item, ph, res)?.unwrap_or(Json::Null)));
                }
                cidr(&vals[0], &vals[1], &vals[2])
                    .map(|l| Some(Json::Array(l.into_iter().map(Json::String).collect())))
                    .map_err(|m| self.error(line, res, m))
            }
            "Fn::Sub" => {
                let (text, vars) = match &arg.value {
                    Value::Str(s) => (s.as_str(), None),
                    Value::Seq(items) if items.len() == 2 && items[0].as_str().is_some() => {
                        (items[0].as_str().unwrap_or_default(), Some(&items[1]))
                    }
                    _ => {
                        return Err(self.error(
                            line,
                            res,
                            "Fn::Sub takes a string or [string, {vars}]".into(),
                        ));
                    }
                };
                self.sub(text, vars, ph, line, res)
                    .map(|s| Some(Json::String(s)))
            }
            "Fn::Join" => {
                let items = args(2)?;
                let sep = items[0].as_str().ok_or_else(|| {
                    self.error(line, res, "Fn::Join's separator must be a string".into())
                })?;
                let list = self.eval(&items[1], ph, res)?.unwrap_or(Json::Null);
                let Json::Array(parts) = list else {
                    return Err(self.error(
                        line,
                        res,
                        "Fn::Join's second value must be a list".into(),
                    ));
                };
                let parts: Vec<String> = parts.iter().map(json_text).collect();
                Ok(Some(Json::String(parts.join(sep))))
            }
            "Fn::If" => {
                let items = args(3)?;
                let cond = items[0].as_str().ok_or_else(|| {
                    self.error(line, res, "Fn::If's first value is a condition name".into())
                })?;
                let Some(&truth) = self.conditions.get(cond) else {
                    return Err(self.error(line, res, format!("no condition named {cond:?}")));
                };
                self.eval(if truth { &items[1] } else { &items[2] }, ph, res)
            }
            "Fn::Select" => {
                let items = args(2)?;
                let index = self.eval(&items[0], ph, res)?.unwrap_or(Json::Null);
                let index = json_text(&index).parse::<usize>().map_err(|_| {
                    self.error(line, res, "Fn::Select's index must be a number".into())
                })?;
                match self.eval(&items[1], ph, res)? {
                    Some(Json::Array(list)) => {
                        list.get(index).cloned().map(Some).ok_or_else(|| {
                            self.error(
                                line,
                                res,
                                format!("Fn::Select index {index} is out of range"),
                            )
                        })
                    }
                    _ => Err(self.error(
                        line,
                        res,
                        "Fn::Select's second value must be a list".into(),
                    )),
                }
            }
            "Fn::Split" => {
                let items = args(2)?;
                let sep = items[0].as_str().unwrap_or_default();
                let text = json_text(&self.eval(&items[1], ph, res)?.unwrap_or(Json::Null));
                Ok(Some(Json::Array(
                    text.split(sep).map(|s| Json::String(s.into())).collect(),
                )))
            }
            "Fn::Base64" => {
                let text = json_text(&self.eval(arg, ph, res)?.unwrap_or(Json::Null));
                Ok(Some(Json::String(
                    base64::engine::general_purpose::STANDARD.encode(text.as_bytes()),
                )))
            }
            "Fn::GetAZs" => {
                let r = &self.pseudo.region;
                Ok(Some(Json::Array(
                    ["a", "b", "c"]
                        .iter()
                        .map(|z| Json::String(format!("{r}{z}")))
                        .collect(),
                )))
            }
            "Fn::FindInMap" => {
                // A fourth item `{DefaultValue: …}` (AWS::LanguageExtensions) is what a
                // missing key gives.
                let (items, default) = match &arg.value {
                    Value::Seq(items) if items.len() == 4 => {
                        let Some(d) = items[3].get("DefaultValue") else {
                            return Err(self.error(
                                line,
                                res,
                                "Fn::FindInMap's fourth value must be {DefaultValue: …}".into(),
                            ));
                        };
                        (&items[..3], Some(d))
                    }
                    _ => (args(3)?, None),
                };
                let mut keys = Vec::with_capacity(3);
                for item in items {
                    keys.push(json_text(&self.eval(item, ph, res)?.unwrap_or(Json::Null)));
                }
                let found = self
                    .mappings
                    .as_ref()
                    .and_then(|m| m.get(&keys[0]))
                    .and_then(|m| m.get(&keys[1]))
                    .and_then(|m| m.get(&keys[2]))
                    .or(default)
                    .ok_or_else(|| {
                        self.error(line, res, format!("no mapping value at {}", keys.join(".")))
                    })?;
                self.eval(found, ph, res)
            }
            "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or" | "Condition" => {
                let node = Node {
                    line,
                    value: Value::Map(vec![(name.to_string(), arg.clone())]),
                };
                let mut visiting = HashSet::new();
                let b = self
                    .truth(&node, &HashMap::new(), &mut visiting)
                    .map_err(ResolveError::Invalid)?;
                Ok(Some(Json::Bool(b)))
            }
            other => Err(self.error(line, res, format!("{other} is not supported locally"))),
        }
    }

    fn reference(
        &self,
        target: &str,
        ph: &Physical,
        line: usize,
        res: &str,
    ) -> Result<Json, ResolveError> {
        if let Some(v) = self.pseudo_value(target) {
            return Ok(v);
        }
        if let Some(v) = self.parameters.get(target) {
            return Ok(v.clone());
        }
        if self.deferred.contains_key(target) {
            return Err(self.error(
                line,
                res,
                format!(
                    "parameter {target} is given by the parent stack as a reference to one of its resources, which a Condition cannot use locally: give it a plain value"
                ),
            ));
        }
        if let Some(v) = ph.refs.get(target) {
            return Ok(Json::String(v.clone()));
        }
        if self.resources.iter().any(|r| r.logical_id == target) {
            return Err(ResolveError::Unresolved {
                logical_id: target.into(),
            });
        }
        Err(self.error(
            line,
            res,
            format!("!Ref {target}: no parameter or resource has that name"),
        ))
    }

    fn attribute(
        &self,
        target: &str,
        attr: &str,
        ph: &Physical,
        line: usize,
        res: &str,
    ) -> Result<Json, ResolveError> {
        if let Some(v) = ph.attrs.get(&(target.to_string(), attr.to_string())) {
            return Ok(v.clone());
        }
        // `${MyApi.Stage}` in a Sub names a resource SAM generates, as `!Ref MyApi.Stage` does.
        if let Some(v) = ph.refs.get(&format!("{target}.{attr}")) {
            return Ok(Json::String(v.clone()));
        }
        if !self.resources.iter().any(|r| r.logical_id == target) {
            return Err(self.error(
                line,
                res,
                format!("!GetAtt {target}.{attr}: no resource has that name"),
            ));
        }
        if ph.refs.contains_key(target) {
            return Err(self.error(
                line,
                res,
                format!("!GetAtt {target}.{attr}: that resource has no attribute {attr} locally"),
            ));
        }
        Err(ResolveError::Unresolved {
            logical_id: target.into(),
        })
    }

    fn pseudo_value(&self, name: &str) -> Option<Json> {
        let p = &self.pseudo;
        let s = match name {
            "AWS::Region" => p.region.clone(),
            "AWS::AccountId" => p.account_id.clone(),
            "AWS::StackName" => p.stack_name.clone(),
            "AWS::StackId" => format!(
                "arn:aws:cloudformation:{}:{}:stack/{}/00000000-0000-0000-0000-000000000000",
                p.region, p.account_id, p.stack_name
            ),
            "AWS::Partition" => "aws".into(),
            "AWS::URLSuffix" => "amazonaws.com".into(),
            "AWS::NotificationARNs" => return Some(Json::Array(vec![])),
            _ => return None,
        };
        Some(Json::String(s))
    }

    fn sub(
        &self,
        text: &str,
        vars: Option<&Node>,
        ph: &Physical,
        line: usize,
        res: &str,
    ) -> Result<String, ResolveError> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                return Err(self.error(line, res, format!("Fn::Sub: unclosed ${{ in {text:?}")));
            };
            let var = &after[..end];
            if let Some(literal) = var.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else {
                let value = match vars.and_then(|v| v.get(var)) {
                    Some(node) => self.eval(node, ph, res)?.unwrap_or(Json::Null),
                    None => match var.split_once('.') {
                        Some((target, attr)) if self.pseudo_value(var).is_none() => {
                            self.attribute(target, attr, ph, line, res)?
                        }
                        _ => self.reference(var, ph, line, res)?,
                    },
                };
                out.push_str(&json_text(&value));
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    pub(crate) fn condition(
        &self,
        name: &str,
        all: &HashMap<&str, &Node>,
        visiting: &mut HashSet<String>,
    ) -> Result<bool, TemplateError> {
        if let Some(v) = self.conditions.get(name) {
            return Ok(*v);
        }
        let Some(node) = all.get(name) else {
            return Err(TemplateError {
                file: self.file.clone(),
                line: 0,
                resource: None,
                message: format!("no condition named {name:?}"),
            });
        };
        if !visiting.insert(name.to_string()) {
            return Err(TemplateError {
                file: self.file.clone(),
                line: node.line,
                resource: None,
                message: format!("condition {name} refers to itself"),
            });
        }
        self.truth(node, all, visiting)
    }

    fn truth(
        &self,
        node: &Node,
        all: &HashMap<&str, &Node>,
        visiting: &mut HashSet<String>,
    ) -> Result<bool, TemplateError> {
        let bad = |m: &str| TemplateError {
            file: self.file.clone(),
            line: node.line,
            resource: None,
            message: m.to_string(),
        };
        let Some((name, arg)) = node.intrinsic() else {
            return Err(bad(
                "a condition must be Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition",
            ));
        };
        let list = || match &arg.value {
            Value::Seq(items) => Ok(items.as_slice()),
            _ => Err(bad(&format!("{name} takes a list"))),
        };
        match name {
            "Condition" => {
                let n = arg.as_str().ok_or_else(|| bad("Condition takes a name"))?;
                self.condition(n, all, visiting)
            }
            "Fn::Equals" => {
                let items = list()?;
                if items.len() != 2 {
                    return Err(bad("Fn::Equals takes two values"));
                }
                let ph = Physical::default();
                let mut vals = Vec::with_capacity(2);
                for item in items {
                    let v = match self.eval(item, &ph, "Conditions") {
                        Ok(v) => v.unwrap_or(Json::Null),
                        Err(ResolveError::Invalid(e)) => return Err(e),
                        Err(ResolveError::Unresolved { .. }) => {
                            return Err(bad("a condition cannot refer to a resource"));
                        }
                    };
                    vals.push(json_text(&v));
                }
                Ok(vals[0] == vals[1])
            }
            "Fn::Not" => {
                let items = list()?;
                match items {
                    [one] => Ok(!self.truth(one, all, visiting)?),
                    _ => Err(bad("Fn::Not takes one condition")),
                }
            }
            "Fn::And" | "Fn::Or" => {
                let mut results = Vec::new();
                for item in list()? {
                    results.push(self.truth(item, all, visiting)?);
                }
                Ok(if name == "Fn::And" {
                    results.iter().all(|b| *b)
                } else {
                    results.iter().any(|b| *b)
                })
            }
            other => Err(bad(&format!("{other} cannot be used in a condition"))),
        }
    }
}

/// `Fn::Cidr`: `count` subnets of `32 - bits` prefix (IPv4) carved in order from `block`.
fn cidr(block: &str, count: &str, bits: &str) -> Result<Vec<String>, String> {
    let bad = || {
        format!(
            "Fn::Cidr [{block}, {count}, {bits}]: not an IPv4 block, a count and a number of bits"
        )
    };
    let (ip, prefix) = block.split_once('/').ok_or_else(bad)?;
    let ip: std::net::Ipv4Addr = ip.parse().map_err(|_| bad())?;
    let prefix: u32 = prefix.parse().map_err(|_| bad())?;
    let count: u32 = count.parse().map_err(|_| bad())?;
    let bits: u32 = bits.parse().map_err(|_| bad())?;
    if prefix > 32 || bits == 0 || bits > 32 || 32 - bits < prefix || count == 0 || count > 256 {
        return Err(bad());
    }
    let new_prefix = 32 - bits;
    let available = 1u64 << (new_prefix - prefix);
    if u64::from(count) > available {
        return Err(format!(
            "Fn::Cidr: {block} holds only {available} subnets of /{new_prefix}"
        ));
    }
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    let base = u32::from(ip) & mask;
    Ok((0..count)
        .map(|i| {
            let net = u64::from(base) + (u64::from(i) << bits);
            let net = u32::try_from(net).unwrap_or(u32::MAX);
            format!("{}/{new_prefix}", std::net::Ipv4Addr::from(net))
        })
        .collect())
}

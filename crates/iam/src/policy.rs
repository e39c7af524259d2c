//! IAM policy evaluation, as AWS evaluates a request: every statement of the identity policies
//! and of the resource policy that matches the request is collected; a matching `Deny` wins,
//! else a matching `Allow` allows, else the request is implicitly denied. Matching covers
//! `Action`/`NotAction` (case-insensitive, `*` and `?`), `Resource`/`NotResource`
//! (case-sensitive; `*` spans `/`), a resource policy's `Principal`/`NotPrincipal`, and the
//! `Condition` operators that make sense locally (String*, Arn*, Numeric*, Date*, Bool,
//! IpAddress, NotIpAddress, Null, with `…IfExists`, `ForAnyValue:`, `ForAllValues:`).
//!
//! Fail closed: an element this evaluator does not understand (an operator, a condition key
//! no local request has a value for that is not `…IfExists`/`Null`) makes its statement an
//! [`Decision::Unsupported`] refusal when it could otherwise allow, with the element named.

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::Value as Json;

/// The outcome of evaluating a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// An `Allow` matched and no `Deny`.
    Allow,
    /// Nothing allowed it.
    ImplicitDeny,
    /// A `Deny` matched.
    ExplicitDeny,
    /// A policy element could not be evaluated: denied, and this names it.
    Unsupported(String),
}

/// Who asks, for a resource policy's `Principal`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    /// The principal's ARN (`arn:aws:iam::<a>:user/<n>`, `…:root`,
    /// `arn:aws:sts::<a>:assumed-role/<role>/<session>`); empty for anonymous.
    pub arn: String,
    /// Its account; empty for anonymous.
    pub account: String,
    /// For a role session, the role's ARN (a statement naming the role matches its sessions).
    pub role_arn: Option<String>,
    /// A service principal (`lambda.amazonaws.com`) asking, for a trust policy's
    /// `Principal.Service`.
    pub service: Option<String>,
    /// A web identity provider (`cognito-identity.amazonaws.com`) vouching for the caller, for
    /// a trust policy's `Principal.Federated`.
    pub federated: Option<String>,
    /// Only a `Principal` that names this caller's ARN (or its role's) matches: not `*`, not
    /// its account. A role's trust policy that admits a whole account admits only those of its
    /// principals whose own policies allow them too; this is how that is told apart.
    pub named_only: bool,
}

/// A request to evaluate.
#[derive(Debug, Clone)]
pub struct Ask<'a> {
    /// `execute-api:Invoke`.
    pub action: &'a str,
    /// The resource's ARN.
    pub resource: &'a str,
    /// The caller.
    pub caller: &'a Caller,
    /// Condition key values.
    pub context: &'a Context<'a>,
}

/// Condition key values, keys in lower case (`aws:sourceip`, `aws:principaltag/team`): made
/// the first time a `Condition` asks for one, so the many requests whose policies have no
/// condition never build them.
pub struct Context<'a> {
    values: OnceCell<BTreeMap<String, Vec<String>>>,
    make: &'a dyn Fn() -> BTreeMap<String, Vec<String>>,
}

impl<'a> Context<'a> {
    /// Values `make` builds when first asked.
    pub fn lazy(make: &'a dyn Fn() -> BTreeMap<String, Vec<String>>) -> Context<'a> {
        Context {
            values: OnceCell::new(),
            make,
        }
    }

    fn values(&self) -> &BTreeMap<String, Vec<String>> {
        self.values.get_or_init(self.make)
    }
}

impl std::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("values", &self.values.get())
            .finish_non_exhaustive()
    }
}

/// Evaluates `ask` against the caller's identity policies and the resource's policy (either
/// may allow; any deny wins).
pub fn evaluate(identity: &[Json], resource_policy: Option<&Json>, ask: &Ask<'_>) -> Decision {
    let mut allowed = false;
    let mut unsupported = None;
    let docs = identity
        .iter()
        .map(|d| (d, false))
        .chain(resource_policy.map(|d| (d, true)));
    for (doc, is_resource) in docs {
        for st in statements(doc) {
            match statement(st, is_resource, ask) {
                Ok(None) => {}
                Ok(Some(true)) => allowed = true,
                Ok(Some(false)) => return Decision::ExplicitDeny,
                Err(why) => {
                    // A Deny we cannot evaluate denies; an Allow we cannot evaluate is not
                    // counted, and if nothing else allows, the refusal names it.
                    if st["Effect"] == "Deny" {
                        return Decision::Unsupported(why);
                    }
                    unsupported.get_or_insert(why);
                }
            }
        }
    }
    match (allowed, unsupported) {
        (true, _) => Decision::Allow,
        (false, Some(why)) => Decision::Unsupported(why),
        (false, None) => Decision::ImplicitDeny,
    }
}

/// A document's statements (a list, or one statement on its own).
fn statements(doc: &Json) -> impl Iterator<Item = &Json> {
    let st = &doc["Statement"];
    st.as_array()
        .into_iter()
        .flatten()
        .chain(st.is_object().then_some(st))
}

/// A policy element's strings (one string, or a list of them).
fn list(v: &Json) -> impl Iterator<Item = &str> {
    v.as_str()
        .into_iter()
        .chain(v.as_array().into_iter().flatten().filter_map(Json::as_str))
}

/// Whether a statement applies: `Some(true)` an Allow, `Some(false)` a Deny, `None` not.
fn statement(st: &Json, is_resource: bool, ask: &Ask<'_>) -> Result<Option<bool>, String> {
    let allow = match st["Effect"].as_str() {
        Some("Allow") => true,
        Some("Deny") => false,
        other => return Err(format!("Effect {other:?}")),
    };
    let action = match (&st["Action"], &st["NotAction"]) {
        (a, Json::Null) if !a.is_null() => list(a).any(|p| like(p, ask.action, true)),
        (Json::Null, n) if !n.is_null() => !list(n).any(|p| like(p, ask.action, true)),
        _ => return Err("a statement needs Action or NotAction".into()),
    };
    let resource = match (&st["Resource"], &st["NotResource"]) {
        (r, Json::Null) if !r.is_null() => list(r).any(|p| resource_like(p, ask.resource)),
        (Json::Null, n) if !n.is_null() => !list(n).any(|p| resource_like(p, ask.resource)),
        // An identity policy statement needs one; a resource policy's may leave it out.
        (Json::Null, Json::Null) if is_resource => true,
        _ => return Err("a statement needs Resource or NotResource".into()),
    };
    let principal = if is_resource {
        // NotPrincipal with Allow grants everyone it does not name: AWS warns against it and
        // refuses it in a role's trust policy; it is not evaluated locally (so it allows
        // nothing).
        if allow && !st["NotPrincipal"].is_null() {
            return Err("NotPrincipal with Effect Allow is not evaluated locally".into());
        }
        match (&st["Principal"], &st["NotPrincipal"]) {
            (p, Json::Null) if !p.is_null() => principal_matches(p, ask.caller),
            (Json::Null, n) if !n.is_null() => !principal_matches(n, ask.caller),
            _ => return Err("a resource policy statement needs Principal or NotPrincipal".into()),
        }
    } else {
        true
    };
    if !(action && resource && principal) {
        return Ok(None);
    }
    if !conditions(&st["Condition"], ask.context)? {
        return Ok(None);
    }
    Ok(Some(allow))
}

fn principal_matches(p: &Json, caller: &Caller) -> bool {
    let named = |key: &str, who: &Option<String>| {
        who.as_deref()
            .is_some_and(|s| list(&p[key]).any(|n| n == s))
    };
    // A service or a web identity provider is matched by its own element only: not by `*`,
    // not by an `AWS` principal (fail closed: `*` may admit them on AWS in some policies).
    if caller.service.is_some() || caller.federated.is_some() {
        return named("Service", &caller.service) || named("Federated", &caller.federated);
    }
    if p == "*" {
        return !caller.named_only;
    }
    list(&p["AWS"]).any(|n| {
        (!caller.named_only
            && (n == "*"
                || (!caller.account.is_empty()
                    && (n == caller.account || is_root_of(n, &caller.account)))))
            || (!caller.arn.is_empty() && n == caller.arn)
            || caller.role_arn.as_deref() == Some(n)
    })
}

/// Whether `n` is `arn:aws:iam::<account>:root`.
fn is_root_of(n: &str, account: &str) -> bool {
    n.strip_prefix("arn:aws:iam::")
        .and_then(|r| r.strip_suffix(":root"))
        == Some(account)
}

/// `*` any run (across `/` too), `?` one character. Evaluated on every request against every
/// statement: the common cases (`*`, no wildcard, ASCII) allocate nothing.
fn like(pattern: &str, value: &str, ignore_case: bool) -> bool {
    if pattern == "*" {
        return true;
    }
    if !pattern.contains(['*', '?']) {
        return if ignore_case {
            pattern.eq_ignore_ascii_case(value)
                || (!(pattern.is_ascii() && value.is_ascii())
                    && pattern.to_lowercase() == value.to_lowercase())
        } else {
            pattern == value
        };
    }
    if pattern.is_ascii() && value.is_ascii() {
        let eq = |a: u8, b: u8| {
            if ignore_case {
                a.eq_ignore_ascii_case(&b)
            } else {
                a == b
            }
        };
        return glob(pattern.as_bytes(), value.as_bytes(), eq);
    }
    let (p, v): (Vec<char>, Vec<char>) = if ignore_case {
        (
            pattern.to_lowercase().chars().collect(),
            value.to_lowercase().chars().collect(),
        )
    } else {
        (pattern.chars().collect(), value.chars().collect())
    };
    glob(&p, &v, |a, b| a == b)
}

/// Iterative glob with backtracking to the last `*`, over bytes or characters.
fn glob<T: Copy + PartialEq + From<u8>>(p: &[T], v: &[T], eq: impl Fn(T, T) -> bool) -> bool {
    let (star_c, any_c) = (T::from(b'*'), T::from(b'?'));
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < v.len() {
        if i < p.len() && p[i] != star_c && (p[i] == any_c || eq(p[i], v[j])) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == star_c {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    while i < p.len() && p[i] == star_c {
        i += 1;
    }
    i == p.len()
}

/// A resource pattern: ARN parts compared one by one (a part `*` or a glob), the rest of the
/// resource after the fifth `:` as a glob.
fn resource_like(pattern: &str, resource: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let arn = |s: &str| s.matches(':').count() >= 5;
    if !(arn(pattern) && arn(resource)) {
        return like(pattern, resource, false);
    }
    pattern
        .splitn(6, ':')
        .zip(resource.splitn(6, ':'))
        .all(|(a, b)| like(a, b, false))
}

/// Every operator's every key must hold (keys AND, values OR).
fn conditions(c: &Json, ctx: &Context<'_>) -> Result<bool, String> {
    let Some(ops) = c.as_object() else {
        return if c.is_null() {
            Ok(true)
        } else {
            Err("Condition must be a map".into())
        };
    };
    for (op, keys) in ops {
        let Some(keys) = keys.as_object() else {
            return Err(format!("Condition {op} must be a map"));
        };
        for (key, wanted) in keys {
            let listed: Vec<&str> = list(wanted).collect();
            if !condition(op, key, &listed, wanted, ctx)? {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// The condition keys a local request can have a value for; any other key is unsupported
/// unless the operator is `Null` or `…IfExists`.
fn known_key(key: &str) -> bool {
    const KEYS: &[&str] = &[
        "aws:sourceip",
        "aws:currenttime",
        "aws:epochtime",
        "aws:securetransport",
        "aws:referer",
        "aws:useragent",
        "aws:sourcearn",
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principaltype",
        "aws:userid",
        "aws:username",
        "aws:multifactorauthpresent",
        "aws:tokenissuetime",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:principalorgid",
        "aws:tagkeys",
        "sts:externalid",
        "sts:rolesessionname",
        "sts:transitivetagkeys",
    ];
    const PREFIXES: &[&str] = &[
        "aws:principaltag/",
        "aws:requesttag/",
        "cognito-identity.amazonaws.com:",
    ];
    KEYS.contains(&key) || PREFIXES.iter().any(|p| key.starts_with(p))
}

fn condition(
    op: &str,
    key: &str,
    wanted: &[&str],
    raw: &Json,
    ctx: &Context<'_>,
) -> Result<bool, String> {
    let lkey = key.to_ascii_lowercase();
    let values = ctx.values().get(&lkey);
    let (set, base) = match op.split_once(':') {
        Some((q @ ("ForAnyValue" | "ForAllValues"), rest)) => (Some(q), rest),
        _ => (None, op),
    };
    let (base, if_exists) = match base.strip_suffix("IfExists") {
        Some(b) => (b, true),
        None => (base, false),
    };
    if base == "Null" {
        let want_null = match raw {
            Json::Bool(b) => *b,
            other => list(other)
                .next()
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
        };
        return Ok(values.is_none() == want_null);
    }
    // Bool values may be written as JSON booleans.
    let owned: Vec<String>;
    let wanted: Vec<&str> = if wanted.is_empty() {
        owned = match raw {
            Json::Array(l) => l.iter().map(scalar).collect(),
            other => vec![scalar(other)],
        };
        owned.iter().map(String::as_str).collect()
    } else {
        wanted.to_vec()
    };
    let Some(values) = values else {
        if if_exists {
            return Ok(true);
        }
        if !known_key(&lkey) {
            return Err(format!("condition key {key} has no value locally"));
        }
        // A key the request lacks: the values do not match, so a condition is false, and a
        // negated one (`StringNotEquals`, `ArnNotLike`, …) is true; ForAllValues is vacuously
        // true (IAM user guide, "IAM JSON policy elements: Condition operators": "If the key
        // that you specify in a policy condition is not present in the request context …
        // the condition is false. If the policy condition requires that the key is not
        // matched, such as StringNotLike or ArnNotLike, and the right key is not present, the
        // condition is true").
        return Ok(set == Some("ForAllValues") || (set.is_none() && base.contains("Not")));
    };
    let test = |v: &str| -> Result<bool, String> {
        let mut any = false;
        for w in &wanted {
            if compare(base, v, w)? {
                any = true;
            }
        }
        Ok(any)
    };
    let negated = base.contains("Not");
    match set {
        Some("ForAllValues") => {
            for v in values {
                if !test(v)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Some(_) => {
            for v in values {
                if test(v)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        None if negated => {
            // Negated operators: true when no value matches any of the listed ones.
            for v in values {
                if !test(v)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        None => {
            for v in values {
                if test(v)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
    }
}

fn scalar(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One value against one listed value; for a negated operator, whether it does NOT match.
fn compare(op: &str, value: &str, wanted: &str) -> Result<bool, String> {
    let num = |s: &str| {
        s.parse::<f64>()
            .map_err(|_| format!("{op}: {s:?} is not a number"))
    };
    let date = |s: &str| -> Result<i64, String> {
        if let Ok(n) = s.parse::<i64>() {
            return Ok(n);
        }
        common::date::parse_iso8601(s).ok_or_else(|| format!("{op}: {s:?} is not a date"))
    };
    Ok(match op {
        "StringEquals" => value == wanted,
        "StringNotEquals" => value != wanted,
        "StringEqualsIgnoreCase" => value.eq_ignore_ascii_case(wanted),
        "StringNotEqualsIgnoreCase" => !value.eq_ignore_ascii_case(wanted),
        "StringLike" | "ArnLike" | "ArnEquals" => like(wanted, value, false),
        "StringNotLike" | "ArnNotLike" | "ArnNotEquals" => !like(wanted, value, false),
        "NumericEquals" => num(value)? == num(wanted)?,
        "NumericNotEquals" => num(value)? != num(wanted)?,
        "NumericLessThan" => num(value)? < num(wanted)?,
        "NumericLessThanEquals" => num(value)? <= num(wanted)?,
        "NumericGreaterThan" => num(value)? > num(wanted)?,
        "NumericGreaterThanEquals" => num(value)? >= num(wanted)?,
        "DateEquals" => date(value)? == date(wanted)?,
        "DateNotEquals" => date(value)? != date(wanted)?,
        "DateLessThan" => date(value)? < date(wanted)?,
        "DateLessThanEquals" => date(value)? <= date(wanted)?,
        "DateGreaterThan" => date(value)? > date(wanted)?,
        "DateGreaterThanEquals" => date(value)? >= date(wanted)?,
        "Bool" => value.eq_ignore_ascii_case(wanted),
        "IpAddress" => in_cidr(value, wanted)?,
        "NotIpAddress" => !in_cidr(value, wanted)?,
        other => {
            return Err(format!(
                "condition operator {other} is not evaluated locally"
            ));
        }
    })
}

fn in_cidr(ip: &str, cidr: &str) -> Result<bool, String> {
    let (net, bits) = cidr.split_once('/').unwrap_or((cidr, ""));
    let bad = || format!("{cidr:?} is not an IP address or CIDR block");
    let ip: IpAddr = ip
        .parse()
        .map_err(|_| format!("{ip:?} is not an IP address"))?;
    let net: IpAddr = net.parse().map_err(|_| bad())?;
    let (ip, net, width) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u128::from(u32::from(a)), u128::from(u32::from(b)), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        (IpAddr::V6(a), IpAddr::V4(b)) => match a.to_ipv4_mapped() {
            Some(a) => (u128::from(u32::from(a)), u128::from(u32::from(b)), 32),
            None => return Ok(false),
        },
        _ => return Ok(false),
    };
    let bits: u32 = if bits.is_empty() {
        width
    } else {
        bits.parse().map_err(|_| bad())?
    };
    if bits > width {
        return Err(bad());
    }
    if bits == 0 {
        return Ok(true);
    }
    let shift = width - bits;
    Ok(ip >> shift == net >> shift)
}

#[cfg(test)]
mod tests;

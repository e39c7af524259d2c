//! IAM roles as data: the template's `AWS::IAM::Role`s with the policies attached to them
//! (inline `Policies`, `AWS::IAM::Policy` and `AWS::IAM::ManagedPolicy` naming them in
//! `Roles`, `ManagedPolicyArns`), and the `<Function>Role` SAM generates for a function with no
//! `Role`: the Lambda trust policy, `AWSLambdaBasicExecutionRole`, and the function's
//! `Policies` (a managed policy name or ARN, an inline document, or a SAM policy template).
//!
//! SAM policy templates are expanded where they grant an action the local stack decides:
//! only `LambdaInvokePolicy` does (`lambda:InvokeFunction`); none of the others grants
//! `execute-api:Invoke`, `sts:AssumeRole`, `sts:TagSession` or `lambda:InvokeFunction`, so the
//! rest are not. A conformance test holds both against aws-sam-translator's
//! `policy_templates.json`.

use serde_json::Value as Json;

/// The IAM resource types served (as principals and their policies), not listed as not
/// emulated.
pub const SERVED: &[&str] = &[
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
];

/// A role and its permissions.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    /// Its logical id (`MyFunctionRole` for SAM's generated one).
    pub logical_id: String,
    /// `RoleName` (or the name CloudFormation generates).
    pub name: String,
    /// `arn:aws:iam::<account>:role/<name>`.
    pub arn: String,
    /// `RoleId` (`AROA…`).
    pub id: String,
    /// `AssumeRolePolicyDocument`.
    pub trust: Json,
    /// Inline and attached policy documents of the template.
    pub policies: Vec<Json>,
    /// `ManagedPolicyArns` (and SAM's managed policy names, as ARNs): resolved by whoever
    /// knows managed policies.
    pub managed: Vec<String>,
    /// `PermissionsBoundary`, a managed policy ARN.
    pub boundary: Option<String>,
    /// `MaxSessionDuration`, seconds.
    pub max_session_secs: i64,
}

/// A customer managed policy of the template.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagedPolicy {
    /// Its ARN (`Ref`).
    pub arn: String,
    /// `PolicyDocument`.
    pub document: Json,
}

/// The managed policy SAM attaches to every role it generates for a function.
pub const LAMBDA_BASIC_EXECUTION: &str =
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";

/// The trust policy SAM writes on a function's generated role.
pub fn lambda_trust() -> Json {
    serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": ["lambda.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}]})
}

/// An `AWS::IAM::Role` from its resolved properties.
pub fn from_resource(logical_id: &str, name: &str, arn: &str, id: &str, props: &Json) -> Role {
    let policies = props["Policies"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p["PolicyDocument"].clone())
        .filter(|d| !d.is_null())
        .collect();
    Role {
        logical_id: logical_id.into(),
        name: name.into(),
        arn: arn.into(),
        id: id.into(),
        trust: policy_document(&props["AssumeRolePolicyDocument"]),
        policies,
        managed: common::json::strings(&props["ManagedPolicyArns"]),
        boundary: props["PermissionsBoundary"].as_str().map(str::to_string),
        max_session_secs: props["MaxSessionDuration"]
            .as_i64()
            .or_else(|| props["MaxSessionDuration"].as_str()?.parse().ok())
            .unwrap_or(3600),
    }
}

/// The role SAM generates for a function (`props` with its Globals), named `name`, in
/// `region` and `account`. `Policies` entries that are SAM policy templates are returned by
/// name in the second value (those that grant a locally decided action are also expanded into
/// the role's policies).
pub fn generated(
    logical_id: &str,
    name: &str,
    arn: &str,
    id: &str,
    props: &Json,
    (region, account): (&str, &str),
) -> (Role, Vec<String>) {
    let mut role = Role {
        logical_id: logical_id.into(),
        name: name.into(),
        arn: arn.into(),
        id: id.into(),
        trust: match &props["AssumeRolePolicyDocument"] {
            Json::Null => lambda_trust(),
            doc => policy_document(doc),
        },
        policies: Vec::new(),
        managed: vec![LAMBDA_BASIC_EXECUTION.into()],
        boundary: props["PermissionsBoundary"].as_str().map(str::to_string),
        max_session_secs: 3600,
    };
    let mut templates = Vec::new();
    let entries: Vec<&Json> = match &props["Policies"] {
        Json::Array(l) => l.iter().collect(),
        Json::Null => Vec::new(),
        one => vec![one],
    };
    for p in entries {
        match p {
            // A managed policy: SAM prefixes a bare name with AWS's policy path.
            Json::String(s) if s.starts_with("arn:") => role.managed.push(s.clone()),
            Json::String(s) => role.managed.push(format!("arn:aws:iam::aws:policy/{s}")),
            Json::Object(m) if m.contains_key("Statement") => role.policies.push(p.clone()),
            Json::Object(m) => {
                for (name, params) in m {
                    templates.push(name.clone());
                    role.policies
                        .extend(expand_template(name, params, region, account));
                }
            }
            _ => {}
        }
    }
    (role, templates)
}

/// A SAM policy template that grants an action decided locally, as the document
/// aws-sam-translator's `policy_templates.json` defines: `LambdaInvokePolicy` is
/// `lambda:InvokeFunction` on `arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:
/// function:${FunctionName}*`. Others: none.
fn expand_template(name: &str, params: &Json, region: &str, account: &str) -> Option<Json> {
    match name {
        "LambdaInvokePolicy" => Some(serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Action": ["lambda:InvokeFunction"],
                "Resource": format!(
                    "arn:aws:lambda:{region}:{account}:function:{}*",
                    template::json_text(&params["FunctionName"])
                ),
            }],
        })),
        _ => None,
    }
}

/// A policy document given as an object or as JSON text.
pub fn policy_document(v: &Json) -> Json {
    match v {
        Json::String(s) => serde_json::from_str(s).unwrap_or(Json::Null),
        other => other.clone(),
    }
}

/// Attaches a policy resource's document (`AWS::IAM::Policy` or `AWS::IAM::ManagedPolicy`) to
/// the roles it names in `Roles`; the names it gives that are no role of the template are
/// returned.
pub fn attach(roles: &mut [Role], props: &Json) -> Vec<String> {
    let doc = policy_document(&props["PolicyDocument"]);
    let mut unknown = Vec::new();
    for name in common::json::strings(&props["Roles"]) {
        match roles.iter_mut().find(|r| r.name == name) {
            Some(_) if doc.is_null() => {}
            Some(r) => r.policies.push(doc.clone()),
            None => unknown.push(name),
        }
    }
    unknown
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_generated_role_trusts_lambda_and_holds_the_functions_policies() {
        let props = json!({"Policies": [
            "AmazonDynamoDBReadOnlyAccess",
            "arn:aws:iam::123456789012:policy/Mine",
            {"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}]},
            {"DynamoDBCrudPolicy": {"TableName": "t"}},
            {"LambdaInvokePolicy": {"FunctionName": "other"}}
        ]});
        let (role, templates) = generated(
            "FnRole",
            "stack-FnRole-X",
            "arn:aws:iam::1:role/stack-FnRole-X",
            "AROAX",
            &props,
            ("eu-west-1", "123456789012"),
        );
        assert_eq!(role.trust, lambda_trust());
        assert_eq!(
            role.managed,
            [
                LAMBDA_BASIC_EXECUTION,
                "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
                "arn:aws:iam::123456789012:policy/Mine"
            ]
        );
        // The inline document, and LambdaInvokePolicy expanded (it grants what is decided
        // locally); DynamoDBCrudPolicy is not.
        assert_eq!(role.policies.len(), 2);
        assert_eq!(
            role.policies[1]["Statement"][0]["Resource"],
            "arn:aws:lambda:eu-west-1:123456789012:function:other*"
        );
        assert_eq!(templates, ["DynamoDBCrudPolicy", "LambdaInvokePolicy"]);
        let (one, _) = generated(
            "F",
            "n",
            "a",
            "i",
            &json!({"Policies": "AWSLambdaExecute"}),
            ("us-east-1", "1"),
        );
        assert_eq!(one.managed[1], "arn:aws:iam::aws:policy/AWSLambdaExecute");
    }

    #[test]
    fn roles_hold_inline_attached_and_string_documents() {
        let props = json!({
            "AssumeRolePolicyDocument": "{\"Statement\": []}",
            "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}}],
            "ManagedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"],
            "MaxSessionDuration": 7200
        });
        let mut roles = vec![from_resource(
            "R",
            "r",
            "arn:aws:iam::1:role/r",
            "AROAR",
            &props,
        )];
        assert_eq!(roles[0].trust, json!({"Statement": []}));
        assert_eq!(roles[0].max_session_secs, 7200);
        let unknown = attach(
            &mut roles,
            &json!({"PolicyDocument": {"Statement": []}, "Roles": ["r", "other"]}),
        );
        assert_eq!(roles[0].policies.len(), 2);
        assert_eq!(unknown, ["other"]);
    }
}

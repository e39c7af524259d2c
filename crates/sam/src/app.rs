//! A provisioned [`Plan`] resolved into the [`App`]: the functions, the REST and HTTP APIs
//! (SAM's, raw ones, the implicit ones) with their functions' events, resource policies and
//! usage plans, the tables, the IAM roles, and the outputs with API URLs made local.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use template::{ResolveError, TemplateError};

use crate::api::FromSam;
use crate::{
    App, AuthorizerKind, Kind, Layer, Local, Plan, RestApi, api, dir_of, dynamodb, function,
    globals_of, httpapi, identitypools, policy, rawapi, rawhttp, responses, roles, scoped, usage,
};

impl Plan<'_> {
    /// Resolves everything else, now that every reference has a value.
    pub fn resolve_app(self, local: &Local) -> Result<App, TemplateError> {
        let mut warnings = self.stack.warnings.clone();
        let mut functions = Vec::new();
        let mut apis: Vec<RestApi> = Vec::new();
        let mut layers: Vec<Layer> = Vec::new();
        let mut parts: Vec<rawapi::Part> = Vec::new();
        let mut http_apis: Vec<httpapi::HttpApi> = Vec::new();
        // Each SAM REST API's `Auth`: its ResourcePolicy is written once its events are in,
        // its UsagePlan generates a plan and a key.
        let mut sam_auths: Vec<(String, Json)> = Vec::new();
        for &i in &self.order {
            let r = &self.stack.resources[i];
            match self.kinds[i] {
                kind @ (Kind::Function | Kind::LambdaFunction) => {
                    let props = match kind {
                        Kind::Function => self.with_globals(r, Kind::Function)?,
                        _ => function::sam_shaped(self.resolve(r, &r.properties)?),
                    };
                    let f = function::Function::from_props(
                        self.stack,
                        r,
                        &props,
                        &dir_of(self.stack, &r.logical_id),
                    )
                    .map_err(|m| self.error(r, m))?;
                    functions.push((f, props));
                }
                Kind::HttpApi => {
                    let props = self.with_globals(r, Kind::HttpApi)?;
                    let id = self.physical.refs[&r.logical_id].clone();
                    let a = httpapi::HttpApi::from_sam(&r.logical_id, id, &props, &mut warnings)
                        .map_err(|m| self.error(r, m))?;
                    http_apis.push(a);
                }
                Kind::ApiGateway(kind) => {
                    let props = self.resolve(r, &r.properties)?;
                    let root = self
                        .physical
                        .attrs
                        .get(&(r.logical_id.clone(), "RootResourceId".to_string()))
                        .and_then(Json::as_str)
                        .unwrap_or_default()
                        .to_string();
                    parts.push(rawapi::Part {
                        logical_id: r.logical_id.clone(),
                        id: self.physical.refs[&r.logical_id].clone(),
                        kind,
                        props,
                        root,
                    });
                }
                Kind::Layer => {
                    let props = self.resolve(r, &r.properties)?;
                    let arn = self.physical.refs[&r.logical_id].clone();
                    if let Some(l) = function::Layer::from_props(
                        self.stack,
                        r,
                        arn,
                        &props,
                        &dir_of(self.stack, &r.logical_id),
                    )
                    .map_err(|m| self.error(r, m))?
                    {
                        layers.push(l);
                    }
                }
                Kind::RestApi => {
                    let props = self.with_globals(r, Kind::RestApi)?;
                    let id = self.physical.refs[&r.logical_id].clone();
                    let a = api::RestApi::from_sam(&r.logical_id, id, &props, &mut warnings)
                        .map_err(|m| self.error(r, m))?;
                    sam_auths.push((a.logical_id.clone(), props["Auth"].clone()));
                    apis.push(a);
                }
                _ => {}
            }
        }
        let template_error = |m| TemplateError {
            file: self.stack.file.clone(),
            line: 0,
            resource: None,
            message: m,
        };
        apis.extend(rawapi::build(&parts, &mut warnings).map_err(template_error)?);
        let (mut api_keys, mut usage_plans) = usage::build(&parts, &mut warnings);
        http_apis.extend(rawhttp::build(&parts, &mut warnings).map_err(template_error)?);
        for scope in api::implicit_api_scopes(self.stack) {
            let (a, auth) = self.implicit_api(&scope, &mut warnings)?;
            sam_auths.push((a.logical_id.clone(), auth));
            apis.push(a);
        }
        for scope in httpapi::implicit_api_scopes(self.stack) {
            http_apis.push(self.implicit_http_api(&scope, &mut warnings)?);
        }
        responses::attach(&mut apis, &parts, &mut warnings);
        for (f, props) in &functions {
            let r = self
                .stack
                .resources
                .iter()
                .find(|r| r.logical_id == f.logical_id)
                .expect("a planned function is a resource");
            api::add_events(&mut apis, &mut http_apis, &self, f, props, &mut warnings)
                .map_err(|m| self.error(r, m))?;
        }
        for (logical_id, auth) in &sam_auths {
            let error = |m: String| TemplateError {
                file: self.stack.file_of(logical_id).to_path_buf(),
                line: 0,
                resource: Some(logical_id.clone()),
                message: m,
            };
            let Some(a) = apis.iter_mut().find(|a| &a.logical_id == logical_id) else {
                continue;
            };
            policy::add_sam_to_api(a, &auth["ResourcePolicy"])
                .map_err(|m| error(format!("Auth.ResourcePolicy: {m}")))?;
            let id_of = |name: &str| {
                self.physical
                    .refs
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| api::stable_id("generated", name))
            };
            usage::add_sam(
                a,
                auth,
                id_of,
                &mut api_keys,
                &mut usage_plans,
                &mut warnings,
            )
            .map_err(|m| error(format!("Auth.UsagePlan: {m}")))?;
        }
        // An authorizer naming a function the template does not define cannot run.
        let rest_lambdas = apis
            .iter()
            .flat_map(|a| a.authorizers.values().map(move |z| (&a.logical_id, z)));
        let http_lambdas = http_apis
            .iter()
            .flat_map(|a| a.authorizers.values().map(move |z| (&a.logical_id, z)));
        let lambdas = rest_lambdas
            .chain(http_lambdas)
            .filter_map(|(api, z)| match &z.kind {
                AuthorizerKind::Lambda(l) => Some((api, &z.name, &l.function)),
                _ => None,
            });
        for (api, name, function) in lambdas {
            if !functions.iter().any(|(f, _)| &f.name == function) {
                warnings.push(format!(
                    "{api}: authorizer {name} runs {function:?}, which is not a function of this template: requests it guards answer 500"
                ));
            }
        }
        let mut tables = Vec::new();
        for &i in &self.order {
            let r = &self.stack.resources[i];
            let build = match r.kind.as_str() {
                "AWS::DynamoDB::Table" => dynamodb::table,
                "AWS::Serverless::SimpleTable" => dynamodb::simple_table,
                _ => continue,
            };
            let props = self.resolve(r, &r.properties)?;
            let name = self.physical.refs[&r.logical_id].clone();
            match build(&r.logical_id, &name, &props) {
                Ok(t) => tables.push(t),
                Err(m) => warnings.push(format!(
                    "{}: {m}: it cannot be created on a DynamoDB endpoint",
                    r.logical_id
                )),
            }
        }
        let (roles, managed_policies) = self.roles(&mut functions, &mut warnings)?;
        let identity_pools = self.identity_pools(&mut warnings)?;
        let domains = self.domains();
        let outputs = self.outputs(&apis, &http_apis, &domains, local)?;
        // A function that calls an API of its own stack by its AWS URL calls the local one.
        for (f, _) in &mut functions {
            for (_, v) in &mut f.env {
                localize(
                    v,
                    &apis,
                    &http_apis,
                    &domains,
                    &self.stack.pseudo.region,
                    local,
                );
            }
        }
        let generated_used = self.generated_used();
        Ok(App {
            tables,
            transforms: self.stack.transforms.clone(),
            generated_used,
            file: self.stack.file.clone(),
            functions: functions.into_iter().map(|(f, _)| f).collect(),
            apis,
            http_apis,
            layers,
            outputs,
            // Roles and their policies are served: by the local IAM, as principals.
            not_emulated: self
                .not_emulated
                .into_iter()
                .filter(|n| {
                    !roles::SERVED.contains(&n.type_name.as_str())
                        && !identitypools::SERVED.contains(&n.type_name.as_str())
                })
                .collect(),
            warnings,
            api_keys,
            usage_plans,
            roles,
            managed_policies,
            identity_pools,
        })
    }

    /// The ids SAM generates that the template refers to (`Ref`, `Fn::GetAtt`, `Fn::Sub`,
    /// `DependsOn`, in resources, Globals and Outputs), sorted.
    fn generated_used(&self) -> Vec<String> {
        let defined: std::collections::HashSet<&str> = self
            .stack
            .resources
            .iter()
            .map(|r| r.logical_id.as_str())
            .collect();
        let mut refs = std::collections::HashSet::new();
        for r in &self.stack.resources {
            template::references(&r.properties, &mut refs);
            refs.extend(r.depends_on.iter().cloned());
        }
        for (_, _, v) in &self.stack.outputs {
            template::references(v, &mut refs);
        }
        if let Some(g) = &self.stack.globals {
            template::references(g, &mut refs);
        }
        let mut used: Vec<String> = refs
            .into_iter()
            .filter(|n| !defined.contains(n.as_str()) && self.physical.refs.contains_key(n))
            .collect();
        used.sort();
        used
    }

    /// The template's identity pools, each with the roles its attachments give it.
    fn identity_pools(
        &self,
        warnings: &mut Vec<String>,
    ) -> Result<Vec<identitypools::IdentityPool>, TemplateError> {
        let mut pools = Vec::new();
        let mut attachments = Vec::new();
        for &i in &self.order {
            let r = &self.stack.resources[i];
            match r.kind.as_str() {
                "AWS::Cognito::IdentityPool" => {
                    let props = self.resolve(r, &r.properties)?;
                    let id = self.physical.refs[&r.logical_id].clone();
                    let name = self
                        .physical
                        .attrs
                        .get(&(r.logical_id.clone(), "Name".to_string()))
                        .and_then(Json::as_str)
                        .unwrap_or_default()
                        .to_string();
                    pools.push(identitypools::pool(&r.logical_id, &id, &name, &props));
                }
                "AWS::Cognito::IdentityPoolRoleAttachment" => {
                    attachments.push((r.logical_id.clone(), self.resolve(r, &r.properties)?));
                }
                _ => {}
            }
        }
        for (logical_id, props) in attachments {
            let target = props["IdentityPoolId"].as_str().unwrap_or_default();
            match pools.iter_mut().find(|p| p.id == target) {
                Some(p) => identitypools::attach(p, &props),
                None => warnings.push(format!(
                    "{logical_id}: IdentityPoolId {target:?} is not an identity pool of this template: its roles are not attached"
                )),
            }
        }
        Ok(pools)
    }

    /// The template's roles with the policies attached to them, and the role SAM generates
    /// for each function that names none (whose ARN each such function then holds).
    fn roles(
        &self,
        functions: &mut [(function::Function, Json)],
        warnings: &mut Vec<String>,
    ) -> Result<(Vec<roles::Role>, Vec<roles::ManagedPolicy>), TemplateError> {
        let attr = |id: &str, name: &str| {
            self.physical
                .attrs
                .get(&(id.to_string(), name.to_string()))
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let reference = |id: &str| self.physical.refs.get(id).cloned().unwrap_or_default();
        let mut out = Vec::new();
        let mut managed = Vec::new();
        let mut attached = Vec::new();
        for &i in &self.order {
            let r = &self.stack.resources[i];
            match r.kind.as_str() {
                "AWS::IAM::Role" => {
                    let props = self.resolve(r, &r.properties)?;
                    out.push(roles::from_resource(
                        &r.logical_id,
                        &reference(&r.logical_id),
                        &attr(&r.logical_id, "Arn"),
                        &attr(&r.logical_id, "RoleId"),
                        &props,
                    ));
                }
                "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                    let props = self.resolve(r, &r.properties)?;
                    if r.kind == "AWS::IAM::ManagedPolicy" {
                        managed.push(roles::ManagedPolicy {
                            arn: reference(&r.logical_id),
                            document: roles::policy_document(&props["PolicyDocument"]),
                        });
                    }
                    attached.push((r.logical_id.clone(), props));
                }
                _ => {}
            }
        }
        for (f, props) in functions.iter_mut() {
            if f.role_arn.is_some() {
                continue;
            }
            let id = format!("{}Role", f.logical_id);
            // SAM policy templates are expanded where they grant what is decided here (see
            // `roles`).
            let (role, _templates) = roles::generated(
                &id,
                &reference(&id),
                &attr(&id, "Arn"),
                &attr(&id, "RoleId"),
                props,
                (&self.stack.pseudo.region, &self.stack.pseudo.account_id),
            );
            f.role_arn = Some(role.arn.clone());
            out.push(role);
        }
        for (logical_id, props) in &attached {
            for name in roles::attach(&mut out, props) {
                warnings.push(format!(
                    "{logical_id}: role {name:?} is not a role of this template: the policy is not attached to it here"
                ));
            }
        }
        Ok((out, managed))
    }

    /// `scope`'s `Globals.<key>` (`Api`, `HttpApi`), resolved; null when it has none.
    fn implicit_globals(
        &self,
        scope: &str,
        key: &str,
        file: &std::path::Path,
    ) -> Result<Json, TemplateError> {
        let Some(node) = globals_of(self.stack, scope).and_then(|g| g.get(key)) else {
            return Ok(Json::Null);
        };
        self.stack
            .resolve(node, &self.physical, "Globals")
            .map_err(|e| match e {
                ResolveError::Invalid(e) => e,
                ResolveError::Unresolved { logical_id } => TemplateError {
                    file: file.to_path_buf(),
                    line: node.line,
                    resource: Some("Globals".into()),
                    message: format!(
                        "Globals.{key} refers to {logical_id}, whose value is not known"
                    ),
                },
            })
    }

    /// The implicit HTTP API of `scope`, configured by its `Globals.HttpApi`.
    fn implicit_http_api(
        &self,
        scope: &str,
        warnings: &mut Vec<String>,
    ) -> Result<httpapi::HttpApi, TemplateError> {
        let name = scoped(scope, httpapi::IMPLICIT_HTTP_API);
        let file = self.stack.file_of(&name).to_path_buf();
        let props = self.implicit_globals(scope, "HttpApi", &file)?;
        let id = self.physical.refs[&name].clone();
        httpapi::HttpApi::from_sam(&name, id, &props, warnings).map_err(|m| TemplateError {
            file,
            line: 0,
            resource: Some(name.clone()),
            message: m,
        })
    }

    /// The implicit API of `scope`, configured by its `Globals.Api` as SAM configures it, and
    /// its `Auth`.
    fn implicit_api(
        &self,
        scope: &str,
        warnings: &mut Vec<String>,
    ) -> Result<(RestApi, Json), TemplateError> {
        let name = scoped(scope, api::IMPLICIT_API);
        let file = self.stack.file_of(&name).to_path_buf();
        let mut props = self.implicit_globals(scope, "Api", &file)?;
        if !props.is_object() {
            props = Json::Object(serde_json::Map::new());
        }
        props
            .as_object_mut()
            .expect("an object")
            .entry("StageName")
            .or_insert_with(|| Json::String("Prod".into()));
        let id = self.physical.refs[&name].clone();
        let api =
            api::RestApi::from_sam(&name, id, &props, warnings).map_err(|m| TemplateError {
                file,
                line: 0,
                resource: Some(name.clone()),
                message: m,
            })?;
        Ok((api, props["Auth"].clone()))
    }

    /// The outputs as strings; an API URL on AWS's host becomes the local one.
    fn outputs(
        &self,
        apis: &[RestApi],
        http_apis: &[httpapi::HttpApi],
        domains: &[String],
        local: &Local,
    ) -> Result<BTreeMap<String, String>, TemplateError> {
        let mut outputs = self.stack.resolved_outputs(&self.physical)?;
        for v in outputs.values_mut() {
            localize(
                v,
                apis,
                http_apis,
                domains,
                &self.stack.pseudo.region,
                local,
            );
        }
        Ok(outputs)
    }

    /// The prefixes of the template's user pool domains.
    fn domains(&self) -> Vec<String> {
        self.order
            .iter()
            .filter(|&&i| self.kinds[i] == Kind::UserPoolDomain)
            .filter_map(|&i| self.physical.refs.get(&self.stack.resources[i].logical_id))
            .cloned()
            .collect()
    }
}

/// `https://<api id>.execute-api.<region>.amazonaws.com…` of one of `apis` becomes the local
/// URL (`<api_url>…`), and `https://<domain>.auth.<region>.amazoncognito.com…` of one of the
/// template's user pool domains the local hosted UI (`<cognito_url>/<domain>…`); anything else
/// is left as it is.
fn localize(
    v: &mut String,
    apis: &[RestApi],
    http_apis: &[httpapi::HttpApi],
    domains: &[String],
    region: &str,
    local: &Local,
) {
    let ids = apis
        .iter()
        .map(|a| &a.id)
        .chain(http_apis.iter().map(|a| &a.id));
    for id in ids {
        let aws = format!("https://{id}.execute-api.{region}.amazonaws.com");
        if v.starts_with(&aws) {
            *v = v.replacen(&aws, &local.api_url, 1);
            return;
        }
    }
    if local.cognito_url.is_empty() {
        return;
    }
    for d in domains {
        let aws = format!("https://{d}.auth.{region}.amazoncognito.com");
        if v.starts_with(&aws) {
            *v = v.replacen(&aws, &format!("{}/{d}", local.cognito_url), 1);
            return;
        }
    }
}

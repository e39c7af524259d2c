//! All of SAM's and CloudFormation's semantics, in one place: a [`Stack`] (the template, read)
//! becomes a [`Plan`], the Cognito resources in it are provisioned through the
//! [`Provisioner`] port, and the rest resolves into an [`App`]: the functions, the APIs with
//! their routes and authorizers, the outputs, and the resources not emulated with what their
//! `Ref` and `Fn::GetAtt` resolve to. Pure: no I/O, no service types.
//!
//! # Layout
//! - this file: [`Kind`], [`plan`], [`Plan`] (identities, provisioning), [`App`].
//! - [`app`]: a provisioned plan resolved into the [`App`] (functions, APIs with their events,
//!   policies, usage plans, tables, outputs).
//! - [`graph`]: the dependency order over Ref/GetAtt/Sub/DependsOn and Globals; cycles.
//! - [`generated`]: the resources SAM generates that a template may name (`MyApi.Stage`,
//!   `MyFunctionRole`, ...).
//! - [`identity`]: what `Ref`/`GetAtt` give for each resource type, AWS-shaped.
//! - [`attributes`]: every resource type's `GetAtt` attributes and their JSON types (the
//!   CloudFormation schemas, as cfn-lint ships them).
//! - [`cognito`]: user pool resources as the Cognito API requests that create them.
//! - [`dynamodb`]: tables as the `CreateTable` requests for a DynamoDB-compatible endpoint.
//! - [`function`]: `AWS::Serverless::Function` with its Globals.
//! - [`api`]: `AWS::Serverless::Api` and functions' `Api` events -> REST APIs.
//! - [`httpapi`]: `AWS::Serverless::HttpApi` and `HttpApi` events -> HTTP APIs.
//! - [`rawapi`]: raw `AWS::ApiGateway::*` resources -> REST APIs.
//! - [`rawhttp`]: raw `AWS::ApiGatewayV2::*` resources -> HTTP APIs.
//! - [`usage`]: API keys and usage plans.
//! - [`responses`]: customised gateway responses.
//! - [`policy`]: REST API resource policies (SAM's `Auth.ResourcePolicy` written out).
//! - [`nested`]: nested stacks with local templates, read into the one stack.
//! - [`openapi`]: OpenAPI definitions (`DefinitionBody`, `Body`) read as API Gateway imports
//!   them.
//!
//! Every error is a [`TemplateError`] naming the file, the line and the resource.

pub mod api;
mod app;
pub mod attributes;
pub mod cognito;
pub mod dynamodb;
pub mod function;
mod generated;
mod graph;
pub mod httpapi;
pub mod identity;
pub mod identitypools;
mod nested;
pub mod openapi;
pub mod policy;
pub mod rawapi;
pub mod rawhttp;
pub mod responses;
pub mod roles;
pub mod services;
pub mod usage;
pub mod validation;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use template::{Physical, ResolveError, Resource};
pub use template::{Stack, TemplateError};

pub use apispec::{AuthorizerKind, HttpApi, RestApi};

pub use function::{Build, Function, Layer};

/// What a resource is to the local stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `AWS::Cognito::UserPool`: provisioned in the local user pool service.
    UserPool,
    /// `AWS::Cognito::UserPoolClient`: provisioned.
    UserPoolClient,
    /// `AWS::Cognito::UserPoolUser`: provisioned.
    UserPoolUser,
    /// `AWS::Cognito::UserPoolGroup`: provisioned.
    UserPoolGroup,
    /// `AWS::Cognito::UserPoolUserToGroupAttachment`: provisioned.
    UserToGroup,
    /// `AWS::Cognito::UserPoolDomain`: provisioned (the hosted UI's path).
    UserPoolDomain,
    /// `AWS::Cognito::UserPoolResourceServer`: provisioned.
    ResourceServer,
    /// `AWS::Serverless::Function`: run by the Lambda host.
    Function,
    /// `AWS::Serverless::Api`: served by the gateway.
    RestApi,
    /// `AWS::Serverless::HttpApi`: served by the gateway.
    HttpApi,
    /// `AWS::Serverless::LayerVersion`, `AWS::Lambda::LayerVersion`: its local content goes on
    /// the import path of the functions that name it.
    Layer,
    /// `AWS::ApiGateway::RestApi`, `Resource`, `Method`, `Authorizer`, `Stage`, `Deployment`:
    /// together, a REST API the gateway serves.
    ApiGateway(rawapi::PartKind),
    /// `AWS::Serverless::Application`, `AWS::CloudFormation::Stack`: a nested stack, served as
    /// part of this one when its template is a local file (else not emulated).
    NestedStack,
    /// `AWS::Lambda::Function`: CloudFormation's own function (what CDK writes), run like a
    /// SAM function (no `Globals`, no `Events`, nothing generated).
    LambdaFunction,
    /// Anything else: not emulated; its `Ref`/`GetAtt` resolve to AWS-shaped values.
    NotEmulated,
}

impl Kind {
    /// The kind of a resource `Type`.
    pub fn of(type_name: &str) -> Kind {
        match type_name {
            "AWS::Cognito::UserPool" => Kind::UserPool,
            "AWS::Cognito::UserPoolClient" => Kind::UserPoolClient,
            "AWS::Cognito::UserPoolUser" => Kind::UserPoolUser,
            "AWS::Cognito::UserPoolGroup" => Kind::UserPoolGroup,
            "AWS::Cognito::UserPoolUserToGroupAttachment" => Kind::UserToGroup,
            "AWS::Cognito::UserPoolDomain" => Kind::UserPoolDomain,
            "AWS::Cognito::UserPoolResourceServer" => Kind::ResourceServer,
            "AWS::Serverless::Function" => Kind::Function,
            "AWS::Lambda::Function" => Kind::LambdaFunction,
            "AWS::Serverless::Api" => Kind::RestApi,
            "AWS::Serverless::HttpApi" => Kind::HttpApi,
            "AWS::Serverless::LayerVersion" | "AWS::Lambda::LayerVersion" => Kind::Layer,
            "AWS::Serverless::Application" | "AWS::CloudFormation::Stack" => Kind::NestedStack,
            "AWS::ApiGateway::RestApi" => Kind::ApiGateway(rawapi::PartKind::RestApi),
            "AWS::ApiGateway::Resource" => Kind::ApiGateway(rawapi::PartKind::Resource),
            "AWS::ApiGateway::Method" => Kind::ApiGateway(rawapi::PartKind::Method),
            "AWS::ApiGateway::Authorizer" => Kind::ApiGateway(rawapi::PartKind::Authorizer),
            "AWS::ApiGateway::Stage" => Kind::ApiGateway(rawapi::PartKind::Stage),
            "AWS::ApiGateway::Deployment" => Kind::ApiGateway(rawapi::PartKind::Deployment),
            "AWS::ApiGatewayV2::Api" => Kind::ApiGateway(rawapi::PartKind::HttpApi),
            "AWS::ApiGatewayV2::Route" => Kind::ApiGateway(rawapi::PartKind::HttpRoute),
            "AWS::ApiGatewayV2::Integration" => Kind::ApiGateway(rawapi::PartKind::HttpIntegration),
            "AWS::ApiGatewayV2::Authorizer" => Kind::ApiGateway(rawapi::PartKind::HttpAuthorizer),
            "AWS::ApiGatewayV2::Stage" => Kind::ApiGateway(rawapi::PartKind::HttpStage),
            "AWS::ApiGatewayV2::Deployment" => Kind::ApiGateway(rawapi::PartKind::HttpDeployment),
            "AWS::ApiGateway::ApiKey" => Kind::ApiGateway(rawapi::PartKind::ApiKey),
            "AWS::ApiGateway::UsagePlan" => Kind::ApiGateway(rawapi::PartKind::UsagePlan),
            "AWS::ApiGateway::UsagePlanKey" => Kind::ApiGateway(rawapi::PartKind::UsagePlanKey),
            "AWS::ApiGateway::GatewayResponse" => {
                Kind::ApiGateway(rawapi::PartKind::GatewayResponse)
            }
            "AWS::ApiGateway::RequestValidator" => {
                Kind::ApiGateway(rawapi::PartKind::RequestValidator)
            }
            "AWS::ApiGateway::Model" => Kind::ApiGateway(rawapi::PartKind::Model),
            _ => Kind::NotEmulated,
        }
    }

    /// Whether the Cognito service creates it (its ids come from provisioning).
    pub fn is_provisioned(self) -> bool {
        matches!(
            self,
            Kind::UserPool
                | Kind::UserPoolClient
                | Kind::UserPoolUser
                | Kind::UserPoolGroup
                | Kind::UserToGroup
                | Kind::UserPoolDomain
                | Kind::ResourceServer
        )
    }
}

/// A user pool as provisioned.
#[derive(Debug, Clone)]
pub struct ProvisionedPool {
    /// Pool id (`Ref`).
    pub id: String,
    /// Its ARN.
    pub arn: String,
    /// Its issuer URL (`ProviderURL`).
    pub provider_url: String,
}

/// A user pool client as provisioned.
#[derive(Debug, Clone)]
pub struct ProvisionedClient {
    /// Client id (`Ref`).
    pub id: String,
    /// Its secret, when it has one.
    pub secret: Option<String>,
    /// Its name.
    pub name: String,
}

/// The port through which the Cognito resources of a template are created or found again
/// (same ids on every start). Each call gets the Cognito API request that creates the
/// resource (CreateUserPool, CreateUserPoolClient, AdminCreateUser shapes), fully resolved.
/// An `Err` is the service's message; the plan names the template line.
pub trait Provisioner {
    /// `AWS::Cognito::UserPool`.
    fn user_pool(&mut self, logical_id: &str, request: &Json) -> Result<ProvisionedPool, String>;
    /// `AWS::Cognito::UserPoolClient`.
    fn user_pool_client(
        &mut self,
        logical_id: &str,
        request: &Json,
    ) -> Result<ProvisionedClient, String>;
    /// `AWS::Cognito::UserPoolUser`; returns the stored username.
    fn user_pool_user(&mut self, logical_id: &str, request: &Json) -> Result<String, String>;
    /// `AWS::Cognito::UserPoolGroup` (a CreateGroup request); returns the group's name.
    fn user_pool_group(&mut self, request: &Json) -> Result<String, String>;
    /// `AWS::Cognito::UserPoolUserToGroupAttachment` (`UserPoolId`, `Username`, `GroupName`).
    fn user_to_group(&mut self, request: &Json) -> Result<(), String>;
    /// `AWS::Cognito::UserPoolDomain` (`UserPoolId`, `Domain`).
    fn user_pool_domain(&mut self, request: &Json) -> Result<(), String>;
    /// `AWS::Cognito::UserPoolResourceServer` (a CreateResourceServer request).
    fn resource_server(&mut self, request: &Json) -> Result<(), String>;
}

/// Where the local stack serves, for outputs that name AWS's endpoints.
#[derive(Debug, Clone, Default)]
pub struct Local {
    /// The API base URL, e.g. `http://127.0.0.1:3000`.
    pub api_url: String,
    /// The Cognito endpoint's base URL (the hosted UI is at `<cognito_url>/<domain>`); empty
    /// when not known.
    pub cognito_url: String,
}

/// A resource the local stack does not emulate, and what references to it resolve to.
#[derive(Debug, Clone, PartialEq)]
pub struct NotEmulated {
    /// Logical id.
    pub logical_id: String,
    /// `Type`.
    pub type_name: String,
    /// The line of the logical id.
    pub line: usize,
    /// What `Ref` gives.
    pub reference: String,
    /// What `Fn::GetAtt` gives, by attribute.
    pub attributes: BTreeMap<String, Json>,
}

/// The template planned: every resource classified, in dependency order, with the identity
/// (`Ref`, `GetAtt`) of everything that is not provisioned already known.
#[derive(Debug)]
pub struct Plan<'s> {
    stack: &'s Stack,
    /// Indices into `stack.resources`, each after what it depends on.
    order: Vec<usize>,
    /// The kind of each resource (same index as `stack.resources`).
    kinds: Vec<Kind>,
    /// What `Ref` and `GetAtt` resolve to so far.
    physical: Physical,
    /// The resources not emulated, in dependency order.
    not_emulated: Vec<NotEmulated>,
}

/// The app the template describes, resolved: what the local stack serves.
#[derive(Debug)]
pub struct App {
    /// The template file (for messages).
    pub file: PathBuf,
    /// The template's `Transform`s, in its order.
    pub transforms: Vec<String>,
    /// The ids SAM generates (`MyApiProdStage`, `ServerlessRestApi`, …) the template refers to.
    pub generated_used: Vec<String>,
    /// Functions, in dependency order.
    pub functions: Vec<Function>,
    /// REST APIs with their routes.
    pub apis: Vec<RestApi>,
    /// HTTP APIs with their routes.
    pub http_apis: Vec<httpapi::HttpApi>,
    /// Layers with local content.
    pub layers: Vec<Layer>,
    /// Outputs, as strings (AWS's API URLs turned into the local ones).
    pub outputs: BTreeMap<String, String>,
    /// Resources served by nobody here.
    pub not_emulated: Vec<NotEmulated>,
    /// DynamoDB tables (also in `not_emulated`: they are served only when the user gives a
    /// DynamoDB endpoint, by that endpoint).
    pub tables: Vec<dynamodb::Table>,
    /// What the template asks for that the local stack does not do; printed at start-up.
    pub warnings: Vec<String>,
    /// REST API keys (a key without `Value` is given one when first provisioned).
    pub api_keys: Vec<apispec::ApiKey>,
    /// Usage plans with their keys.
    pub usage_plans: Vec<apispec::UsagePlan>,
    /// IAM roles (the template's and those SAM generates for functions) with their policies.
    pub roles: Vec<roles::Role>,
    /// The template's customer managed policies.
    pub managed_policies: Vec<roles::ManagedPolicy>,
    /// Cognito identity pools with their roles.
    pub identity_pools: Vec<identitypools::IdentityPool>,
}

/// Reads the template at `path`, with its local nested stacks read into it.
pub fn load(
    path: &Path,
    overrides: &[(String, String)],
    pseudo: template::Pseudo,
    imports: BTreeMap<String, Json>,
) -> Result<Stack, TemplateError> {
    let mut stack = Stack::load(path, overrides, pseudo)?;
    stack.imports = imports;
    nested::absorb_all(&mut stack)?;
    Ok(stack)
}

/// The nested stack a logical id is in (`""` for the template itself): `A/B/Id` is in `A/B`.
pub(crate) fn scope_of(logical_id: &str) -> &str {
    logical_id.rsplit_once('/').map_or("", |(s, _)| s)
}

/// `name` inside `scope`.
pub(crate) fn scoped(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_string()
    } else {
        format!("{scope}/{name}")
    }
}

/// The `Globals` that apply in `scope`.
pub(crate) fn globals_of<'a>(stack: &'a Stack, scope: &str) -> Option<&'a template::Node> {
    if scope.is_empty() {
        stack.globals.as_ref()
    } else {
        stack.scopes.get(scope).and_then(|s| s.globals.as_ref())
    }
}

/// The folder of the template a resource is written in: its code paths are relative to it.
/// Absolute: a function's process runs in its code folder, and LAMBDA_TASK_ROOT must still
/// name that folder from there.
fn dir_of(stack: &Stack, logical_id: &str) -> PathBuf {
    let dir = stack
        .file_of(logical_id)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    std::path::absolute(&dir).unwrap_or(dir)
}

/// Plans `stack`: classifies its resources, orders them by dependency and works out what
/// references to everything but the provisioned Cognito resources resolve to.
pub fn plan(stack: &Stack) -> Result<Plan<'_>, TemplateError> {
    let kinds: Vec<Kind> = stack.resources.iter().map(|r| Kind::of(&r.kind)).collect();
    let order = graph::order(stack, &kinds)?;
    let mut plan = Plan {
        stack,
        order,
        kinds,
        physical: Physical::default(),
        not_emulated: Vec::new(),
    };
    for scope in httpapi::implicit_api_scopes(stack) {
        let name = scoped(&scope, httpapi::IMPLICIT_HTTP_API);
        let id = api::api_id(&name);
        let attrs = identity::http_api_attributes(&stack.pseudo, &id);
        plan.physical.insert(&name, id.clone(), &attrs);
        plan.insert_implicit_generated(&name, &id, true);
    }
    for scope in api::implicit_api_scopes(stack) {
        let name = scoped(&scope, api::IMPLICIT_API);
        let id = api::api_id(&name);
        plan.physical.insert(
            &name,
            id.clone(),
            &[("RootResourceId", Json::String("root".into()))],
        );
        plan.insert_implicit_generated(&name, &id, false);
    }
    // The attributes the template reads, for resources whose attributes are not all known.
    let mut read = std::collections::HashSet::new();
    for r in &stack.resources {
        template::attribute_references(&r.properties, &mut read);
    }
    for (_, _, node) in &stack.outputs {
        template::attribute_references(node, &mut read);
    }
    if let Some(g) = &stack.globals {
        template::attribute_references(g, &mut read);
    }
    for s in stack.scopes.values() {
        if let Some(g) = &s.globals {
            template::attribute_references(g, &mut read);
        }
    }
    for &i in &plan.order.clone() {
        let r = &stack.resources[i];
        match plan.kinds[i] {
            k if k.is_provisioned() => {}
            Kind::Function | Kind::LambdaFunction => {
                let name = plan.name_property(r, "FunctionName");
                let arn = identity::function_arn(&stack.pseudo, &name);
                plan.physical
                    .insert(&r.logical_id, name.clone(), &[("Arn", Json::String(arn))]);
                if plan.kinds[i] == Kind::Function {
                    let alias = plan.function_property(r, "AutoPublishAlias");
                    plan.insert_generated(r, Kind::Function, &name, None, alias.as_deref());
                }
            }
            Kind::RestApi => {
                let id = api::api_id(&r.logical_id);
                plan.physical.insert(
                    &r.logical_id,
                    id.clone(),
                    &[("RootResourceId", Json::String("root".into()))],
                );
                let stage = plan.name_property(r, "StageName");
                plan.insert_generated(r, Kind::RestApi, &id, Some(&stage), None);
            }
            Kind::HttpApi => {
                let id = api::api_id(&r.logical_id);
                let attrs = identity::http_api_attributes(&stack.pseudo, &id);
                plan.physical.insert(&r.logical_id, id.clone(), &attrs);
                let stage = r
                    .properties
                    .get("StageName")
                    .map(|_| plan.name_property(r, "StageName"))
                    .unwrap_or_else(|| "$default".into());
                plan.insert_generated(r, Kind::HttpApi, &id, Some(&stage), None);
            }
            Kind::ApiGateway(part) => {
                use rawapi::PartKind;
                let id = |kind: &str| api::stable_id(kind, &r.logical_id);
                match part {
                    PartKind::RestApi => {
                        let root = id("root");
                        plan.physical.insert(
                            &r.logical_id,
                            api::api_id(&r.logical_id),
                            &[("RootResourceId", Json::String(root))],
                        );
                    }
                    PartKind::HttpApi => {
                        let id = api::api_id(&r.logical_id);
                        let attrs = identity::http_api_attributes(&stack.pseudo, &id);
                        plan.physical.insert(&r.logical_id, id, &attrs);
                    }
                    PartKind::Stage | PartKind::HttpStage => {
                        let name = plan.name_property(r, "StageName");
                        plan.physical.insert(&r.logical_id, name, &[]);
                    }
                    PartKind::Model => {
                        let name = plan.name_property(r, "Name");
                        plan.physical.insert(&r.logical_id, name, &[]);
                    }
                    _ => {
                        plan.physical.insert(&r.logical_id, id("part"), &[]);
                    }
                }
            }
            Kind::NestedStack if stack.scopes.contains_key(&r.logical_id) => {
                // Served as part of this stack; its Ref is the nested stack's id.
                let name = identity::generated_name(&stack.pseudo, &r.logical_id);
                let id = common::id::uuid_from(
                    common::digest::sha256(&[name.as_bytes()])[..16]
                        .try_into()
                        .expect("16 bytes"),
                );
                let arn = format!(
                    "arn:aws:cloudformation:{}:{}:stack/{name}/{id}",
                    stack.pseudo.region, stack.pseudo.account_id
                );
                plan.physical.insert(&r.logical_id, arn, &[]);
            }
            Kind::Layer => {
                let name = plan.name_property(r, "LayerName");
                let arn = identity::layer_arn(&stack.pseudo, &name);
                plan.physical.insert(
                    &r.logical_id,
                    arn.clone(),
                    &[("LayerVersionArn", Json::String(arn))],
                );
            }
            _ => {
                let wanted: Vec<String> = read
                    .iter()
                    .filter(|(id, _)| id == &r.logical_id)
                    .map(|(_, a)| a.clone())
                    .collect();
                let entry = plan.not_emulated_identity(r, wanted, false)?;
                plan.not_emulated.push(entry);
                plan.insert_generated(r, plan.kinds[i], &r.logical_id, None, None);
            }
        }
    }
    Ok(plan)
}

impl<'s> Plan<'s> {
    /// Logical ids in dependency order.
    pub fn order(&self) -> impl Iterator<Item = &'s str> + '_ {
        self.order
            .iter()
            .map(|i| self.stack.resources[*i].logical_id.as_str())
    }

    /// The kind of the resource `logical_id`.
    pub fn kind(&self, logical_id: &str) -> Option<Kind> {
        self.stack
            .resources
            .iter()
            .position(|r| r.logical_id == logical_id)
            .map(|i| self.kinds[i])
    }

    fn error(&self, r: &Resource, message: String) -> TemplateError {
        TemplateError {
            file: self.stack.file_of(&r.logical_id).to_path_buf(),
            line: r.line,
            resource: Some(r.logical_id.clone()),
            message,
        }
    }

    /// Resolves `node` with what is known now; a reference to something not known yet (a
    /// pool not provisioned) resolves to `null` rather than failing.
    fn try_resolve(&self, node: &template::Node, at: &str) -> Result<Json, TemplateError> {
        match self.stack.resolve(node, &self.physical, at) {
            Ok(v) => Ok(v),
            Err(ResolveError::Unresolved { .. }) => Ok(Json::Null),
            Err(ResolveError::Invalid(e)) => Err(e),
        }
    }

    /// Resolves `node` completely: everything it refers to must be known.
    fn resolve(&self, r: &Resource, node: &template::Node) -> Result<Json, TemplateError> {
        self.stack
            .resolve(node, &self.physical, &r.logical_id)
            .map_err(|e| match e {
                ResolveError::Invalid(e) => e,
                ResolveError::Unresolved { logical_id } => self.error(
                    r,
                    format!(
                        "refers to {logical_id}, whose value is not known at this point (a reference the local stack cannot order; please report it)"
                    ),
                ),
            })
    }

    /// A name property (`FunctionName`, ...) when it resolves to a string now, else the
    /// logical id.
    fn name_property(&self, r: &Resource, key: &str) -> String {
        r.properties
            .get(key)
            .and_then(|n| self.stack.resolve(n, &self.physical, &r.logical_id).ok())
            .and_then(|v| v.as_str().map(str::to_string))
            // A nested stack's `Owner/Id` has no `/` in a name (function names cannot).
            .unwrap_or_else(|| r.logical_id.replace('/', "-"))
    }

    /// What references to `r`, which is not emulated, resolve to, from its properties as far
    /// as they resolve now; recorded in `physical`. While planning (`strict` false) a property
    /// that cannot be worked out yet (it reads a pool's id through another resource) is left
    /// out: provisioning works it out again, strictly.
    fn not_emulated_identity(
        &mut self,
        r: &Resource,
        wanted: Vec<String>,
        strict: bool,
    ) -> Result<NotEmulated, TemplateError> {
        let props = match self.try_resolve(&r.properties, &r.logical_id) {
            Ok(p) => p,
            Err(_) if !strict => Json::Null,
            Err(e) => return Err(e),
        };
        let wanted: Vec<&str> = wanted.iter().map(String::as_str).collect();
        let (reference, attributes) =
            identity::not_emulated(&self.stack.pseudo, &r.kind, &r.logical_id, &props, &wanted)
                .map_err(|m| self.error(r, m))?;
        let attrs: Vec<(&str, Json)> = attributes
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        self.physical
            .insert(&r.logical_id, reference.clone(), &attrs);
        Ok(NotEmulated {
            logical_id: r.logical_id.clone(),
            type_name: r.kind.clone(),
            line: r.line,
            reference,
            attributes,
        })
    }

    /// A function's property, from the function or else `Globals.Function`, when it resolves
    /// to a string now.
    fn function_property(&self, r: &Resource, key: &str) -> Option<String> {
        let node = r.properties.get(key).or_else(|| {
            globals_of(self.stack, scope_of(&r.logical_id))
                .and_then(|g| g.get("Function"))
                .and_then(|f| f.get(key))
        })?;
        self.stack
            .resolve(node, &self.physical, &r.logical_id)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
    }

    /// Records what references to the resources SAM generates for `r` resolve to.
    /// Records what the ids SAM generates for the implicit API `name` (with id `id`) resolve
    /// to.
    fn insert_implicit_generated(&mut self, name: &str, id: &str, http: bool) {
        let stage = if http { "$default" } else { "Prod" };
        for (g, what) in generated::implicit_api_ids(name, http) {
            let (reference, attrs) =
                generated::identity(&self.stack.pseudo, &g, what, id, Some(stage), None);
            self.physical.insert(&g, reference, &attrs);
        }
    }

    fn insert_generated(
        &mut self,
        r: &Resource,
        kind: Kind,
        name: &str,
        stage: Option<&str>,
        alias: Option<&str>,
    ) {
        for (g, what) in generated::ids(self.stack, r, kind) {
            if self.stack.resources.iter().any(|x| x.logical_id == g) {
                continue; // the template defines a resource of that name itself
            }
            let (reference, attrs) =
                generated::identity(&self.stack.pseudo, &g, what, name, stage, alias);
            self.physical.insert(&g, reference, &attrs);
        }
    }

    /// Creates or finds again the template's Cognito resources through `p`, in dependency
    /// order, recording their ids for the references that follow.
    pub fn provision(&mut self, p: &mut dyn Provisioner) -> Result<(), TemplateError> {
        for &i in &self.order.clone() {
            let r = &self.stack.resources[i];
            let kind = self.kinds[i];
            // A resource not emulated whose properties name a pool or client (an SSM parameter
            // holding a pool's ARN): resolved again now that those have their ids.
            if let Some(pos) = self
                .not_emulated
                .iter()
                .position(|n| n.logical_id == r.logical_id)
            {
                let wanted = self.not_emulated[pos].attributes.keys().cloned().collect();
                self.not_emulated[pos] = self.not_emulated_identity(r, wanted, true)?;
                continue;
            }
            if !kind.is_provisioned() {
                continue;
            }
            let props = self.resolve(r, &r.properties)?;
            let at = |e: String| self.error(r, e);
            match kind {
                Kind::UserPool => {
                    let mut request = cognito::create_user_pool(&r.logical_id, props);
                    let triggers =
                        cognito::event_triggers(self.stack, &self.physical, &r.logical_id)
                            .map_err(|m| self.error(r, m))?;
                    if !triggers.is_empty() {
                        if !request["LambdaConfig"].is_object() {
                            request["LambdaConfig"] = Json::Object(serde_json::Map::new());
                        }
                        for (t, arn) in triggers {
                            request["LambdaConfig"][t] = arn;
                        }
                    }
                    let pool = p.user_pool(&r.logical_id, &request).map_err(at)?;
                    let attrs = cognito::pool_attributes(&self.stack.pseudo, &pool);
                    self.physical.insert(&r.logical_id, pool.id, &attrs);
                }
                Kind::UserPoolClient => {
                    let request = cognito::create_user_pool_client(&r.logical_id, props);
                    let client = p.user_pool_client(&r.logical_id, &request).map_err(at)?;
                    let attrs = cognito::client_attributes(&client);
                    self.physical.insert(&r.logical_id, client.id, &attrs);
                }
                Kind::UserPoolUser => {
                    let request = cognito::admin_create_user(props);
                    let username = p.user_pool_user(&r.logical_id, &request).map_err(at)?;
                    self.physical.insert(&r.logical_id, username, &[]);
                }
                Kind::UserPoolGroup => {
                    let mut request = props;
                    if request["GroupName"].as_str().is_none() {
                        request["GroupName"] = Json::String(identity::generated_name(
                            &self.stack.pseudo,
                            &r.logical_id,
                        ));
                    }
                    let name = p.user_pool_group(&request).map_err(at)?;
                    self.physical.insert(&r.logical_id, name, &[]);
                }
                Kind::UserPoolDomain => {
                    p.user_pool_domain(&props).map_err(at)?;
                    let domain = props["Domain"].as_str().unwrap_or_default().to_string();
                    let cf = Json::String(format!(
                        "{domain}.auth.{}.amazoncognito.com",
                        self.stack.pseudo.region
                    ));
                    self.physical
                        .insert(&r.logical_id, domain, &[("CloudFrontDistribution", cf)]);
                }
                Kind::ResourceServer => {
                    p.resource_server(&props).map_err(at)?;
                    let id = props["Identifier"].as_str().unwrap_or_default().to_string();
                    self.physical.insert(&r.logical_id, id, &[]);
                }
                Kind::UserToGroup => {
                    p.user_to_group(&props).map_err(at)?;
                    let id = identity::generated_name(&self.stack.pseudo, &r.logical_id);
                    self.physical.insert(&r.logical_id, id, &[]);
                }
                _ => unreachable!("only provisioned kinds get here"),
            }
        }
        Ok(())
    }

    /// A resource's properties merged over the `Globals` section its kind takes, resolved.
    fn with_globals(&self, r: &Resource, kind: Kind) -> Result<Json, TemplateError> {
        let globals = match graph::globals_key(kind)
            .and_then(|k| globals_of(self.stack, scope_of(&r.logical_id)).and_then(|g| g.get(k)))
        {
            Some(node) => self.resolve(r, node)?,
            None => Json::Null,
        };
        let mut merged = globals;
        merge(&mut merged, self.resolve(r, &r.properties)?);
        Ok(merged)
    }

    /// What `Ref`/`GetAtt` resolve to so far.
    pub fn physical(&self) -> &Physical {
        &self.physical
    }
}

/// SAM's Globals merge: maps merge key by key, lists are additive (the Globals' entries
/// first), and the resource's own scalars win.
pub fn merge(base: &mut Json, over: Json) {
    match (base, over) {
        (Json::Object(b), Json::Object(o)) => {
            for (k, v) in o {
                merge(b.entry(k).or_insert(Json::Null), v);
            }
        }
        (Json::Array(b), Json::Array(o)) => b.extend(o),
        (b, o) => *b = o,
    }
}

#[cfg(test)]
mod tests;

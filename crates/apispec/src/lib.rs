//! The API model, defined once: what an API Gateway API is to gatehouse. The `sam` crate reads
//! it from a template (SAM, OpenAPI bodies, raw `AWS::ApiGateway*` resources), the `gateway`
//! crate serves it, and nothing copies it field by field. Plain data.
//!
//! # Layout
//! - [`RestApi`] and [`HttpApi`]: one API each, with its stage, authorizers and routes.
//! - [`Route`]: one method on one path (REST) or one route key (HTTP), with its
//!   [`Authorization`], API key requirement and [`Integration`].
//! - [`Authorizer`]: Cognito, JWT or Lambda ([`AuthorizerKind`]); [`IdentitySource`].
//! - [`RestCors`] (SAM's `Cors`), [`HttpCors`] (`CorsConfiguration`).
//! - [`GatewayResponse`]: a REST API's customised gateway responses.
//! - [`ApiKey`], [`UsagePlan`]: REST API keys and the plans that admit them.
//! - [`InvokeError`]: why an invocation gave no payload (the integration port's error, shared by
//!   the gateway and the Lambda host).

use std::collections::BTreeMap;
use std::time::Duration;

/// Where an authorizer reads the caller's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentitySource {
    /// A request header (names are case-insensitive).
    Header(String),
    /// A query string parameter (case-sensitive).
    Query(String),
    /// A stage variable.
    StageVariable(String),
    /// A context variable (`$context.routeKey`, `context.identity.sourceIp`): a dotted path
    /// into the event's `requestContext`, `routeKey` and friends at its top.
    Context(String),
}

impl IdentitySource {
    /// REST's `method.request.header.X`, `method.request.querystring.x`, `stageVariables.x`,
    /// `context.x`, or an HTTP API's `$request.header.X`, `$request.querystring.x`,
    /// `$stageVariables.x`, `$context.x`.
    pub fn parse(source: &str) -> Option<IdentitySource> {
        let s = source.trim();
        let s = s.strip_prefix("method.").unwrap_or(s);
        let s = s.strip_prefix('$').unwrap_or(s);
        let named = |prefix: &str| {
            s.strip_prefix(prefix)
                .filter(|n| !n.is_empty())
                .map(str::to_string)
        };
        if let Some(n) = named("request.header.") {
            Some(IdentitySource::Header(n))
        } else if let Some(n) = named("request.querystring.") {
            Some(IdentitySource::Query(n))
        } else if let Some(n) = named("stageVariables.") {
            Some(IdentitySource::StageVariable(n))
        } else {
            named("context.").map(IdentitySource::Context)
        }
    }
}

/// A Lambda authorizer (REST TOKEN or REQUEST; HTTP API payload 1.0 or 2.0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaAuthorizer {
    /// The authorizer function.
    pub function: String,
    /// A REST TOKEN authorizer (the event is `{type, authorizationToken, methodArn}`);
    /// otherwise a REQUEST one.
    pub token: bool,
    /// Where the identity comes from; every one must be present (a TOKEN authorizer has its
    /// header here).
    pub identity: Vec<IdentitySource>,
    /// `identityValidationExpression` (TOKEN): the token must match it whole.
    pub validation: Option<String>,
    /// Seconds a decision is reused for the same identity (0: not cached).
    pub ttl_secs: u64,
    /// HTTP APIs: the authorizer's payload format, `1.0` or `2.0` (REST: `1.0`).
    pub payload_version: String,
    /// HTTP APIs, 2.0: `{"isAuthorized", "context"}` answers instead of an IAM policy.
    pub simple_responses: bool,
}

/// What kind of authorizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizerKind {
    /// A REST API's Cognito user pool authorizer.
    Cognito {
        /// The pools whose tokens pass (from `UserPoolArn` / `providerARNs`).
        pool_ids: Vec<String>,
        /// The header the token is read from (`Identity.Header`, default `Authorization`).
        header: String,
        /// `identityValidationExpression`: the ID token's `aud` must match it whole, else
        /// 401 (botocore's model of `Authorizer`: "API Gateway will match the aud field of
        /// the incoming token … against the specified regular expression"). A token with no
        /// `aud` (an access token) does not match.
        validation: Option<String>,
    },
    /// An HTTP API's JWT authorizer.
    Jwt {
        /// The issuer tokens must carry, exactly.
        issuer: String,
        /// Accepted audiences (`aud`, or `client_id` when there is no `aud`).
        audience: Vec<String>,
        /// Where the token is read (`$request.header.Authorization` by default).
        source: IdentitySource,
    },
    /// A Lambda authorizer.
    Lambda(LambdaAuthorizer),
}

impl AuthorizerKind {
    /// CloudFormation's `AuthorizationType` for a method this authorizer guards.
    pub fn authorization_type(&self) -> &'static str {
        match self {
            AuthorizerKind::Cognito { .. } => "COGNITO_USER_POOLS",
            AuthorizerKind::Jwt { .. } => "JWT",
            AuthorizerKind::Lambda(_) => "CUSTOM",
        }
    }

    /// The header a user pool's token goes in, for an authorizer that takes one (Cognito, or
    /// JWT reading a header); `None` for a Lambda authorizer, whose token is its own.
    pub fn token_header(&self) -> Option<String> {
        match self {
            AuthorizerKind::Cognito { header, .. } => Some(header.clone()),
            AuthorizerKind::Jwt {
                source: IdentitySource::Header(h),
                ..
            } => Some(h.clone()),
            _ => None,
        }
    }
}

/// An API's authorizer, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorizer {
    /// Its name (under `Auth.Authorizers`, the security scheme, or the resource's `Name`).
    pub name: String,
    /// Cognito, JWT or Lambda.
    pub kind: AuthorizerKind,
    /// HTTP APIs: `AuthorizationScopes` on the authorizer, the scopes of routes that give none.
    pub scopes: Vec<String>,
}

/// How a route is protected before its integration runs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Authorization {
    /// Open.
    #[default]
    None,
    /// The named authorizer of the API.
    Authorizer(String),
    /// `AWS_IAM`: a SigV4-signed request whose principal may `execute-api:Invoke` it.
    Iam,
    /// A construct the template names that the local gateway does not serve: the route
    /// refuses every request (500, as AWS answers a misconfigured authorizer), never opens.
    Refused(String),
}

impl Authorization {
    /// The authorizer's name, when the route has one.
    pub fn authorizer(&self) -> Option<&str> {
        match self {
            Authorization::Authorizer(name) => Some(name),
            _ => None,
        }
    }
}

/// `Cors` of an `AWS::Serverless::Api`, with SAM's quoted values unquoted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RestCors {
    /// `AllowOrigin`.
    pub allow_origin: String,
    /// `AllowHeaders`.
    pub allow_headers: Option<String>,
    /// `AllowMethods`; absent: the path's methods plus OPTIONS.
    pub allow_methods: Option<String>,
    /// `MaxAge`.
    pub max_age: Option<String>,
    /// `AllowCredentials`.
    pub allow_credentials: bool,
}

/// An HTTP API's CORS settings (`CorsConfiguration`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpCors {
    /// Allowed origins (`*` for any).
    pub allow_origins: Vec<String>,
    /// Allowed methods (`*` for any).
    pub allow_methods: Vec<String>,
    /// Allowed headers (`*` for any).
    pub allow_headers: Vec<String>,
    /// Headers exposed to the page.
    pub expose_headers: Vec<String>,
    /// Preflight cache, seconds.
    pub max_age: Option<u64>,
    /// `Access-Control-Allow-Credentials: true`.
    pub allow_credentials: bool,
}

/// A `mock` integration's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mock {
    /// Status code.
    pub status: u16,
    /// Headers (values unquoted).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: String,
}

/// What a route does with a request once it is authorized.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Integration {
    /// Lambda proxy integration: the request goes to [`Route::function`].
    #[default]
    Proxy,
    /// A fixed answer (a `mock` integration, as CORS preflights are written in OpenAPI).
    Mock(Mock),
    /// Something the local gateway does not do: it answers 500 (after authorizing) and logs
    /// this.
    Unsupported(String),
}

/// One method on one resource path (REST), or one route (HTTP: `METHOD /path`, `ANY /path`,
/// or `$default` with an empty method).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The resource path template (`/items/{id}`, `/{proxy+}`), or `$default`.
    pub path: String,
    /// Upper-case method, `ANY`, or empty for `$default`.
    pub method: String,
    /// The function's name (as the Lambda host knows it), for a proxy integration.
    pub function: String,
    /// What the route does.
    pub integration: Integration,
    /// The event's payload format: `1.0` (every REST route) or `2.0`.
    pub payload_version: String,
    /// How the route is protected.
    pub authorization: Authorization,
    /// `AuthorizationScopes`: the token must hold one of them (Cognito: an access token).
    pub scopes: Vec<String>,
    /// REST: `ApiKeyRequired`: the request needs a key of a usage plan of this stage.
    pub api_key_required: bool,
    /// Added by a function's event (not only by an OpenAPI definition): how the SAM reader
    /// tells an event naming an operation again from a second definition of it.
    pub from_event: bool,
    /// REST: the request validation of the method, when a validator applies to it.
    pub validation: Option<Validation>,
}

/// Where a request parameter is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ParamIn {
    /// `method.request.header.<name>` (OpenAPI `in: header`).
    Header,
    /// `method.request.path.<name>` (`in: path`).
    Path,
    /// `method.request.querystring.<name>` (`in: query`).
    QueryString,
}

/// A REST method's request validation: its validator (`AWS::ApiGateway::RequestValidator`,
/// `x-amazon-apigateway-request-validator(s)`, SAM's `RequestModel.Validate*`), the
/// parameters it requires and the body models by content type.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Validation {
    /// `validateRequestParameters`: the required parameters must be there, and not blank.
    pub parameters: bool,
    /// `validateRequestBody`: the body must match the model of its content type.
    pub body: bool,
    /// The required parameters, in the order API Gateway names them when missing (headers,
    /// then path, then query string; each in the order declared).
    pub required: Vec<(ParamIn, String)>,
    /// Content type (`application/json`, `$default`) -> the model: a JSON Schema draft 4
    /// document whose `$ref`s to other models point into its own `definitions`.
    pub models: Vec<(String, serde_json::Value)>,
}

impl Route {
    /// A route to `function` with a Lambda proxy integration, open, payload `version`.
    pub fn proxy(method: &str, path: &str, function: &str, version: &str) -> Route {
        Route {
            path: path.into(),
            method: method.into(),
            function: function.into(),
            integration: Integration::Proxy,
            payload_version: version.into(),
            authorization: Authorization::None,
            scopes: Vec::new(),
            api_key_required: false,
            from_event: false,
            validation: None,
        }
    }

    /// `GET /items/{id}`, `ANY /{proxy+}`, `$default`.
    pub fn key(&self) -> String {
        if self.path == "$default" {
            "$default".into()
        } else {
            format!("{} {}", self.method, self.path)
        }
    }
}

/// Where a REST API reads the API key of a request (`ApiKeySourceType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApiKeySource {
    /// The `x-api-key` header.
    #[default]
    Header,
    /// The Lambda authorizer's `usageIdentifierKey`.
    Authorizer,
}

/// A customised gateway response (`x-amazon-apigateway-gateway-responses`,
/// `AWS::ApiGateway::GatewayResponse`, SAM `GatewayResponses`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GatewayResponse {
    /// The status it answers with; `None`: the type's own.
    pub status: Option<u16>,
    /// Headers, by name: `'static'` values or `method.request.header|querystring|path.X`.
    pub headers: Vec<(String, String)>,
    /// Body templates by content type (`$context.error.messageString` and friends).
    pub templates: BTreeMap<String, String>,
}

/// One REST API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestApi {
    /// Logical id (`ServerlessRestApi` for the implicit one).
    pub logical_id: String,
    /// The API id (10 lower-case alphanumerics), stable for a logical id.
    pub id: String,
    /// The stage name.
    pub stage: String,
    /// CORS preflight settings.
    pub cors: Option<RestCors>,
    /// Authorizers by name.
    pub authorizers: BTreeMap<String, Authorizer>,
    /// `Auth.DefaultAuthorizer`: routes without their own `Auth.Authorizer` get it.
    pub default_authorizer: Option<Authorization>,
    /// How OPTIONS preflights are protected (the default authorizer, unless
    /// `AddDefaultAuthorizerToCorsPreflight` is false).
    pub preflight: Authorization,
    /// Where the API key is read.
    pub api_key_source: ApiKeySource,
    /// SAM's `Auth.ApiKeyRequired`: the requirement of methods that do not say.
    pub api_key_required: bool,
    /// Whether OPTIONS preflights need an API key too (SAM's `Auth.ApiKeyRequired` with
    /// `AddApiKeyRequiredToCorsPreflight`, which defaults to true).
    pub preflight_api_key: bool,
    /// Customised gateway responses by type (`DEFAULT_4XX`, `UNAUTHORIZED`, ...).
    pub gateway_responses: BTreeMap<String, GatewayResponse>,
    /// The API's resource policy (`Policy`, `x-amazon-apigateway-policy`, SAM's
    /// `Auth.ResourcePolicy`), as written: its resources may use the `execute-api:/<stage>/…`
    /// shorthand for the API's own ARN.
    pub resource_policy: Option<serde_json::Value>,
    /// SAM's `Models` of the API (name -> JSON schema), as written; `Null` when it has none.
    pub models: serde_json::Value,
    /// Routes.
    pub routes: Vec<Route>,
}

impl RestApi {
    /// An API with no routes yet.
    pub fn new(logical_id: &str, id: &str, stage: &str) -> RestApi {
        RestApi {
            logical_id: logical_id.into(),
            id: id.into(),
            stage: stage.into(),
            cors: None,
            authorizers: BTreeMap::new(),
            default_authorizer: None,
            preflight: Authorization::None,
            api_key_source: ApiKeySource::Header,
            api_key_required: false,
            preflight_api_key: false,
            gateway_responses: BTreeMap::new(),
            resource_policy: None,
            models: serde_json::Value::Null,
            routes: Vec::new(),
        }
    }

    /// The authorizer named `name`.
    pub fn authorizer(&self, name: &str) -> Option<&Authorizer> {
        self.authorizers.get(name)
    }
}

/// One HTTP API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpApi {
    /// Logical id.
    pub logical_id: String,
    /// The API id.
    pub id: String,
    /// The stage; `$default` is served at the root.
    pub stage: String,
    /// CORS, answered by the gateway.
    pub cors: Option<HttpCors>,
    /// Authorizers by name.
    pub authorizers: BTreeMap<String, Authorizer>,
    /// `Auth.DefaultAuthorizer`.
    pub default_authorizer: Option<Authorization>,
    /// Routes.
    pub routes: Vec<Route>,
}

impl HttpApi {
    /// An API with no routes yet.
    pub fn new(logical_id: &str, id: &str, stage: &str) -> HttpApi {
        HttpApi {
            logical_id: logical_id.into(),
            id: id.into(),
            stage: stage.into(),
            cors: None,
            authorizers: BTreeMap::new(),
            default_authorizer: None,
            routes: Vec::new(),
        }
    }
}

/// A REST API key (`AWS::ApiGateway::ApiKey`, or one SAM's `Auth.UsagePlan` generates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Logical id.
    pub logical_id: String,
    /// Its id (what `Ref` gives).
    pub id: String,
    /// `Name`.
    pub name: String,
    /// `Value`; `None`: generated when the key is first provisioned, then kept.
    pub value: Option<String>,
    /// `Enabled` (CloudFormation's default is false).
    pub enabled: bool,
}

/// `Throttle` of a usage plan: a token bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throttle {
    /// `BurstLimit`: the bucket's size.
    pub burst: u64,
    /// `RateLimit`: tokens added per second.
    pub rate: f64,
}

/// The period of a usage plan's quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// `DAY`.
    Day,
    /// `WEEK`.
    Week,
    /// `MONTH`.
    Month,
}

/// `Quota` of a usage plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// `Limit`: requests a key may make in a period.
    pub limit: u64,
    /// `Period`.
    pub period: Period,
}

/// A usage plan: the API stages whose keyed methods it admits, its keys, limits.
#[derive(Debug, Clone, PartialEq)]
pub struct UsagePlan {
    /// Logical id.
    pub logical_id: String,
    /// Its id.
    pub id: String,
    /// `ApiStages`: (API id, stage).
    pub stages: Vec<(String, String)>,
    /// The ids of its keys (`UsagePlanKey`).
    pub keys: Vec<String>,
    /// `Throttle`.
    pub throttle: Option<Throttle>,
    /// `Quota`.
    pub quota: Option<Quota>,
}

/// `/a/b/` -> `/a/b`; `` -> `/`.
pub fn normalize(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".into()
    } else if trimmed.starts_with('/') {
        trimmed.into()
    } else {
        format!("/{trimmed}")
    }
}

/// Why an invocation produced no payload: the integration port's error, as the Lambda host
/// reports it and the gateway maps it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvokeError {
    /// No function by that name.
    #[error("no function named {0}")]
    UnknownFunction(String),
    /// The function answered with an error (`/invocation/{id}/error`).
    #[error("the function failed: {error_type}: {message}")]
    Function {
        /// `errorType`.
        error_type: String,
        /// `errorMessage`.
        message: String,
        /// What the runtime posted, when it was JSON (with `stackTrace`, `requestId`...):
        /// Lambda's Invoke API answers with it as it is.
        payload: Option<Vec<u8>>,
    },
    /// The process exited, failed to start, or reported an init error.
    #[error("the function's process failed: {0}")]
    Crashed(String),
    /// No answer within the function's Timeout; the instance was stopped.
    #[error("the function timed out after {0:?}")]
    Timeout(Duration),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_sources_parse_in_rest_and_http_spellings() {
        assert_eq!(
            IdentitySource::parse("method.request.header.Auth"),
            Some(IdentitySource::Header("Auth".into()))
        );
        assert_eq!(
            IdentitySource::parse("$request.querystring.t"),
            Some(IdentitySource::Query("t".into()))
        );
        assert_eq!(
            IdentitySource::parse("$context.routeKey"),
            Some(IdentitySource::Context("routeKey".into()))
        );
        assert_eq!(IdentitySource::parse("method.request.header."), None);
    }

    #[test]
    fn paths_are_normalized_as_api_gateway_imports_them() {
        assert_eq!(normalize(""), "/");
        assert_eq!(normalize("a/b/"), "/a/b");
        assert_eq!(normalize("/x"), "/x");
    }
}

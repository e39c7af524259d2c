//! The APIs the gateway serves (REST and HTTP): stages, routes, authorizers, CORS. Plain data:
//! the `sam` crate reads them from a template and the CLI hands them over.

use std::collections::BTreeMap;

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

/// What kind of REST authorizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizerKind {
    /// A Cognito user pool authorizer: pool ids taken from `UserPoolArn`.
    Cognito {
        /// The pools whose tokens pass.
        pool_ids: Vec<String>,
    },
    /// A Lambda authorizer.
    Lambda(LambdaAuthorizer),
}

/// A REST API's authorizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorizer {
    /// Its name under `Auth.Authorizers`.
    pub name: String,
    /// Cognito or Lambda.
    pub kind: AuthorizerKind,
    /// `Identity.Header`, default `Authorization` (Cognito and TOKEN authorizers).
    pub header: String,
}

/// `Cors`, with SAM's quoted values unquoted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cors {
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

/// What a method does with a request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Integration {
    /// Lambda proxy integration: the request goes to `Route::function`.
    #[default]
    Proxy,
    /// A fixed answer (a `mock` integration): status, headers, body.
    Mock(u16, Vec<(String, String)>, String),
    /// Something the local gateway does not do: it answers 500 and logs this.
    Unsupported(String),
}

/// One method on one resource path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The resource path template, e.g. `/items/{id}` or `/{proxy+}`.
    pub path: String,
    /// Upper-case method, or `ANY`.
    pub method: String,
    /// The function's name (for a proxy integration).
    pub function: String,
    /// What the method does.
    pub integration: Integration,
    /// The authorizer's name, if the route has one.
    pub authorizer: Option<String>,
    /// `AuthorizationScopes`: a Cognito authorizer then wants an access token with one.
    pub scopes: Vec<String>,
}

/// One REST API.
#[derive(Debug, Clone)]
pub struct ApiSpec {
    /// Logical id (`ServerlessRestApi` for the implicit one).
    pub logical_id: String,
    /// The API id.
    pub id: String,
    /// The stage name.
    pub stage: String,
    /// CORS preflight settings.
    pub cors: Option<Cors>,
    /// Authorizers by name.
    pub authorizers: BTreeMap<String, Authorizer>,
    /// The authorizer OPTIONS preflights get (the default one, unless
    /// AddDefaultAuthorizerToCorsPreflight is false).
    pub authorize_preflight: Option<String>,
    /// Routes.
    pub routes: Vec<Route>,
}

impl ApiSpec {
    /// The authorizer named `name`.
    pub fn authorizer(&self, name: &str) -> Option<&Authorizer> {
        self.authorizers.get(name)
    }
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

/// An HTTP API's authorizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpAuthorizerKind {
    /// A JWT authorizer.
    Jwt {
        /// The issuer tokens must carry, exactly.
        issuer: String,
        /// Accepted audiences (`aud`, or `client_id` when there is no `aud`).
        audience: Vec<String>,
    },
    /// A Lambda authorizer.
    Lambda(LambdaAuthorizer),
}

/// An HTTP API's authorizer, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAuthorizer {
    /// Its name.
    pub name: String,
    /// JWT or Lambda.
    pub kind: HttpAuthorizerKind,
    /// Where a JWT authorizer reads the token (`$request.header.Authorization` by default);
    /// a Lambda authorizer has its sources in [`LambdaAuthorizer::identity`].
    pub identity_source: Option<IdentitySource>,
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

/// An HTTP API route: `METHOD /path`, `ANY /path`, or `$default` (empty method).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRoute {
    /// Upper-case method, `ANY`, or empty for `$default`.
    pub method: String,
    /// The path template, or `$default`.
    pub path: String,
    /// The function (Lambda proxy integration).
    pub function: String,
    /// What the route does.
    pub integration: Integration,
    /// The event's payload format: `1.0` or `2.0`.
    pub payload_version: String,
    /// The authorizer, if any.
    pub authorizer: Option<String>,
    /// Scopes the token must hold one of.
    pub scopes: Vec<String>,
}

impl HttpRoute {
    /// `GET /items/{id}`, `ANY /{proxy+}`, `$default`.
    pub fn key(&self) -> String {
        if self.path == "$default" {
            "$default".into()
        } else {
            format!("{} {}", self.method, self.path)
        }
    }
}

/// One HTTP API.
#[derive(Debug, Clone)]
pub struct HttpApiSpec {
    /// Logical id.
    pub logical_id: String,
    /// The API id.
    pub id: String,
    /// The stage; `$default` is served at the root.
    pub stage: String,
    /// CORS, answered by the gateway.
    pub cors: Option<HttpCors>,
    /// Authorizers by name.
    pub authorizers: BTreeMap<String, HttpAuthorizer>,
    /// Routes.
    pub routes: Vec<HttpRoute>,
}

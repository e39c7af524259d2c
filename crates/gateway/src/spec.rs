//! The REST APIs the gateway serves: stages, routes, Cognito authorizers, CORS. Plain data:
//! the `sam` crate reads them from a template and the CLI hands them over.

use std::collections::BTreeMap;

/// A Cognito user pool authorizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorizer {
    /// Its name under `Auth.Authorizers`.
    pub name: String,
    /// Pool ids taken from `UserPoolArn` (one ARN or a list).
    pub pool_ids: Vec<String>,
    /// `Identity.Header`, default `Authorization`.
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

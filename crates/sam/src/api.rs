//! REST APIs: `AWS::Serverless::Api` (its Globals merged in) and the `Api` events of
//! functions, following SAM's rules: an event without `RestApiId` goes to the implicit
//! `ServerlessRestApi` on stage `Prod`; `Auth.Authorizer: NONE` opts a route out of the API's
//! `DefaultAuthorizer`; CORS values are quoted string expressions (`"'*'"`).

use std::collections::BTreeMap;

use common::digest::sha256;
use common::id::LOWER_ALNUM;
use serde_json::Value as Json;
use template::Stack;

use crate::function::Function;
use crate::{Plan, cognito};

/// The logical id of the API that events without `RestApiId` go to.
pub const IMPLICIT_API: &str = "ServerlessRestApi";

pub use apispec::{
    Authorization, Authorizer, AuthorizerKind, Integration, LambdaAuthorizer, Mock, RestApi,
    RestCors as Cors, Route, normalize,
};

/// The API id for a logical id: the same on every start.
pub fn api_id(logical_id: &str) -> String {
    common::id::stable_id(&sha256(&[logical_id.as_bytes()]), LOWER_ALNUM, 10)
}

/// An id for a part of an API (a resource, an authorizer), stable for its logical id.
pub fn stable_id(kind: &str, logical_id: &str) -> String {
    common::id::stable_id(
        &sha256(&[kind.as_bytes(), b"/", logical_id.as_bytes()]),
        LOWER_ALNUM,
        10,
    )
}

fn unquote(s: &str) -> String {
    s.strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .unwrap_or(s)
        .to_string()
}

/// SAM's Lambda authorizer (`FunctionArn`, `FunctionPayloadType`, `Identity`) as API Gateway
/// configures it.
fn lambda_authorizer(name: &str, arn: &str, a: &Json) -> Result<AuthorizerKind, String> {
    let function = crate::openapi::function_of_arn(arn).ok_or_else(|| {
        format!("Authorizers.{name}.FunctionArn {arn:?} names no Lambda function")
    })?;
    let payload_type = a["FunctionPayloadType"]
        .as_str()
        .unwrap_or("TOKEN")
        .to_string();
    let identity = &a["Identity"];
    let ttl_secs = identity["ReauthorizeEvery"].as_u64();
    let identity_source = match payload_type.as_str() {
        "TOKEN" => vec![format!(
            "method.request.header.{}",
            identity["Header"].as_str().unwrap_or("Authorization")
        )],
        "REQUEST" => {
            let mut out = Vec::new();
            for (key, prefix) in [
                ("Headers", "method.request.header."),
                ("QueryStrings", "method.request.querystring."),
                ("StageVariables", "stageVariables."),
                ("Context", "context."),
            ] {
                for v in identity[key]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Json::as_str)
                {
                    out.push(format!("{prefix}{v}"));
                }
            }
            if out.is_empty() && ttl_secs != Some(0) {
                return Err(format!(
                    "{name} Authorizer must specify Identity with at least one of Headers, QueryStrings, StageVariables, or Context."
                ));
            }
            out
        }
        other => {
            return Err(format!(
                "{name} Authorizer has invalid 'FunctionPayloadType': {other}."
            ));
        }
    };
    Ok(AuthorizerKind::Lambda(LambdaAuthorizer {
        function,
        token: payload_type == "TOKEN",
        identity: crate::openapi::identity_sources(&identity_source, &mut Vec::new()),
        validation: identity["ValidationExpression"]
            .as_str()
            .filter(|_| payload_type == "TOKEN")
            .map(str::to_string),
        // API Gateway's default when none is set.
        ttl_secs: ttl_secs.unwrap_or(300),
        payload_version: "1.0".into(),
        simple_responses: false,
    }))
}

/// The stacks (`""`, or a nested stack's owner) with a function whose `Api` event has no
/// `RestApiId`: each such stack has its implicit API.
pub fn implicit_api_scopes(stack: &Stack) -> std::collections::BTreeSet<String> {
    stack
        .resources
        .iter()
        .filter(|r| r.kind == "AWS::Serverless::Function")
        .filter(|r| {
            r.properties
                .get("Events")
                .and_then(template::Node::entries)
                .is_some_and(|events| {
                    events.iter().any(|(_, ev)| {
                        ev.get("Type").and_then(template::Node::as_str) == Some("Api")
                            && ev
                                .get("Properties")
                                .and_then(|p| p.get("RestApiId"))
                                .is_none()
                    })
                })
        })
        .map(|r| crate::scope_of(&r.logical_id).to_string())
        .collect()
}

/// An API read from its SAM resource, and the functions' events added to it.
pub trait FromSam: Sized {
    /// An API from its SAM resource's properties (Globals merged, resolved); what the local
    /// gateway leaves out adds a line to `warnings`.
    fn from_sam(
        logical_id: &str,
        id: String,
        props: &Json,
        warnings: &mut Vec<String>,
    ) -> Result<Self, String>;

    /// Adds a function's event (its resolved `Properties`).
    fn add_event(&mut self, function: &str, event: &Json) -> Result<(), String>;
}

impl FromSam for RestApi {
    fn from_sam(
        logical_id: &str,
        id: String,
        props: &Json,
        warnings: &mut Vec<String>,
    ) -> Result<RestApi, String> {
        let stage = props["StageName"]
            .as_str()
            .ok_or("StageName is required")?
            .to_string();
        let cors = cors(&props["Cors"])?;
        let auth = &props["Auth"];
        let mut authorizers = BTreeMap::new();
        if let Some(map) = auth["Authorizers"].as_object() {
            for (name, a) in map {
                let header = a["Identity"]["Header"]
                    .as_str()
                    .unwrap_or("Authorization")
                    .to_string();
                // SAM writes `Identity.ValidationExpression` as the Cognito authorizer's
                // `identityValidationExpression` too (model/apigateway.py).
                let validation = a["Identity"]["ValidationExpression"]
                    .as_str()
                    .map(str::to_string);
                let kind = match (&a["UserPoolArn"], &a["FunctionArn"]) {
                    (Json::String(s), _) => AuthorizerKind::Cognito {
                        pool_ids: cognito::pool_id_of_arn(s).into_iter().collect(),
                        header,
                        validation,
                    },
                    (Json::Array(list), _) => AuthorizerKind::Cognito {
                        pool_ids: list
                            .iter()
                            .filter_map(Json::as_str)
                            .filter_map(cognito::pool_id_of_arn)
                            .collect(),
                        header,
                        validation,
                    },
                    (Json::Null, Json::String(arn)) => lambda_authorizer(name, arn, a)?,
                    (Json::Null, _) => {
                        return Err(format!(
                            "Authorizers.{name} needs a UserPoolArn (Cognito) or a FunctionArn (Lambda)"
                        ));
                    }
                    _ => {
                        return Err(format!(
                            "Authorizers.{name}.UserPoolArn must be an ARN or a list"
                        ));
                    }
                };
                authorizers.insert(
                    name.clone(),
                    Authorizer {
                        name: name.clone(),
                        kind,
                        scopes: crate::openapi::strings(&a["AuthorizationScopes"]),
                    },
                );
            }
        }
        let default = match auth["DefaultAuthorizer"].as_str() {
            None => None,
            Some("AWS_IAM") => Some(Authorization::Iam),
            Some(d) if authorizers.contains_key(d) => Some(Authorization::Authorizer(d.into())),
            Some(d) => {
                return Err(format!(
                    "DefaultAuthorizer {d} is not one of Auth.Authorizers"
                ));
            }
        };
        let preflight = auth["AddDefaultAuthorizerToCorsPreflight"]
            .as_bool()
            .unwrap_or(true);
        let mut api = RestApi::new(logical_id, &id, &stage);
        api.cors = cors;
        api.authorizers = authorizers;
        api.preflight = default.clone().filter(|_| preflight).unwrap_or_default();
        api.default_authorizer = default;
        api.api_key_required = auth["ApiKeyRequired"] == Json::Bool(true);
        // SAM puts the key requirement on the OPTIONS methods it adds for Cors too, unless told
        // not to (swagger.py `set_path_default_apikey_required`): a browser's preflight carries
        // no key, so on AWS it is refused.
        api.preflight_api_key =
            api.api_key_required && auth["AddApiKeyRequiredToCorsPreflight"] != Json::Bool(false);
        api.api_key_source = key_source(
            props["ApiKeySourceType"]
                .as_str()
                .or(props["DefinitionBody"]["x-amazon-apigateway-api-key-source"].as_str()),
        );
        api.gateway_responses = crate::responses::from_openapi(&props["DefinitionBody"]);
        api.gateway_responses
            .extend(crate::responses::from_sam(&props["GatewayResponses"]));
        api.models = props["Models"].clone();
        if props["DefinitionBody"].is_object() {
            crate::openapi::import(&mut api, &props["DefinitionBody"], warnings)?;
        } else if props["DefinitionUri"].is_string() || props["DefinitionUri"].is_object() {
            warnings.push(format!(
                "{logical_id}: DefinitionUri is not read locally (use DefinitionBody with AWS::Include of the file): only its functions' Api events are served"
            ));
        }
        Ok(api)
    }

    fn add_event(&mut self, function: &str, event: &Json) -> Result<(), String> {
        let path = event["Path"].as_str().ok_or("an Api event needs a Path")?;
        let method = event["Method"]
            .as_str()
            .ok_or("an Api event needs a Method")?;
        let validation = match crate::validation::sam_event(event, method, path, &self.models)? {
            Some((doc, op)) => crate::validation::from_openapi(&doc, path, &op)?,
            None => None,
        };
        let method = match method.to_ascii_uppercase().as_str() {
            "ANY" | "X-AMAZON-APIGATEWAY-ANY-METHOD" => "ANY".to_string(),
            m => m.to_string(),
        };
        let authorization = match event["Auth"]["Authorizer"].as_str() {
            Some("NONE") => Authorization::None,
            // SAM builds it in for every API (swagger.py `add_auth_to_method`).
            Some("AWS_IAM") => Authorization::Iam,
            Some(name) => {
                if !self.authorizers.contains_key(name) {
                    return Err(format!(
                        "Auth.Authorizer {name} is not an authorizer of {}",
                        self.logical_id
                    ));
                }
                Authorization::Authorizer(name.to_string())
            }
            None => self.default_authorizer.clone().unwrap_or_default(),
        };
        // The event's scopes, else the authorizer's (swagger.py `_set_method_authorizer`).
        let scopes: Vec<String> = match event["Auth"]["AuthorizationScopes"].as_array() {
            Some(l) => l
                .iter()
                .filter_map(Json::as_str)
                .map(str::to_string)
                .collect(),
            None => authorization
                .authorizer()
                .and_then(|a| self.authorizers.get(a))
                .map(|a| a.scopes.clone())
                .unwrap_or_default(),
        };
        let api_key_required = event["Auth"]["ApiKeyRequired"]
            .as_bool()
            .unwrap_or(self.api_key_required);
        let path = normalize(path);
        if let Some(existing) = self
            .routes
            .iter_mut()
            .find(|r| r.path == path && r.method == method)
        {
            // An operation of the OpenAPI definition that the event names again (templates do,
            // so that SAM adds the invoke permission) is merged; another function on the same
            // method, or the same event twice, is an error.
            if existing.integration == Integration::Proxy
                && !existing.function.is_empty()
                && (existing.function != function || existing.from_event)
            {
                return Err(format!("{method} {path} is defined twice"));
            }
            existing.from_event = true;
            existing.function = function.into();
            existing.integration = Integration::Proxy;
            if event["Auth"]["Authorizer"].is_string() {
                existing.authorization = authorization;
            }
            if !scopes.is_empty() {
                existing.scopes = scopes;
            }
            if event["Auth"]["ApiKeyRequired"].is_boolean() {
                existing.api_key_required = api_key_required;
            }
            if validation.is_some() {
                existing.validation = validation;
            }
        } else {
            self.routes.push(Route {
                authorization,
                scopes,
                api_key_required,
                validation,
                from_event: true,
                ..Route::proxy(&method, &path, function, "1.0")
            });
        }
        let policy = &event["Auth"]["ResourcePolicy"];
        if !policy.is_null() {
            // Over every method the path has so far, as swagger.py's `add_resource_policy`
            // lists them when the event is added.
            let methods: Vec<String> = self
                .routes
                .iter()
                .filter(|r| r.path == path)
                .map(|r| r.method.clone())
                .collect();
            let methods: Vec<&str> = methods.iter().map(String::as_str).collect();
            crate::policy::add_sam(self, policy, &path, &methods)
                .map_err(|e| format!("Auth.ResourcePolicy: {e}"))?;
            crate::policy::add_custom(self, policy);
        }
        Ok(())
    }
}

/// `ApiKeySourceType` (or `x-amazon-apigateway-api-key-source`): `HEADER` (default) or
/// `AUTHORIZER`.
pub fn key_source(v: Option<&str>) -> apispec::ApiKeySource {
    match v {
        Some(s) if s.eq_ignore_ascii_case("AUTHORIZER") => apispec::ApiKeySource::Authorizer,
        _ => apispec::ApiKeySource::Header,
    }
}

fn cors(v: &Json) -> Result<Option<Cors>, String> {
    Ok(match v {
        Json::Null => None,
        Json::String(origin) => Some(Cors {
            allow_origin: unquote(origin),
            ..Cors::default()
        }),
        Json::Object(c) => {
            let s = |k: &str| c.get(k).and_then(Json::as_str).map(unquote);
            Some(Cors {
                allow_origin: s("AllowOrigin").ok_or("Cors.AllowOrigin is required")?,
                allow_headers: s("AllowHeaders"),
                allow_methods: s("AllowMethods"),
                max_age: c
                    .get("MaxAge")
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), unquote)),
                allow_credentials: c
                    .get("AllowCredentials")
                    .and_then(Json::as_bool)
                    .unwrap_or(false),
            })
        }
        _ => return Err("Cors must be a string or a map".into()),
    })
}

/// Adds `f`'s `Api` and `HttpApi` events to their APIs (the implicit ones when `RestApiId` /
/// `ApiId` is absent); other event types add a line to `warnings`.
pub(crate) fn add_events(
    apis: &mut [RestApi],
    http_apis: &mut [crate::httpapi::HttpApi],
    plan: &Plan<'_>,
    f: &Function,
    props: &Json,
    warnings: &mut Vec<String>,
) -> Result<(), String> {
    let Some(events) = props["Events"].as_object() else {
        return Ok(());
    };
    let named = |id: &str| {
        plan.physical()
            .refs
            .iter()
            .find(|(_, v)| *v == id)
            .map_or(id.to_string(), |(k, _)| k.clone())
    };
    for (name, ev) in events {
        let p = &ev["Properties"];
        match ev["Type"].as_str() {
            Some("Api") => {
                let api = match p["RestApiId"].as_str() {
                    Some(id) => apis.iter_mut().find(|a| a.id == id).ok_or_else(|| {
                        format!(
                            "event {name}: RestApiId {} is not an AWS::Serverless::Api of this template",
                            named(id)
                        )
                    })?,
                    None => {
                        let implicit = crate::scoped(crate::scope_of(&f.logical_id), IMPLICIT_API);
                        apis.iter_mut()
                            .find(|a| a.logical_id == implicit)
                            .expect("the plan adds the implicit API when an event needs it")
                    }
                };
                api.add_event(&f.name, p)
                    .map_err(|e| format!("event {name}: {e}"))?;
            }
            Some("HttpApi") => {
                let api = match p["ApiId"].as_str() {
                    Some(id) => http_apis.iter_mut().find(|a| a.id == id).ok_or_else(|| {
                        format!(
                            "event {name}: ApiId {} is not an AWS::Serverless::HttpApi of this template",
                            named(id)
                        )
                    })?,
                    None => {
                        let implicit = crate::scoped(
                            crate::scope_of(&f.logical_id),
                            crate::httpapi::IMPLICIT_HTTP_API,
                        );
                        http_apis
                            .iter_mut()
                            .find(|a| a.logical_id == implicit)
                            .expect("the plan adds the implicit HTTP API when an event needs it")
                    }
                };
                api.add_event(&f.name, p)
                    .map_err(|e| format!("event {name}: {e}"))?;
            }
            // Written into the pool's LambdaConfig when the pool is provisioned.
            Some("Cognito") => {}
            other => warnings.push(format!(
                "{}: event {name} ({}) is not emulated: nothing triggers it locally",
                f.logical_id,
                other.unwrap_or("no Type")
            )),
        }
    }
    Ok(())
}

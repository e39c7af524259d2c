//! The REST APIs a SAM template declares: stages, routes, Cognito authorizers, CORS.
//!
//! Built from resolved properties (JSON) of `AWS::Serverless::Api` and the `Api` events of
//! `AWS::Serverless::Function`, following SAM's rules: an event without `RestApiId` goes to the
//! implicit `ServerlessRestApi` on stage `Prod`; `Auth.Authorizer: NONE` opts a route out of the
//! API's `DefaultAuthorizer`.

use std::collections::BTreeMap;

use serde_json::Value as Json;

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

/// One method on one resource path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The resource path template, e.g. `/items/{id}` or `/{proxy+}`.
    pub path: String,
    /// Upper-case method, or `ANY`.
    pub method: String,
    /// The function's logical id.
    pub function: String,
    /// The authorizer's name, if the route has one.
    pub authorizer: Option<String>,
}

/// One REST API.
#[derive(Debug, Clone)]
pub struct ApiSpec {
    /// Logical id (`ServerlessRestApi` for the implicit one).
    pub logical_id: String,
    /// The API id (10 lower-case alphanumerics), stable for a logical id.
    pub id: String,
    /// The stage name.
    pub stage: String,
    /// CORS preflight settings.
    pub cors: Option<Cors>,
    /// Authorizers by name.
    pub authorizers: BTreeMap<String, Authorizer>,
    /// `Auth.DefaultAuthorizer`: routes without their own `Auth.Authorizer` get it.
    pub default_authorizer: Option<String>,
    /// The authorizer OPTIONS preflights get (the default one, unless
    /// AddDefaultAuthorizerToCorsPreflight is false).
    pub authorize_preflight: Option<String>,
    /// Routes.
    pub routes: Vec<Route>,
}

/// A template problem in the API definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The resource.
    pub logical_id: String,
    /// What is wrong.
    pub message: String,
}

fn unquote(s: &str) -> String {
    s.strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .unwrap_or(s)
        .to_string()
}

fn api_id(logical_id: &str) -> String {
    // Stable across restarts: derived from the logical id.
    let h = common::digest::sha256(&[logical_id.as_bytes()]);
    h.iter()
        .take(10)
        .map(|b| (b"abcdefghijklmnopqrstuvwxyz0123456789"[(*b % 36) as usize]) as char)
        .collect()
}

/// The pool id in `arn:aws:cognito-idp:<region>:<account>:userpool/<poolId>`.
fn pool_id_of(arn: &str) -> Option<String> {
    arn.rsplit_once("userpool/").map(|(_, id)| id.to_string())
}

impl ApiSpec {
    /// An API from `AWS::Serverless::Api` properties (resolved).
    pub fn from_sam(logical_id: &str, props: &Json) -> Result<ApiSpec, SpecError> {
        let err = |m: String| SpecError {
            logical_id: logical_id.into(),
            message: m,
        };
        let stage = props["StageName"]
            .as_str()
            .ok_or_else(|| err("StageName is required".into()))?
            .to_string();
        let cors = match &props["Cors"] {
            Json::Null => None,
            Json::String(origin) => Some(Cors {
                allow_origin: unquote(origin),
                ..Cors::default()
            }),
            Json::Object(c) => {
                let s = |k: &str| c.get(k).and_then(Json::as_str).map(unquote);
                Some(Cors {
                    allow_origin: s("AllowOrigin")
                        .ok_or_else(|| err("Cors.AllowOrigin is required".into()))?,
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
            _ => return Err(err("Cors must be a string or a map".into())),
        };
        let auth = &props["Auth"];
        let mut authorizers = BTreeMap::new();
        if let Some(map) = auth["Authorizers"].as_object() {
            for (name, a) in map {
                let arns: Vec<String> = match &a["UserPoolArn"] {
                    Json::String(s) => vec![s.clone()],
                    Json::Array(list) => list
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect(),
                    Json::Null => {
                        tracing::warn!(
                            "{logical_id}: authorizer {name} is not a Cognito authorizer; requests it guards are refused"
                        );
                        Vec::new()
                    }
                    _ => {
                        return Err(err(format!(
                            "Authorizers.{name}.UserPoolArn must be an ARN or a list"
                        )));
                    }
                };
                let pool_ids = arns.iter().filter_map(|a| pool_id_of(a)).collect();
                let header = a["Identity"]["Header"]
                    .as_str()
                    .unwrap_or("Authorization")
                    .to_string();
                authorizers.insert(
                    name.clone(),
                    Authorizer {
                        name: name.clone(),
                        pool_ids,
                        header,
                    },
                );
            }
        }
        let default = auth["DefaultAuthorizer"].as_str().map(str::to_string);
        if let Some(d) = &default
            && d != "AWS_IAM"
            && !authorizers.contains_key(d)
        {
            return Err(err(format!(
                "DefaultAuthorizer {d} is not one of Auth.Authorizers"
            )));
        }
        let preflight = auth["AddDefaultAuthorizerToCorsPreflight"]
            .as_bool()
            .unwrap_or(true);
        Ok(ApiSpec {
            logical_id: logical_id.into(),
            id: api_id(logical_id),
            stage,
            cors,
            authorizers,
            authorize_preflight: default.clone().filter(|_| preflight),
            default_authorizer: default,
            routes: Vec::new(),
        })
    }

    /// The implicit API of events without `RestApiId`.
    pub fn implicit() -> ApiSpec {
        ApiSpec {
            logical_id: "ServerlessRestApi".into(),
            id: api_id("ServerlessRestApi"),
            stage: "Prod".into(),
            cors: None,
            authorizers: BTreeMap::new(),
            default_authorizer: None,
            authorize_preflight: None,
            routes: Vec::new(),
        }
    }

    /// The authorizer named `name`.
    pub fn authorizer(&self, name: &str) -> Option<&Authorizer> {
        self.authorizers.get(name)
    }

    /// Adds a function's `Api` event (its resolved `Properties`).
    pub fn add_event(&mut self, function: &str, event: &Json) -> Result<(), SpecError> {
        let err = |m: String| SpecError {
            logical_id: function.into(),
            message: m,
        };
        let path = event["Path"]
            .as_str()
            .ok_or_else(|| err("an Api event needs a Path".into()))?;
        let method = event["Method"]
            .as_str()
            .ok_or_else(|| err("an Api event needs a Method".into()))?;
        let method = match method.to_ascii_uppercase().as_str() {
            "ANY" | "X-AMAZON-APIGATEWAY-ANY-METHOD" => "ANY".to_string(),
            m => m.to_string(),
        };
        let authorizer = match event["Auth"]["Authorizer"].as_str() {
            Some("NONE") => None,
            Some(name) => {
                if self.authorizer(name).is_none() {
                    return Err(err(format!(
                        "Auth.Authorizer {name} is not an authorizer of {}",
                        self.logical_id
                    )));
                }
                Some(name.to_string())
            }
            None => self.default_authorizer.clone(),
        };
        let path = normalize(path);
        if self
            .routes
            .iter()
            .any(|r| r.path == path && r.method == method)
        {
            return Err(err(format!("{method} {path} is defined twice")));
        }
        self.routes.push(Route {
            path,
            method,
            function: function.into(),
            authorizer,
        });
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn api() -> ApiSpec {
        ApiSpec::from_sam(
            "Api",
            &json!({
                "StageName": "v1",
                "Cors": "'*'",
                "Auth": {
                    "DefaultAuthorizer": "Pool",
                    "Authorizers": {"Pool": {"UserPoolArn": "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Abc"}}
                }
            }),
        )
        .expect("valid")
    }

    #[test]
    fn default_authorizer_applies_unless_none() {
        let mut a = api();
        a.add_event("F", &json!({"Path": "/a", "Method": "get"}))
            .expect("ok");
        a.add_event(
            "F",
            &json!({"Path": "/b", "Method": "ANY", "Auth": {"Authorizer": "NONE"}}),
        )
        .expect("ok");
        assert_eq!(a.routes[0].authorizer.as_deref(), Some("Pool"));
        assert_eq!(a.routes[1].authorizer, None);
        assert_eq!(a.routes[1].method, "ANY");
        assert_eq!(a.authorizers["Pool"].pool_ids, ["us-east-1_Abc"]);
        assert_eq!(a.authorizers["Pool"].header, "Authorization");
        assert_eq!(
            a.authorize_preflight.as_deref(),
            Some("Pool"),
            "preflight gets the default authorizer"
        );
        assert_eq!(a.cors.as_ref().map(|c| c.allow_origin.as_str()), Some("*"));
    }

    #[test]
    fn preflight_authorization_can_be_turned_off() {
        let a = ApiSpec::from_sam(
            "Api",
            &json!({"StageName": "v1", "Auth": {"DefaultAuthorizer": "P", "AddDefaultAuthorizerToCorsPreflight": false,
                     "Authorizers": {"P": {"UserPoolArn": ["arn:aws:cognito-idp:r:1:userpool/r_X", "arn:aws:cognito-idp:r:1:userpool/r_Y"]}}}}),
        )
        .expect("valid");
        assert_eq!(a.authorize_preflight, None);
        assert_eq!(a.authorizers["P"].pool_ids, ["r_X", "r_Y"]);
    }

    #[test]
    fn unknown_authorizer_and_duplicate_routes_are_template_errors() {
        let mut a = api();
        let e = a
            .add_event(
                "F",
                &json!({"Path": "/a", "Method": "get", "Auth": {"Authorizer": "Nope"}}),
            )
            .expect_err("unknown");
        assert!(e.message.contains("Nope"), "{e:?}");
        a.add_event("F", &json!({"Path": "/a/", "Method": "get"}))
            .expect("ok");
        let e = a
            .add_event("G", &json!({"Path": "/a", "Method": "GET"}))
            .expect_err("twice");
        assert!(e.message.contains("defined twice"), "{e:?}");
    }

    #[test]
    fn implicit_api_is_serverless_rest_api_on_prod() {
        let a = ApiSpec::implicit();
        assert_eq!(
            (a.logical_id.as_str(), a.stage.as_str()),
            ("ServerlessRestApi", "Prod")
        );
        assert_eq!(a.id, ApiSpec::implicit().id, "stable id");
    }
}

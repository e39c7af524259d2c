//! REST request validation as API Gateway imports it from OpenAPI (aws-behaviour-3-apigw.md
//! §1): the root's `x-amazon-apigateway-request-validators`, the validator the root or the
//! operation names with `x-amazon-apigateway-request-validator`, the parameters with
//! `required: true`, and the body's schema (2.0 `in: body`, 3.0 `requestBody`) as the model.
//! A SAM `Api` event's `RequestModel`/`RequestParameters` are written into that same OpenAPI
//! form first, as aws-sam-translator writes them (`push.py`, `swagger.py`), so both are read
//! by one reader.

use serde_json::{Map, Value as Json, json};

use apispec::{ParamIn, Validation};

/// The models of an OpenAPI document: `definitions` (2.0), else `components.schemas` (3.0).
fn models_of(doc: &Json) -> Map<String, Json> {
    doc["definitions"]
        .as_object()
        .or_else(|| doc["components"]["schemas"].as_object())
        .cloned()
        .unwrap_or_default()
}

/// The model a `$ref` names: `#/definitions/X`, `#/components/schemas/X`, or API Gateway's
/// own `https://apigateway.amazonaws.com/restapis/<api>/models/X`.
fn model_name(reference: &str) -> Option<&str> {
    reference
        .strip_prefix("#/definitions/")
        .or_else(|| reference.strip_prefix("#/components/schemas/"))
        .or_else(|| {
            reference
                .strip_prefix("https://apigateway.amazonaws.com/restapis/")
                .and_then(|r| r.split_once("/models/").map(|(_, m)| m))
        })
}

/// Rewrites every model `$ref` under `v` to `#/definitions/<Name>`, collecting the names.
fn rewrite(v: &mut Json, names: &mut Vec<String>) {
    match v {
        Json::Object(o) => {
            if let Some(Json::String(r)) = o.get_mut("$ref")
                && let Some(name) = model_name(r).map(str::to_string)
            {
                *r = format!("#/definitions/{name}");
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            for (_, x) in o.iter_mut() {
                rewrite(x, names);
            }
        }
        Json::Array(a) => a.iter_mut().for_each(|x| rewrite(x, names)),
        _ => {}
    }
}

/// `schema` made self-contained: its `$ref`s to models (and theirs, transitively) point into
/// its own `definitions`, which hold those models. A model named but not defined is an error.
pub fn self_contained(schema: &Json, models: &Map<String, Json>) -> Result<Json, String> {
    let mut root = schema.clone();
    let mut names = Vec::new();
    rewrite(&mut root, &mut names);
    let mut definitions = Map::new();
    let mut i = 0;
    while i < names.len() {
        let name = names[i].clone();
        i += 1;
        let model = models
            .get(&name)
            .or_else(|| {
                models
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&name))
                    .map(|(_, v)| v)
            })
            .ok_or_else(|| format!("the model {name} is not defined"))?;
        let mut model = model.clone();
        rewrite(&mut model, &mut names);
        definitions.insert(name, model);
    }
    if !definitions.is_empty()
        && let Json::Object(o) = &mut root
    {
        let own = o
            .entry("definitions")
            .or_insert_with(|| Json::Object(Map::new()));
        if let Json::Object(own) = own {
            for (k, v) in definitions {
                own.entry(k).or_insert(v);
            }
        }
    }
    Ok(root)
}

/// A local `$ref` (`#/parameters/X`, `#/components/requestBodies/X`) followed in `doc`.
fn deref<'a>(doc: &'a Json, v: &'a Json) -> &'a Json {
    match v["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => doc.pointer(pointer).unwrap_or(&Json::Null),
        None => v,
    }
}

/// The validation of the operation `op` at `path` of the OpenAPI document `doc`, when a
/// validator applies to it (`None`: nothing is validated). A validator or model that the
/// document names but does not define is an error, as API Gateway's import fails on it.
pub fn from_openapi(doc: &Json, path: &str, op: &Json) -> Result<Option<Validation>, String> {
    let name = match op["x-amazon-apigateway-request-validator"]
        .as_str()
        .or_else(|| doc["x-amazon-apigateway-request-validator"].as_str())
    {
        Some(n) => n,
        None => return Ok(None),
    };
    let validator = doc["x-amazon-apigateway-request-validators"]
        .get(name)
        .ok_or_else(|| {
            format!(
                "x-amazon-apigateway-request-validator {name} is not in x-amazon-apigateway-request-validators"
            )
        })?;
    let on = |k: &str| validator[k].as_bool().unwrap_or(false);
    let (parameters, body) = (on("validateRequestParameters"), on("validateRequestBody"));
    if !parameters && !body {
        return Ok(None);
    }
    let mut v = Validation {
        parameters,
        body,
        ..Validation::default()
    };
    let path_level = doc["paths"][path]["parameters"].as_array();
    let declared = path_level
        .into_iter()
        .flatten()
        .chain(op["parameters"].as_array().into_iter().flatten())
        .map(|p| deref(doc, p));
    let models = models_of(doc);
    let mut body_schema = None;
    for p in declared {
        let location = match p["in"].as_str() {
            Some("header") => ParamIn::Header,
            Some("path") => ParamIn::Path,
            Some("query") => ParamIn::QueryString,
            Some("body") => {
                body_schema = Some(&p["schema"]);
                continue;
            }
            _ => continue,
        };
        if p["required"].as_bool() == Some(true)
            && let Some(n) = p["name"].as_str()
        {
            v.required.push((location, n.to_string()));
        }
    }
    // Headers, then path, then query string, each in declared order (a stable sort).
    v.required.sort_by_key(|(l, _)| *l);
    if let Some(schema) = body_schema {
        let consumes = op["consumes"]
            .as_array()
            .or_else(|| doc["consumes"].as_array())
            .map(|c| c.iter().filter_map(Json::as_str).collect::<Vec<_>>())
            .unwrap_or_else(|| vec!["application/json"]);
        for ct in consumes {
            v.models
                .push((ct.to_string(), self_contained(schema, &models)?));
        }
    } else if let Some(content) = deref(doc, &op["requestBody"])["content"].as_object() {
        for (ct, media) in content {
            if media["schema"].is_object() {
                v.models
                    .push((ct.clone(), self_contained(&media["schema"], &models)?));
            }
        }
    }
    Ok(Some(v))
}

/// A SAM `Api` event's `RequestModel` and `RequestParameters` (validated as SAM validates
/// them) as the OpenAPI operation and document aws-sam-translator writes for them, with the
/// API's `Models` (`models`, by the names written) as the document's `definitions` under their
/// lower-cased names; `None` when the event has neither.
pub fn sam_event(
    event: &Json,
    method: &str,
    path: &str,
    models: &Json,
) -> Result<Option<(Json, Json)>, String> {
    let model = &event["RequestModel"];
    let parameters = &event["RequestParameters"];
    if model.is_null() && parameters.is_null() {
        return Ok(None);
    }
    let mut op = Map::new();
    let mut params = Vec::new();
    let mut doc = json!({"swagger": "2.0"});
    if let Some(m) = model.as_object() {
        let at = |why: &str| {
            format!(
                "Unable to set RequestModel [{}] on API method [{method}] for path [{path}] because {why}",
                template::json_text(m.get("Model").unwrap_or(&Json::Null))
            )
        };
        let name = m.get("Model").and_then(Json::as_str);
        let defined = models.as_object();
        match (name, defined) {
            (_, None) => return Err(at("the related API does not define any Models.")),
            (None, _) => return Err(at("the related API does not contain valid Models.")),
            (Some(n), Some(d)) if !d.contains_key(n) => {
                return Err(at("it wasn't defined in the API's Models."));
            }
            _ => {}
        }
        let name = name.unwrap_or_default().to_lowercase();
        let mut body = json!({"in": "body", "name": name, "schema": {"$ref": format!("#/definitions/{name}")}});
        if let Some(r) = m.get("Required") {
            body["required"] = r.clone();
        }
        params.push(body);
        let (vb, vp) = (m.get("ValidateBody"), m.get("ValidateParameters"));
        if vb.is_some() || vp.is_some() {
            let flag = |v: Option<&Json>| match v {
                None => Ok(false),
                Some(Json::Bool(b)) => Ok(*b),
                Some(_) => Err(format!(
                    "Unable to set Validator to RequestModel [{name}] on API method [{method}] for path [{path}] ValidateBody and ValidateParameters must be a boolean type, strings or intrinsics are not supported."
                )),
            };
            let (body, parameters) = (flag(vb)?, flag(vp)?);
            // swagger.py `get_validator_name`.
            let validator = match (body, parameters) {
                (true, true) => "body-and-params",
                (true, false) => "body-only",
                (false, true) => "params-only",
                (false, false) => "no-validation",
            };
            doc["x-amazon-apigateway-request-validators"] = json!({validator: {
                "validateRequestBody": body, "validateRequestParameters": parameters}});
            op.insert(
                "x-amazon-apigateway-request-validator".into(),
                Json::from(validator),
            );
        }
        let lowered: Map<String, Json> = defined
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.to_lowercase(), v.clone()))
            .collect();
        doc["definitions"] = Json::Object(lowered);
    }
    const FORMAT: &str = "Invalid value for 'RequestParameters' property. Keys must be in the format 'method.request.[querystring|path|header].{value}', e.g 'method.request.header.Authorization'.";
    for p in parameters.as_array().into_iter().flatten() {
        let (name, required) = match p {
            Json::String(s) => (s.as_str(), false),
            Json::Object(o) if o.len() == 1 => {
                let (k, v) = o
                    .iter()
                    .next()
                    .map(|(k, v)| (k.as_str(), v))
                    .unwrap_or_default();
                let ok = v
                    .as_object()
                    .is_some_and(|v| v.keys().all(|k| k == "Required" || k == "Caching"));
                if !ok {
                    return Err("Invalid value for 'RequestParameters' property. Values must be an object, e.g { Required: true, Caching: false }".into());
                }
                (k, v["Required"].as_bool().unwrap_or(false))
            }
            _ => {
                return Err("Invalid value for 'RequestParameters' property. Property must be either a string or an object".into());
            }
        };
        let rest = name.strip_prefix("method.request.").ok_or(FORMAT)?;
        let (location, pname) = rest.split_once('.').ok_or(FORMAT)?;
        let location = match location {
            "querystring" => "query",
            "path" | "header" => location,
            _ => return Err(FORMAT.into()),
        };
        params.push(json!({"in": location, "name": pname, "required": required, "type": "string"}));
    }
    op.insert("parameters".into(), Json::Array(params));
    Ok(Some((doc, Json::Object(op))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_between_models_become_the_schemas_own_definitions() {
        let models = json!({
            "Order": {"type": "object", "properties": {"item": {"$ref": "#/definitions/Item"}}},
            "Item": {"type": "object", "required": ["sku"],
                     "properties": {"sku": {"type": "string"},
                                    "tags": {"$ref": "https://apigateway.amazonaws.com/restapis/abc/models/Tags"}}},
            "Tags": {"type": "array", "items": {"type": "string"}},
        });
        let schema = self_contained(
            &json!({"$ref": "#/components/schemas/Order"}),
            models.as_object().expect("map"),
        )
        .expect("resolves");
        assert_eq!(schema["$ref"], "#/definitions/Order");
        assert_eq!(
            schema["definitions"]["Order"]["properties"]["item"]["$ref"],
            "#/definitions/Item"
        );
        assert_eq!(
            schema["definitions"]["Item"]["properties"]["tags"]["$ref"],
            "#/definitions/Tags"
        );
        assert_eq!(schema["definitions"]["Tags"]["type"], "array");
        let err = self_contained(&json!({"$ref": "#/definitions/Nope"}), &Map::new())
            .expect_err("undefined");
        assert!(err.contains("Nope"));
    }

    #[test]
    fn an_operation_validator_overrides_the_roots_and_parameters_are_ordered_as_aws_names_them() {
        let doc = json!({
            "swagger": "2.0",
            "x-amazon-apigateway-request-validators": {
                "all": {"validateRequestBody": true, "validateRequestParameters": true},
                "params": {"validateRequestParameters": true, "validateRequestBody": false},
                "none": {"validateRequestParameters": false, "validateRequestBody": false}},
            "x-amazon-apigateway-request-validator": "all",
            "definitions": {"Pet": {"type": "object", "required": ["name"]}},
            "parameters": {"Trace": {"in": "header", "name": "x-trace", "required": true}},
            "paths": {"/pets/{id}": {
                "parameters": [{"in": "path", "name": "id", "required": true}],
                "post": {"parameters": [
                    {"in": "query", "name": "q1", "required": true},
                    {"in": "query", "name": "q2"},
                    {"$ref": "#/parameters/Trace"},
                    {"in": "body", "name": "pet", "schema": {"$ref": "#/definitions/Pet"}}]},
                "put": {"x-amazon-apigateway-request-validator": "params"},
                "get": {"x-amazon-apigateway-request-validator": "none"}}},
        });
        let op = &doc["paths"]["/pets/{id}"];
        let post = from_openapi(&doc, "/pets/{id}", &op["post"])
            .expect("reads")
            .expect("validated");
        assert!(post.body && post.parameters);
        assert_eq!(
            post.required,
            [
                (ParamIn::Header, "x-trace".to_string()),
                (ParamIn::Path, "id".into()),
                (ParamIn::QueryString, "q1".into())
            ]
        );
        assert_eq!(post.models.len(), 1);
        assert_eq!(post.models[0].0, "application/json");
        assert_eq!(
            post.models[0].1["definitions"]["Pet"]["required"],
            json!(["name"])
        );
        let put = from_openapi(&doc, "/pets/{id}", &op["put"])
            .expect("reads")
            .expect("validated");
        assert!(put.parameters && !put.body);
        assert_eq!(
            from_openapi(&doc, "/pets/{id}", &op["get"]).expect("reads"),
            None
        );
        let bad = json!({"x-amazon-apigateway-request-validator": "missing"});
        assert!(from_openapi(&bad, "/", &json!({})).is_err());
    }

    #[test]
    fn an_openapi_3_request_body_gives_a_model_per_content_type() {
        let doc = json!({
            "openapi": "3.0.1",
            "x-amazon-apigateway-request-validators": {"b": {"validateRequestBody": true}},
            "components": {"schemas": {"Pet": {"type": "object"}},
                           "requestBodies": {"PetBody": {"content": {
                               "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}},
                               "application/xml": {"schema": {"type": "string"}}}}}},
        });
        let op = json!({"x-amazon-apigateway-request-validator": "b",
                        "requestBody": {"$ref": "#/components/requestBodies/PetBody"}});
        let v = from_openapi(&doc, "/pets", &op)
            .expect("reads")
            .expect("validated");
        let cts: Vec<&str> = v.models.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(cts, ["application/json", "application/xml"]);
        assert_eq!(v.models[0].1["definitions"]["Pet"]["type"], "object");
    }

    #[test]
    fn a_sam_event_is_written_as_the_translator_writes_it() {
        let models = json!({"Pet": {"type": "object", "required": ["name"]}});
        let event = json!({"RequestModel": {"Model": "Pet", "Required": true, "ValidateBody": true},
                           "RequestParameters": ["method.request.header.x-id",
                                                 {"method.request.querystring.q": {"Required": true}}]});
        let (doc, op) = sam_event(&event, "post", "/pets", &models)
            .expect("valid")
            .expect("some");
        let v = from_openapi(&doc, "/pets", &op)
            .expect("reads")
            .expect("validated");
        assert!(v.body && !v.parameters, "ValidateParameters absent: false");
        assert_eq!(v.required, [(ParamIn::QueryString, "q".to_string())]);
        assert_eq!(
            v.models[0].1["definitions"]["pet"]["required"],
            json!(["name"])
        );
        // Neither ValidateBody nor ValidateParameters: no validator, nothing validated.
        let plain = json!({"RequestModel": {"Model": "Pet", "Required": true}});
        let (doc, op) = sam_event(&plain, "post", "/pets", &models)
            .expect("valid")
            .expect("some");
        assert_eq!(from_openapi(&doc, "/pets", &op).expect("reads"), None);
        // SAM's own errors.
        let err = |e: Json, m: &Json| sam_event(&e, "post", "/pets", m).expect_err("refused");
        assert_eq!(
            err(json!({"RequestModel": {"Model": "Cat"}}), &models),
            "Unable to set RequestModel [Cat] on API method [post] for path [/pets] because it wasn't defined in the API's Models."
        );
        assert!(
            err(json!({"RequestModel": {"Model": "Pet"}}), &Json::Null)
                .contains("does not define any Models")
        );
        assert!(
            err(
                json!({"RequestParameters": ["method.request.body.x"]}),
                &models
            )
            .contains("Keys must be in the format")
        );
        assert!(
            err(
                json!({"RequestModel": {"Model": "Pet", "ValidateBody": "yes"}}),
                &models
            )
            .contains("must be a boolean type")
        );
    }
}

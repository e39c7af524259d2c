//! REST API keys and usage plans: `AWS::ApiGateway::ApiKey` (`Enabled`, `Value`, `StageKeys`),
//! `AWS::ApiGateway::UsagePlan` (`ApiStages`, `Throttle`, `Quota`) and
//! `AWS::ApiGateway::UsagePlanKey` (`KeyId`, `UsagePlanId`, `KeyType: API_KEY`), and the ones
//! SAM's `Auth.UsagePlan` generates ([`add_sam`]).

use apispec::{ApiKey, Period, Quota, RestApi, Throttle, UsagePlan};
use serde_json::Value as Json;

use crate::rawapi::{Part, PartKind};

/// The keys and plans the parts define; what is left out is said in `warnings`.
pub fn build(parts: &[Part], warnings: &mut Vec<String>) -> (Vec<ApiKey>, Vec<UsagePlan>) {
    let mut keys = Vec::new();
    let mut plans = Vec::new();
    for p in parts {
        match p.kind {
            PartKind::ApiKey => keys.push(ApiKey {
                logical_id: p.logical_id.clone(),
                id: p.id.clone(),
                name: p.props["Name"]
                    .as_str()
                    .unwrap_or(&p.logical_id)
                    .to_string(),
                value: p.props["Value"].as_str().map(str::to_string),
                // CloudFormation's default for `Enabled` is false.
                enabled: truthy(&p.props["Enabled"]),
            }),
            PartKind::UsagePlan => plans.push(UsagePlan {
                logical_id: p.logical_id.clone(),
                id: p.id.clone(),
                stages: p.props["ApiStages"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| {
                        Some((
                            s["ApiId"].as_str()?.to_string(),
                            s["Stage"].as_str()?.to_string(),
                        ))
                    })
                    .collect(),
                keys: Vec::new(),
                throttle: throttle(&p.props["Throttle"]),
                quota: quota(&p.logical_id, &p.props["Quota"], warnings),
            }),
            _ => {}
        }
    }
    for p in parts.iter().filter(|p| p.kind == PartKind::UsagePlanKey) {
        let (Some(key), Some(plan)) = (p.props["KeyId"].as_str(), p.props["UsagePlanId"].as_str())
        else {
            warnings.push(format!(
                "{}: a UsagePlanKey needs KeyId and UsagePlanId: ignored",
                p.logical_id
            ));
            continue;
        };
        match plans.iter_mut().find(|u| u.id == plan) {
            Some(u) => u.keys.push(key.to_string()),
            None => warnings.push(format!(
                "{}: UsagePlanId {plan:?} is not a usage plan of this template: its key admits nothing",
                p.logical_id
            )),
        }
    }
    (keys, plans)
}

/// SAM's `Auth.UsagePlan` of the SAM REST API `api` (`auth` its resolved `Auth`): the plan and
/// key SAM generates (api_generator.py `_construct_usage_plan`, `_construct_api_key`,
/// `_construct_usage_plan_key`). `PER_API`: `<Api>UsagePlan` with `<Api>ApiKey` for this API's
/// stage; `SHARED`: one `ServerlessUsagePlan` and one `ServerlessApiKey` for the stages of
/// every API that asks; `NONE`: nothing. The key is enabled and has no `Value`, so its value is
/// made on first start, as API Gateway generates one. `id_of` gives a generated resource's id
/// (what its `Ref` resolves to) from its reference name (`MyApi.ApiKey`, `ServerlessApiKey`).
pub fn add_sam(
    api: &RestApi,
    auth: &Json,
    id_of: impl Fn(&str) -> String,
    keys: &mut Vec<ApiKey>,
    plans: &mut Vec<UsagePlan>,
    warnings: &mut Vec<String>,
) -> Result<(), String> {
    let up = &auth["UsagePlan"];
    if up.is_null() {
        return Ok(());
    }
    if !up.is_object() {
        return Err("'UsagePlan' must be a dictionary".into());
    }
    const FIELDS: [&str; 6] = [
        "CreateUsagePlan",
        "Description",
        "Quota",
        "Tags",
        "Throttle",
        "UsagePlanName",
    ];
    if up
        .as_object()
        .is_some_and(|m| m.keys().any(|k| !FIELDS.contains(&k.as_str())))
    {
        return Err("Invalid property for 'UsagePlan'".into());
    }
    let (plan_logical, key_logical, plan_ref, key_ref) = match up["CreateUsagePlan"].as_str() {
        None if up["CreateUsagePlan"].is_null() => {
            return Err("'CreateUsagePlan' is a required field for UsagePlan.".into());
        }
        Some("NONE") => return Ok(()),
        Some("PER_API") => {
            let id = &api.logical_id;
            (
                format!("{id}UsagePlan"),
                format!("{id}ApiKey"),
                format!("{id}.UsagePlan"),
                format!("{id}.ApiKey"),
            )
        }
        Some("SHARED") => (
            "ServerlessUsagePlan".to_string(),
            "ServerlessApiKey".to_string(),
            "ServerlessUsagePlan".to_string(),
            "ServerlessApiKey".to_string(),
        ),
        _ => {
            return Err("'CreateUsagePlan' accepts one of ['SHARED', 'PER_API', 'NONE'].".into());
        }
    };
    let key_id = id_of(&key_ref);
    if !keys.iter().any(|k| k.logical_id == key_logical) {
        keys.push(ApiKey {
            logical_id: key_logical.clone(),
            id: key_id.clone(),
            name: up["UsagePlanName"]
                .as_str()
                .map_or_else(|| key_logical.clone(), |n| format!("{n} key")),
            value: None,
            enabled: true,
        });
    }
    let stage = (api.id.clone(), api.stage.clone());
    match plans.iter_mut().find(|p| p.logical_id == plan_logical) {
        // A SHARED plan another API made: this stage is added; its settings are the first
        // API's, as each API's to_cloudformation overwrites them in turn (unsure which wins on
        // AWS when they differ: said in the log).
        Some(p) => {
            if !p.stages.contains(&stage) {
                p.stages.push(stage);
            }
            if throttle(&up["Throttle"]) != p.throttle {
                warnings.push(format!(
                    "{}: its SHARED usage plan's Throttle differs from another API's: the first one read is kept",
                    api.logical_id
                ));
            }
        }
        None => plans.push(UsagePlan {
            logical_id: plan_logical.clone(),
            id: id_of(&plan_ref),
            stages: vec![stage],
            keys: vec![key_id],
            throttle: throttle(&up["Throttle"]),
            quota: quota(&plan_logical, &up["Quota"], warnings),
        }),
    }
    Ok(())
}

fn truthy(v: &Json) -> bool {
    v.as_bool()
        .unwrap_or_else(|| v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true")))
}

fn number(v: &Json) -> Option<f64> {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

fn throttle(v: &Json) -> Option<Throttle> {
    let rate = number(&v["RateLimit"]);
    let burst = number(&v["BurstLimit"]);
    if rate.is_none() && burst.is_none() {
        return None;
    }
    Some(Throttle {
        // A missing half takes the account's default (10,000 rps, 5,000 burst).
        burst: burst.map_or(5000, |b| b as u64),
        rate: rate.unwrap_or(10_000.0),
    })
}

fn quota(logical_id: &str, v: &Json, warnings: &mut Vec<String>) -> Option<Quota> {
    let limit = number(&v["Limit"])? as u64;
    let period = match v["Period"].as_str().unwrap_or_default() {
        "DAY" => Period::Day,
        "WEEK" => Period::Week,
        "MONTH" => Period::Month,
        other => {
            warnings.push(format!(
                "{logical_id}: Quota.Period {other:?} is not DAY, WEEK or MONTH: taken as DAY"
            ));
            Period::Day
        }
    };
    Some(Quota { limit, period })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(apis: &[RestApi], auth: &Json) -> Result<(Vec<ApiKey>, Vec<UsagePlan>), String> {
        let (mut keys, mut plans, mut warnings) = (Vec::new(), Vec::new(), Vec::new());
        for a in apis {
            add_sam(
                a,
                auth,
                |n| format!("id-of-{n}"),
                &mut keys,
                &mut plans,
                &mut warnings,
            )?;
        }
        Ok((keys, plans))
    }

    #[test]
    fn per_api_makes_a_plan_and_a_key_for_each_api_and_shared_one_for_all() {
        let apis = [
            RestApi::new("A", "a1", "Prod"),
            RestApi::new("B", "b1", "v1"),
        ];
        let (keys, plans) = run(
            &apis,
            &json!({"UsagePlan": {"CreateUsagePlan": "PER_API", "Quota": {"Limit": 5, "Period": "WEEK"}}}),
        )
        .expect("valid");
        assert_eq!(
            keys.iter()
                .map(|k| k.logical_id.as_str())
                .collect::<Vec<_>>(),
            ["AApiKey", "BApiKey"]
        );
        assert!(keys.iter().all(|k| k.enabled && k.value.is_none()));
        assert_eq!(plans[0].logical_id, "AUsagePlan");
        assert_eq!(plans[0].id, "id-of-A.UsagePlan");
        assert_eq!(plans[0].keys, ["id-of-A.ApiKey"]);
        assert_eq!(plans[1].stages, [("b1".to_string(), "v1".to_string())]);
        assert_eq!(plans[1].quota.map(|q| q.limit), Some(5));
        let (keys, plans) =
            run(&apis, &json!({"UsagePlan": {"CreateUsagePlan": "SHARED"}})).expect("valid");
        assert_eq!(keys.len(), 1);
        assert_eq!(plans.len(), 1);
        assert_eq!(plans[0].logical_id, "ServerlessUsagePlan");
        assert_eq!(plans[0].stages.len(), 2);
        let (keys, _) =
            run(&apis, &json!({"UsagePlan": {"CreateUsagePlan": "NONE"}})).expect("valid");
        assert!(keys.is_empty());
    }

    #[test]
    fn sams_own_errors_for_a_bad_usage_plan() {
        let apis = [RestApi::new("A", "a1", "Prod")];
        let err = |auth: Json| run(&apis, &auth).err();
        assert_eq!(
            err(json!({"UsagePlan": {}})).as_deref(),
            Some("'CreateUsagePlan' is a required field for UsagePlan.")
        );
        assert_eq!(
            err(json!({"UsagePlan": {"CreateUsagePlan": "ALL"}})).as_deref(),
            Some("'CreateUsagePlan' accepts one of ['SHARED', 'PER_API', 'NONE'].")
        );
        assert_eq!(
            err(json!({"UsagePlan": {"CreateUsagePlan": "SHARED", "Keys": 1}})).as_deref(),
            Some("Invalid property for 'UsagePlan'")
        );
        assert_eq!(
            err(json!({"UsagePlan": "PER_API"})).as_deref(),
            Some("'UsagePlan' must be a dictionary")
        );
    }
}

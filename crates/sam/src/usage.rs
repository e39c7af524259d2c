//! REST API keys and usage plans: `AWS::ApiGateway::ApiKey` (`Enabled`, `Value`, `StageKeys`),
//! `AWS::ApiGateway::UsagePlan` (`ApiStages`, `Throttle`, `Quota`) and
//! `AWS::ApiGateway::UsagePlanKey` (`KeyId`, `UsagePlanId`, `KeyType: API_KEY`).

use apispec::{ApiKey, Period, Quota, Throttle, UsagePlan};
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

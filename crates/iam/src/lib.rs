//! IAM locally: who a SigV4-signed request comes from, and whether that principal may do what
//! it asks. Knows no gateway: the gateway reaches it through its own port, which the CLI meets
//! with [`Iam`].
//!
//! # Layout
//! - [`sigv4`]: Signature Version 4 verification (header and presigned query), with AWS's
//!   refusals.
//! - [`policy`]: identity and resource policy evaluation, conditions.
//! - this file: principals and their keys ([`Principal`], [`Iam`]), and the local account's
//!   administrator, whose key pair is made on first start and kept in the state dir.

pub mod policy;
pub mod sigv4;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use serde_json::{Value as Json, json};

pub use policy::{Caller, Decision};

/// The AWS managed policy `AdministratorAccess`: everything allowed.
pub fn administrator_access() -> Json {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
}

/// Who a key belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Its ARN (`arn:aws:iam::<account>:user/<name>`).
    pub arn: String,
    /// Its account.
    pub account: String,
    /// Its unique id (`AIDA…` for a user), the event's `caller` and `user`.
    pub user_id: String,
    /// The user's name (`aws:username`).
    pub name: String,
    /// Its identity policies (inline and attached, as documents).
    pub policies: Vec<Json>,
}

/// A key pair and whose it is.
#[derive(Debug, Clone)]
pub struct Key {
    /// The access key id.
    pub access_key: String,
    /// The secret.
    pub secret: String,
    /// The session token of temporary credentials (then required on each request).
    pub session_token: Option<String>,
    /// Its principal.
    pub principal: Arc<Principal>,
}

/// A signed request's caller, once its signature checked.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The key used.
    pub key: Arc<Key>,
}

/// The principals and their keys, and the account and region requests are checked in.
#[derive(Debug, Default)]
pub struct Iam {
    keys: HashMap<String, Arc<Key>>,
    account: String,
    region: String,
}

impl Iam {
    /// No keys yet, for `account` in `region`.
    pub fn new(account: &str, region: &str) -> Iam {
        Iam {
            keys: HashMap::new(),
            account: account.into(),
            region: region.into(),
        }
    }

    /// Adds a key.
    pub fn add_key(&mut self, key: Key) {
        self.keys.insert(key.access_key.clone(), Arc::new(key));
    }

    /// The key with this id.
    pub fn key(&self, access_key: &str) -> Option<&Arc<Key>> {
        self.keys.get(access_key)
    }

    /// The local account's administrator (`arn:aws:iam::<account>:user/gatehouse-admin`, with
    /// `AdministratorAccess`) holding `access_key`/`secret`.
    pub fn admin_key(&self, access_key: &str, secret: &str) -> Key {
        Key {
            access_key: access_key.into(),
            secret: secret.into(),
            session_token: None,
            principal: Arc::new(Principal {
                arn: format!("arn:aws:iam::{}:user/{ADMIN}", self.account),
                account: self.account.clone(),
                user_id: admin_user_id(&self.account),
                name: ADMIN.into(),
                policies: vec![administrator_access()],
            }),
        }
    }

    /// The account.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// Checks a request's signature for `service` (`execute-api`) at `now`: its caller, or
    /// AWS's refusal.
    pub fn authenticate(
        &self,
        req: &sigv4::Request<'_>,
        service: &str,
        now: i64,
    ) -> Result<Authenticated, sigv4::Refusal> {
        let sig = sigv4::parse(req)?;
        sigv4::check_scope(&sig, &self.region, service, now)?;
        let Some(key) = self.keys.get(&sig.access_key) else {
            return Err(sigv4::Refusal::unknown_token());
        };
        match (&key.session_token, &sig.session_token) {
            (None, None) => {}
            (Some(want), Some(got))
                if common::digest::constant_time_eq(want.as_bytes(), got.as_bytes()) => {}
            _ => return Err(sigv4::Refusal::unknown_token()),
        }
        sigv4::verify(req, &sig, &key.secret)?;
        Ok(Authenticated {
            key: Arc::clone(key),
        })
    }

    /// Whether `who` may `action` on `resource`, with the request's condition values and the
    /// resource's own policy.
    pub fn authorize(
        &self,
        who: Option<&Authenticated>,
        action: &str,
        resource: &str,
        source_ip: Option<&str>,
        resource_policy: Option<&Json>,
    ) -> Decision {
        let principal = who.map(|a| &*a.key.principal);
        let make = || {
            let mut ctx: BTreeMap<String, Vec<String>> = BTreeMap::new();
            let mut put = |k: &str, v: String| ctx.insert(k.into(), vec![v]);
            let now = common::date::now_secs();
            put(
                "aws:currenttime",
                common::date::iso8601(i64::try_from(now).unwrap_or(i64::MAX)),
            );
            put("aws:epochtime", now.to_string());
            // Locally every request comes over plain HTTP.
            put("aws:securetransport", "false".into());
            if let Some(ip) = source_ip {
                put("aws:sourceip", ip.to_string());
            }
            if let Some(p) = principal {
                put("aws:principalarn", p.arn.clone());
                put("aws:principalaccount", p.account.clone());
                put("aws:principaltype", "User".into());
                put("aws:userid", p.user_id.clone());
                put("aws:username", p.name.clone());
            }
            ctx
        };
        let context = policy::Context::lazy(&make);
        let caller = match principal {
            Some(p) => Caller {
                arn: p.arn.clone(),
                account: p.account.clone(),
                role_arn: None,
            },
            None => Caller::default(),
        };
        let identity: &[Json] = principal.map_or(&[], |p| p.policies.as_slice());
        let ask = policy::Ask {
            action,
            resource,
            caller: &caller,
            context: &context,
        };
        policy::evaluate(identity, resource_policy, &ask)
    }
}

/// The local administrator's user name.
pub const ADMIN: &str = "gatehouse-admin";

/// A stable `AIDA…` id for the administrator of `account`.
fn admin_user_id(account: &str) -> String {
    let digest = common::digest::sha256(&[b"user/", ADMIN.as_bytes(), b"/", account.as_bytes()]);
    format!(
        "AIDA{}",
        common::id::stable_id(&digest, common::id::UPPER_ALNUM, 17)
    )
}

/// The administrator's key pair in `dir/credentials.json` (0600): read, or made on first
/// start and written.
pub fn admin_credentials(dir: &Path) -> std::io::Result<(String, String)> {
    let path = dir.join("credentials.json");
    if let Ok(text) = std::fs::read_to_string(&path)
        && let Ok(v) = serde_json::from_str::<Json>(&text)
        && let (Some(k), Some(s)) = (v["AccessKeyId"].as_str(), v["SecretAccessKey"].as_str())
    {
        return Ok((k.to_string(), s.to_string()));
    }
    let key = format!(
        "AKIA{}",
        common::id::random_string(common::id::UPPER_ALNUM, 16)
    );
    let secret = common::id::random_string(common::id::SECRET_CHARS, 40);
    let text =
        json!({"AccessKeyId": key, "SecretAccessKey": secret, "UserName": ADMIN}).to_string();
    common::fs::write_private(&path, text.as_bytes())?;
    Ok((key, secret))
}

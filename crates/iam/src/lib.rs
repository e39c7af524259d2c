//! IAM locally: who a SigV4-signed request comes from, and whether that principal may do what
//! it asks; and STS, which hands out role sessions. Knows no gateway: the gateway reaches it
//! through its own port, which the CLI meets with [`Iam`].
//!
//! # Layout
//! - [`sigv4`]: Signature Version 4 verification (header and presigned query), with AWS's
//!   refusals.
//! - [`policy`]: identity and resource policy evaluation, conditions.
//! - [`principals`]: users, roles, role sessions and their keys.
//! - [`sts`]: STS's operations (`GetCallerIdentity`, `AssumeRole`, `GetSessionToken`) and its
//!   Query/XML wire; [`service`]: its HTTP edge.
//! - this file: the principals and keys of the local account ([`Iam`]), what a request's
//!   caller may do, and the account's administrator, whose key pair is made on first start and
//!   kept in the state dir.

pub mod identitypools;
pub mod policy;
pub mod principals;
pub mod service;
pub mod sigv4;
pub mod sts;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, RwLock};

use serde_json::{Value as Json, json};

pub use policy::{Caller, Decision};
pub use principals::{Credentials, Key, Principal, Role, Session, WebIdentity};

/// The AWS managed policy `AdministratorAccess`: everything allowed.
pub fn administrator_access() -> Json {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
}

/// The managed policies known without the template: AWS's own that grant what is decided
/// locally (`execute-api:Invoke`, `sts:AssumeRole`), written as AWS publishes them. Any other
/// AWS managed policy grants nothing here (and so can only refuse more than AWS would).
fn aws_managed_policies() -> Vec<(&'static str, Json)> {
    vec![
        (
            "arn:aws:iam::aws:policy/AdministratorAccess",
            administrator_access(),
        ),
        (
            "arn:aws:iam::aws:policy/AmazonAPIGatewayInvokeFullAccess",
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Action": ["execute-api:Invoke", "execute-api:ManageConnections"], "Resource": "arn:aws:execute-api:*:*:*"}]}),
        ),
        (
            "arn:aws:iam::aws:policy/PowerUserAccess",
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
                {"Effect": "Allow", "Action": ["iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles",
                    "organizations:DescribeOrganization", "account:ListRegions", "account:GetAccountInformation"], "Resource": "*"}]}),
        ),
    ]
}

/// A signed request's caller, once its signature checked.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The key used.
    pub key: Arc<Key>,
}

/// Keys kept before expired ones are swept (at most every [`SWEEP_SECS`]).
const SESSION_LIMIT: usize = 10_000;

/// The most keys kept: past it, the temporary key that expires soonest is dropped for a new
/// one (its holder's next request is refused as with an unknown key).
const KEY_CAP: usize = 100_000;

const SWEEP_SECS: i64 = 10;

/// The principals and their keys, the roles, and the account and region requests are checked
/// in. Keys are added while the stack runs (STS sessions), so they sit behind a lock that is
/// held only to look one up or add one.
#[derive(Debug, Default)]
pub struct Iam {
    keys: RwLock<HashMap<String, Arc<Key>>>,
    /// When expired keys were last swept.
    swept: std::sync::atomic::AtomicI64,
    roles: HashMap<String, Arc<Role>>,
    managed: HashMap<String, Json>,
    account: String,
    region: String,
}

impl Iam {
    /// No keys yet, for `account` in `region`.
    pub fn new(account: &str, region: &str) -> Iam {
        Iam {
            keys: RwLock::new(HashMap::new()),
            swept: std::sync::atomic::AtomicI64::new(0),
            roles: HashMap::new(),
            managed: aws_managed_policies()
                .into_iter()
                .map(|(arn, doc)| (arn.to_string(), doc))
                .collect(),
            account: account.into(),
            region: region.into(),
        }
    }

    /// Adds a key.
    pub fn add_key(&self, key: Key) {
        let mut keys = self
            .keys
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = now();
        if keys.len() >= SESSION_LIMIT
            && now - self.swept.load(std::sync::atomic::Ordering::Relaxed) >= SWEEP_SECS
        {
            self.swept.store(now, std::sync::atomic::Ordering::Relaxed);
            keys.retain(|_, k| k.expires.is_none_or(|e| e > now));
        }
        if keys.len() >= KEY_CAP
            && let Some(soonest) = keys
                .values()
                .filter_map(|k| Some((k.expires?, k.access_key.clone())))
                .min()
                .map(|(_, id)| id)
        {
            keys.remove(&soonest);
        }
        keys.insert(key.access_key.clone(), Arc::new(key));
    }

    /// The key with this id.
    pub fn key(&self, access_key: &str) -> Option<Arc<Key>> {
        self.keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(access_key)
            .cloned()
    }

    /// Adds a role.
    pub fn add_role(&mut self, role: Role) {
        self.roles.insert(role.arn.clone(), Arc::new(role));
    }

    /// Adds a managed policy (the template's `AWS::IAM::ManagedPolicy`) by its ARN.
    pub fn add_managed_policy(&mut self, arn: &str, document: Json) {
        self.managed.insert(arn.to_string(), document);
    }

    /// The managed policy with this ARN: the template's, or one of the AWS managed policies
    /// known locally (`aws_managed_policies`).
    pub fn managed_policy(&self, arn: &str) -> Option<&Json> {
        self.managed.get(arn)
    }

    /// The role with this ARN.
    pub fn role(&self, arn: &str) -> Option<&Arc<Role>> {
        self.roles.get(arn)
    }

    /// A new session of `session.role`, valid `duration_secs` from now: its credentials, now
    /// accepted on every request.
    pub fn issue_session(
        &self,
        session: Session,
        duration_secs: i64,
    ) -> (Credentials, Arc<Principal>) {
        let credentials = Credentials::random(now() + duration_secs);
        let principal = Arc::new(principals::session_principal(session));
        self.add_key(Key {
            access_key: credentials.access_key.clone(),
            secret: credentials.secret.clone(),
            session_token: Some(credentials.session_token.clone()),
            expires: Some(credentials.expiration),
            principal: Arc::clone(&principal),
        });
        (credentials, principal)
    }

    /// The local account's administrator (`arn:aws:iam::<account>:user/gatehouse-admin`, with
    /// `AdministratorAccess`) holding `access_key`/`secret`.
    pub fn admin_key(&self, access_key: &str, secret: &str) -> Key {
        Key {
            access_key: access_key.into(),
            secret: secret.into(),
            session_token: None,
            expires: None,
            principal: Arc::new(Principal {
                arn: format!("arn:aws:iam::{}:user/{ADMIN}", self.account),
                account: self.account.clone(),
                user_id: admin_user_id(&self.account),
                name: ADMIN.into(),
                policies: vec![administrator_access()],
                session: None,
            }),
        }
    }

    /// The account.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Checks a request's signature for `service` (`execute-api`, `sts`) at `now`: its caller,
    /// or AWS's refusal.
    pub fn authenticate(
        &self,
        req: &sigv4::Request<'_>,
        service: &str,
        now: i64,
    ) -> Result<Authenticated, sigv4::Refusal> {
        let sig = sigv4::parse(req)?;
        sigv4::check_scope(&sig, &self.region, service, now)?;
        let Some(key) = self.key(&sig.access_key) else {
            return Err(sigv4::Refusal::unknown_token());
        };
        match (&key.session_token, &sig.session_token) {
            (None, None) => {}
            (Some(want), Some(got))
                if common::digest::constant_time_eq(want.as_bytes(), got.as_bytes()) => {}
            _ => return Err(sigv4::Refusal::unknown_token()),
        }
        sigv4::verify(req, &sig, &key.secret)?;
        if key.expires.is_some_and(|e| e <= now) {
            return Err(sigv4::Refusal::expired_token());
        }
        Ok(Authenticated { key })
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
        self.decide(
            who.map(|a| &*a.key.principal),
            action,
            resource,
            &Request {
                source_ip,
                ..Request::default()
            },
            resource_policy,
            false,
        )
    }

    /// The decision for `principal` (none: anonymous) asking `action` on `resource`, with the
    /// policy of the resource (a role's trust policy, an API's resource policy) and the
    /// request's own condition values; `named_only` as [`Caller::named_only`].
    pub(crate) fn decide(
        &self,
        principal: Option<&Principal>,
        action: &str,
        resource: &str,
        request: &Request<'_>,
        resource_policy: Option<&Json>,
        named_only: bool,
    ) -> Decision {
        let make = || condition_values(principal, request);
        let context = policy::Context::lazy(&make);
        let caller = match principal {
            Some(p) => Caller {
                arn: p.arn.clone(),
                account: p.account.clone(),
                role_arn: p.session.as_ref().map(|s| s.role.arn.clone()),
                service: None,
                federated: None,
                named_only,
            },
            None => Caller {
                service: request.service.map(str::to_string),
                federated: request.federated.map(str::to_string),
                named_only,
                ..Caller::default()
            },
        };
        let identity: &[Json] = principal.map_or(&[], |p| p.policies.as_slice());
        let ask = policy::Ask {
            action,
            resource,
            caller: &caller,
            context: &context,
        };
        let decision = policy::evaluate(identity, resource_policy, &ask);
        if decision != Decision::Allow {
            return decision;
        }
        // A session policy and the role's permissions boundary each bound what the role's
        // policies allow (on AWS what a resource policy grants is bounded by them only when
        // it does not name the session itself; locally it always is, which can only refuse
        // more).
        let session = principal.and_then(|p| p.session.as_ref());
        if let Some(bound) = session.and_then(|s| s.policies.as_deref()) {
            let d = policy::evaluate(bound, None, &ask);
            if d != Decision::Allow {
                return d;
            }
        }
        if let Some(boundary) = session.and_then(|s| s.role.boundary.as_ref()) {
            return policy::evaluate(std::slice::from_ref(boundary), None, &ask);
        }
        decision
    }

    /// Whether a web identity vouched for by `federated` (`cognito-identity.amazonaws.com`)
    /// may assume `role`: its trust policy allows `sts:AssumeRoleWithWebIdentity` with the
    /// provider's `<federated>:aud`, `:sub` and `:amr` values.
    pub fn web_identity_may_assume(
        &self,
        role: &Role,
        federated: &str,
        aud: &str,
        sub: &str,
        amr: &[String],
    ) -> bool {
        let request = Request {
            federated: Some(federated),
            extra: vec![
                (format!("{federated}:aud"), vec![aud.to_string()]),
                (format!("{federated}:sub"), vec![sub.to_string()]),
                (format!("{federated}:amr"), amr.to_vec()),
            ],
            ..Request::default()
        };
        self.decide(
            None,
            "sts:AssumeRoleWithWebIdentity",
            &role.arn,
            &request,
            Some(&role.trust),
            false,
        ) == Decision::Allow
    }

    /// Whether `service` (`lambda.amazonaws.com`) may assume `role`: its trust policy admits
    /// it.
    pub fn service_may_assume(&self, role: &Role, service: &str) -> bool {
        let request = Request {
            service: Some(service),
            ..Request::default()
        };
        self.decide(
            None,
            "sts:AssumeRole",
            &role.arn,
            &request,
            Some(&role.trust),
            false,
        ) == Decision::Allow
    }
}

/// What a request adds to the condition values (beyond who asks).
#[derive(Debug, Clone, Default)]
pub(crate) struct Request<'a> {
    /// `aws:SourceIp`.
    pub source_ip: Option<&'a str>,
    /// A service asking (a trust policy's `Principal.Service`).
    pub service: Option<&'a str>,
    /// A web identity provider vouching for the caller (`Principal.Federated`).
    pub federated: Option<&'a str>,
    /// Further keys (lower case), e.g. `sts:externalid`, `aws:requesttag/<k>`.
    pub extra: Vec<(String, Vec<String>)>,
}

fn now() -> i64 {
    i64::try_from(common::date::now_secs()).unwrap_or(i64::MAX)
}

/// The condition values of a request: the global keys AWS sets, the principal's, and the
/// request's own.
fn condition_values(
    principal: Option<&Principal>,
    request: &Request<'_>,
) -> BTreeMap<String, Vec<String>> {
    let mut ctx: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut put = |k: &str, v: String| ctx.insert(k.into(), vec![v]);
    let now = now();
    put("aws:currenttime", common::date::iso8601(now));
    put("aws:epochtime", now.to_string());
    // Locally every request comes over plain HTTP.
    put("aws:securetransport", "false".into());
    if let Some(ip) = request.source_ip {
        put("aws:sourceip", ip.to_string());
    }
    if let Some(p) = principal {
        put("aws:principalaccount", p.account.clone());
        put("aws:principaltype", p.kind().into());
        put("aws:userid", p.user_id.clone());
        match &p.session {
            // A role session's aws:PrincipalArn is its role's ARN; it has no aws:username.
            Some(s) => {
                put("aws:principalarn", s.role.arn.clone());
                for (k, v) in &s.tags {
                    put(
                        &format!("aws:principaltag/{}", k.to_ascii_lowercase()),
                        v.clone(),
                    );
                }
            }
            None => {
                put("aws:principalarn", p.arn.clone());
                put("aws:username", p.name.clone());
            }
        }
    }
    for (k, v) in &request.extra {
        ctx.insert(k.clone(), v.clone());
    }
    ctx
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

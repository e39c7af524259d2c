//! STS through its HTTP edge, requests signed as a client signs them (`sigv4::authorization`;
//! botocore and the SDKs sign them in tests/conformance/test_sts.py).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::body::Body;
use axum::http::Request as HttpRequest;
use serde_json::json;
use tower::ServiceExt;

use crate::principals::Role;
use crate::{Iam, Key, Principal, sigv4};

const ACCOUNT: &str = "123456789012";

struct Keys {
    access_key: String,
    secret: String,
    token: Option<String>,
}

fn admin(iam: &Iam) -> Keys {
    iam.add_key(iam.admin_key("AKIAADMIN", "admin-secret"));
    Keys {
        access_key: "AKIAADMIN".into(),
        secret: "admin-secret".into(),
        token: None,
    }
}

/// A user with these identity policies.
fn user(iam: &Iam, name: &str, policies: Vec<serde_json::Value>) -> Keys {
    let access_key = format!("AKIA{}", name.to_uppercase());
    iam.add_key(Key {
        access_key: access_key.clone(),
        secret: format!("{name}-secret"),
        session_token: None,
        expires: None,
        principal: Arc::new(Principal {
            arn: format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
            account: ACCOUNT.into(),
            user_id: format!("AIDA{}", name.to_uppercase()),
            name: name.into(),
            policies,
            session: None,
        }),
    });
    Keys {
        access_key,
        secret: format!("{name}-secret"),
        token: None,
    }
}

fn stack() -> Iam {
    let mut iam = Iam::new(ACCOUNT, "us-east-1");
    let account_trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]});
    let reader_policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": "execute-api:Invoke", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}}]});
    iam.add_role(Role::new(
        ACCOUNT,
        "/",
        "Reader",
        account_trust.clone(),
        vec![reader_policy],
    ));
    let bob_trust = json!({"Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:user/bob")}, "Action": "sts:AssumeRole"}]});
    iam.add_role(Role::new(ACCOUNT, "/", "BobsRole", bob_trust, Vec::new()));
    let no_tags = json!({"Statement": [{"Effect": "Allow",
        "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}]});
    iam.add_role(Role::new(ACCOUNT, "/", "NoTags", no_tags, Vec::new()));
    iam.add_role(Role::new(
        ACCOUNT,
        "/",
        "ForLambda",
        Role::lambda_trust(),
        Vec::new(),
    ));
    iam
}

fn amz_now() -> String {
    common::date::amz_date(crate::now())
}

async fn call(iam: &Arc<Iam>, keys: Option<&Keys>, form: &str) -> (u16, String) {
    let date = amz_now();
    let mut headers: Vec<(&str, &str)> = vec![
        ("host", "127.0.0.1:9229"),
        (
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        ),
        ("x-amz-date", &date),
    ];
    if let Some(t) = keys.and_then(|k| k.token.as_deref()) {
        headers.push(("x-amz-security-token", t));
    }
    let auth = keys.map(|k| {
        let req = sigv4::Request {
            method: "POST",
            path: "/",
            query: None,
            headers: &headers,
            body: form.as_bytes(),
        };
        sigv4::authorization(&req, &k.access_key, &k.secret, "us-east-1", "sts").expect("signs")
    });
    let mut builder = HttpRequest::post("/");
    for (k, v) in &headers {
        builder = builder.header(*k, *v);
    }
    if let Some(a) = auth {
        builder = builder.header("authorization", a);
    }
    let req = builder.body(Body::from(form.to_string())).expect("request");
    let resp = super::super::service::app(Arc::clone(iam), None)
        .oneshot(req)
        .await
        .expect("answers");
    assert_eq!(resp.headers()["content-type"], "text/xml");
    let status = resp.status().as_u16();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn element<'a>(xml: &'a str, name: &str) -> &'a str {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open).map(|i| i + open.len());
    let end = xml.find(&close);
    match (start, end) {
        (Some(s), Some(e)) if s <= e => &xml[s..e],
        _ => panic!("no <{name}> in {xml}"),
    }
}

fn session_keys(xml: &str) -> Keys {
    Keys {
        access_key: element(xml, "AccessKeyId").into(),
        secret: element(xml, "SecretAccessKey").into(),
        token: Some(element(xml, "SessionToken").replace("&amp;", "&")),
    }
}

const ASSUME_READER: &str = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FReader&RoleSessionName=alice";

#[tokio::test]
async fn get_caller_identity_names_the_signer_and_unsigned_calls_are_refused() {
    let iam = Arc::new(stack());
    let k = admin(&iam);
    let (status, xml) = call(
        &iam,
        Some(&k),
        "Action=GetCallerIdentity&Version=2011-06-15",
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    assert!(xml.starts_with(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
    ));
    assert_eq!(
        element(&xml, "Arn"),
        "arn:aws:iam::123456789012:user/gatehouse-admin"
    );
    assert_eq!(element(&xml, "Account"), ACCOUNT);

    let (status, xml) = call(&iam, None, "Action=GetCallerIdentity&Version=2011-06-15").await;
    assert_eq!(status, 403);
    assert_eq!(element(&xml, "Code"), "MissingAuthenticationToken");
    assert_eq!(
        element(&xml, "Message"),
        "Request is missing Authentication Token"
    );
    assert_eq!(element(&xml, "Type"), "Sender");

    let forged = Keys {
        secret: "wrong".into(),
        ..admin(&iam)
    };
    let (status, xml) = call(
        &iam,
        Some(&forged),
        "Action=GetCallerIdentity&Version=2011-06-15",
    )
    .await;
    assert_eq!(
        (status, element(&xml, "Code")),
        (403, "SignatureDoesNotMatch")
    );
    let unknown = Keys {
        access_key: "AKIANOBODY".into(),
        ..admin(&iam)
    };
    let (status, xml) = call(
        &iam,
        Some(&unknown),
        "Action=GetCallerIdentity&Version=2011-06-15",
    )
    .await;
    assert_eq!(
        (status, element(&xml, "Code")),
        (403, "InvalidClientTokenId")
    );
    assert_eq!(
        element(&xml, "Message"),
        "The security token included in the request is invalid."
    );
    let (status, xml) = call(&iam, Some(&k), "Action=Frobnicate&Version=2011-06-15").await;
    assert_eq!((status, element(&xml, "Code")), (400, "InvalidAction"));
}

#[tokio::test]
async fn a_role_session_is_its_role_with_its_tags() {
    let iam = Arc::new(stack());
    let k = admin(&iam);
    let form = format!(
        "{ASSUME_READER}&Tags.member.1.Key=team&Tags.member.1.Value=blue&DurationSeconds=900"
    );
    let (status, xml) = call(&iam, Some(&k), &form).await;
    assert_eq!(status, 200, "{xml}");
    assert_eq!(
        element(&xml, "Arn"),
        "arn:aws:sts::123456789012:assumed-role/Reader/alice"
    );
    let role_id = &iam
        .role("arn:aws:iam::123456789012:role/Reader")
        .expect("role")
        .id;
    assert_eq!(element(&xml, "AssumedRoleId"), format!("{role_id}:alice"));
    let s = session_keys(&xml);
    assert!(s.access_key.starts_with("ASIA"));

    let (status, who) = call(
        &iam,
        Some(&s),
        "Action=GetCallerIdentity&Version=2011-06-15",
    )
    .await;
    assert_eq!(status, 200, "{who}");
    assert_eq!(
        element(&who, "Arn"),
        "arn:aws:sts::123456789012:assumed-role/Reader/alice"
    );
    assert_eq!(element(&who, "UserId"), format!("{role_id}:alice"));

    // Its role's policy allows execute-api:Invoke for the blue team only.
    let blue = iam.key(&s.access_key).expect("session key");
    let authenticated = crate::Authenticated { key: blue };
    let arn = "arn:aws:execute-api:us-east-1:123456789012:abc/Prod/GET/orders";
    assert_eq!(
        iam.authorize(Some(&authenticated), "execute-api:Invoke", arn, None, None),
        crate::Decision::Allow
    );
    let (_, xml) = call(&iam, Some(&k), &form.replace("Value=blue", "Value=red")).await;
    let red = iam.key(element(&xml, "AccessKeyId")).expect("session key");
    assert_eq!(
        iam.authorize(
            Some(&crate::Authenticated { key: red }),
            "execute-api:Invoke",
            arn,
            None,
            None
        ),
        crate::Decision::ImplicitDeny
    );

    // Without the token, the session's key is not accepted.
    let no_token = Keys {
        token: None,
        ..session_keys(&xml)
    };
    let (status, xml) = call(
        &iam,
        Some(&no_token),
        "Action=GetCallerIdentity&Version=2011-06-15",
    )
    .await;
    assert_eq!(
        (status, element(&xml, "Code")),
        (403, "InvalidClientTokenId")
    );
}

#[tokio::test]
async fn the_trust_policy_decides_who_may_assume_a_role() {
    let iam = Arc::new(stack());
    let admin = admin(&iam);
    // bob has no policies: a role naming him admits him; one trusting the account does not.
    let bob = user(&iam, "bob", Vec::new());
    let bobs = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FBobsRole&RoleSessionName=b1";
    let (status, xml) = call(&iam, Some(&bob), bobs).await;
    assert_eq!(status, 200, "{xml}");
    let (status, xml) = call(&iam, Some(&bob), ASSUME_READER).await;
    assert_eq!(status, 403);
    assert_eq!(element(&xml, "Code"), "AccessDenied");
    assert_eq!(
        element(&xml, "Message"),
        "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/Reader"
    );
    // The administrator's own policies allow it, and the account is trusted.
    let (status, _) = call(&iam, Some(&admin), ASSUME_READER).await;
    assert_eq!(status, 200);
    // ... but not a role that names only bob, nor a Lambda role, nor one that does not exist.
    let (status, _) = call(&iam, Some(&admin), bobs).await;
    assert_eq!(status, 403);
    for role in ["ForLambda", "Nobody"] {
        let form = ASSUME_READER.replace("role%2FReader", &format!("role%2F{role}"));
        let (status, xml) = call(&iam, Some(&admin), &form).await;
        assert_eq!(
            (status, element(&xml, "Code")),
            (403, "AccessDenied"),
            "{role}"
        );
    }
    // Tags need sts:TagSession in the trust policy.
    let no_tags = ASSUME_READER.replace("role%2FReader", "role%2FNoTags");
    let (status, _) = call(&iam, Some(&admin), &no_tags).await;
    assert_eq!(status, 200);
    let (status, xml) = call(
        &iam,
        Some(&admin),
        &format!("{no_tags}&Tags.member.1.Key=team&Tags.member.1.Value=blue"),
    )
    .await;
    assert_eq!(status, 403);
    assert!(element(&xml, "Message").contains("sts:TagSession"), "{xml}");
}

#[tokio::test]
async fn durations_session_names_and_chaining_are_checked_as_sts_does() {
    let iam = Arc::new(stack());
    let admin = admin(&iam);
    let (status, xml) = call(
        &iam,
        Some(&admin),
        &format!("{ASSUME_READER}&DurationSeconds=7200"),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        element(&xml, "Message"),
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    );
    let (status, xml) = call(
        &iam,
        Some(&admin),
        &format!("{ASSUME_READER}&DurationSeconds=60"),
    )
    .await;
    assert_eq!((status, element(&xml, "Code")), (400, "ValidationError"));
    let (status, xml) = call(&iam, Some(&admin), &ASSUME_READER.replace("alice", "a%20b")).await;
    assert_eq!(status, 400);
    assert!(
        element(&xml, "Message").contains("roleSessionName"),
        "{xml}"
    );
    let (status, xml) = call(
        &iam,
        Some(&admin),
        &ASSUME_READER.replace("&RoleSessionName=alice", ""),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        element(&xml, "Message").contains("Value null at 'roleSessionName'"),
        "{xml}"
    );

    // A session of Reader (the account is trusted) assuming Reader again: at most an hour.
    let mut long = iam
        .role("arn:aws:iam::123456789012:role/Reader")
        .expect("role")
        .as_ref()
        .clone();
    long.max_session_secs = 43200;
    let mut bigger = stack();
    bigger.add_role(long);
    let bigger = Arc::new(bigger);
    let admin = self::admin(&bigger);
    let (status, xml) = call(&bigger, Some(&admin), &format!("{ASSUME_READER}&DurationSeconds=7200&Tags.member.1.Key=team&Tags.member.1.Value=blue&TransitiveTagKeys.member.1=team")).await;
    assert_eq!(status, 200, "{xml}");
    let first = session_keys(&xml);
    // A role session's own policies do not allow sts:AssumeRole: the account trust needs them.
    let (status, _) = call(&bigger, Some(&first), ASSUME_READER).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn transitive_tags_pass_on_and_session_policies_bound_the_session() {
    let mut iam = stack();
    let chain_trust = json!({"Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:role/Reader"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]});
    let invoke_all = json!({"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}]});
    iam.add_role(Role::new(
        ACCOUNT,
        "/",
        "Next",
        chain_trust,
        vec![invoke_all],
    ));
    let iam = Arc::new(iam);
    let admin = admin(&iam);
    let (_, xml) = call(&iam, Some(&admin), &format!("{ASSUME_READER}&Tags.member.1.Key=team&Tags.member.1.Value=blue&TransitiveTagKeys.member.1=team")).await;
    let first = session_keys(&xml);
    let next = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FNext&RoleSessionName=second";
    let (status, xml) = call(&iam, Some(&first), &format!("{next}&DurationSeconds=7200")).await;
    assert_eq!(status, 400);
    assert_eq!(
        element(&xml, "Message"),
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assuming roles."
    );
    let (status, xml) = call(&iam, Some(&first), next).await;
    assert_eq!(status, 200, "{xml}");
    let second = iam.key(element(&xml, "AccessKeyId")).expect("key");
    let session = second.principal.session.as_ref().expect("a session");
    assert_eq!(
        session.tags,
        BTreeMap::from([("team".to_string(), "blue".to_string())])
    );
    assert_eq!(session.transitive, BTreeSet::from(["team".to_string()]));
    let (status, xml) = call(
        &iam,
        Some(&first),
        &format!("{next}&Tags.member.1.Key=team&Tags.member.1.Value=red"),
    )
    .await;
    assert_eq!(
        (status, element(&xml, "Code")),
        (400, "InvalidParameterValue"),
        "{xml}"
    );

    // A session policy that allows only GET bounds a role that allows everything.
    let policy = r#"{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:*/*/GET/*"}]}"#;
    let form = format!(
        "{next}&Policy={}",
        form_urlencoded::byte_serialize(policy.as_bytes()).collect::<String>()
    );
    let (status, xml) = call(&iam, Some(&first), &form).await;
    assert_eq!(status, 200, "{xml}");
    let bounded = crate::Authenticated {
        key: iam.key(element(&xml, "AccessKeyId")).expect("key"),
    };
    let base = "arn:aws:execute-api:us-east-1:123456789012:abc/Prod";
    assert_eq!(
        iam.authorize(
            Some(&bounded),
            "execute-api:Invoke",
            &format!("{base}/GET/x"),
            None,
            None
        ),
        crate::Decision::Allow
    );
    assert_eq!(
        iam.authorize(
            Some(&bounded),
            "execute-api:Invoke",
            &format!("{base}/POST/x"),
            None,
            None
        ),
        crate::Decision::ImplicitDeny
    );
    let (status, xml) = call(&iam, Some(&first), &format!("{next}&Policy=%7Bnot")).await;
    assert_eq!(
        (status, element(&xml, "Code")),
        (400, "MalformedPolicyDocument")
    );
}

#[tokio::test]
async fn expired_sessions_are_refused_and_session_tokens_are_for_users() {
    let iam = Arc::new(stack());
    let admin = admin(&iam);
    let (status, xml) = call(
        &iam,
        Some(&admin),
        "Action=GetSessionToken&Version=2011-06-15&DurationSeconds=900",
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    let token = session_keys(&xml);
    let (_, who) = call(
        &iam,
        Some(&token),
        "Action=GetCallerIdentity&Version=2011-06-15",
    )
    .await;
    assert_eq!(
        element(&who, "Arn"),
        "arn:aws:iam::123456789012:user/gatehouse-admin"
    );
    let (status, xml) = call(
        &iam,
        Some(&token),
        "Action=GetSessionToken&Version=2011-06-15",
    )
    .await;
    assert_eq!((status, element(&xml, "Code")), (403, "AccessDenied"));

    let role = Arc::clone(
        iam.role("arn:aws:iam::123456789012:role/Reader")
            .expect("role"),
    );
    let (c, _) = iam.issue_session(
        crate::Session {
            role,
            name: "old".into(),
            tags: BTreeMap::new(),
            transitive: BTreeSet::new(),
            policies: None,
            web_identity: None,
        },
        -1,
    );
    let expired = Keys {
        access_key: c.access_key,
        secret: c.secret,
        token: Some(c.session_token),
    };
    let (status, xml) = call(
        &iam,
        Some(&expired),
        "Action=GetCallerIdentity&Version=2011-06-15",
    )
    .await;
    assert_eq!((status, element(&xml, "Code")), (403, "ExpiredToken"));
    assert_eq!(
        element(&xml, "Message"),
        "The security token included in the request is expired"
    );
}

#[tokio::test]
async fn a_deny_on_a_missing_key_tags_in_any_case_and_source_identities_are_checked() {
    let mut iam = stack();
    // Deny unless the caller gives ExternalId "xx": a missing key makes StringNotEquals true.
    let trust = json!({"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": ["sts:AssumeRole", "sts:TagSession"]},
        {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Condition": {"StringNotEquals": {"sts:ExternalId": "xx"}}}]});
    iam.add_role(Role::new(ACCOUNT, "/", "External", trust, Vec::new()));
    let iam = Arc::new(iam);
    let admin = admin(&iam);
    let external = ASSUME_READER.replace("role%2FReader", "role%2FExternal");
    let (status, _) = call(&iam, Some(&admin), &external).await;
    assert_eq!(status, 403, "no ExternalId: denied");
    let (status, _) = call(&iam, Some(&admin), &format!("{external}&ExternalId=yy")).await;
    assert_eq!(status, 403);
    let (status, xml) = call(&iam, Some(&admin), &format!("{external}&ExternalId=xx")).await;
    assert_eq!(status, 200, "{xml}");

    // Tag keys are case-insensitive: two that differ in case are one key twice.
    let (status, xml) = call(&iam, Some(&admin), &format!("{ASSUME_READER}&Tags.member.1.Key=team&Tags.member.1.Value=a&Tags.member.2.Key=Team&Tags.member.2.Value=b")).await;
    assert_eq!(
        (status, element(&xml, "Code")),
        (400, "InvalidParameterValue")
    );
    assert_eq!(
        element(&xml, "Message"),
        "Duplicate tag keys found. Please note that Tag keys are case insensitive."
    );

    // A source identity needs sts:SetSourceIdentity, which Reader's trust does not allow.
    let (status, xml) = call(
        &iam,
        Some(&admin),
        &format!("{ASSUME_READER}&SourceIdentity=alice"),
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        element(&xml, "Message").contains("sts:SetSourceIdentity"),
        "{xml}"
    );

    // A session policy over 2048 characters is refused before anything else.
    let long = "%20".repeat(2049);
    let (status, xml) = call(
        &iam,
        Some(&admin),
        &format!("{ASSUME_READER}&Policy={long}"),
    )
    .await;
    assert_eq!((status, element(&xml, "Code")), (400, "ValidationError"));
}

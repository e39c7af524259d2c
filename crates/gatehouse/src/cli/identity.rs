//! `gatehouse login --identity-pool`: the signed-in user's ID token traded for temporary AWS
//! credentials through a Cognito identity pool (GetId, then GetCredentialsForIdentity, both
//! unsigned, as Amplify's `fetchAuthSession` does), printed as `export` lines.

use anyhow::{Context, bail};
use serde_json::{Value as Json, json};

/// Where the identity pool is served, and which one.
#[derive(Debug)]
pub struct Pool<'a> {
    /// `http://127.0.0.1:9229` locally, `https://cognito-identity.<region>.amazonaws.com` on AWS.
    pub endpoint: String,
    /// The identity pool's id (`<region>:<uuid>`).
    pub id: &'a str,
    /// The user pool the ID token is from.
    pub user_pool_id: &'a str,
    /// Its region.
    pub region: &'a str,
}

async fn call(endpoint: &str, op: &str, input: &Json) -> anyhow::Result<Json> {
    let target = format!("AWSCognitoIdentityService.{op}");
    let (status, answer) = super::http::post_json(
        &format!("{}/", endpoint.trim_end_matches('/')),
        &[
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", target.as_str()),
        ],
        input.to_string().into_bytes(),
    )
    .await?;
    if !status.is_success() {
        bail!(
            "{op} failed: {}: {}",
            answer["__type"].as_str().unwrap_or("error"),
            answer["message"].as_str().unwrap_or_default()
        );
    }
    Ok(answer)
}

/// The identity's credentials for `id_token`: `GetCredentialsForIdentity`'s answer.
pub async fn credentials(pool: &Pool<'_>, id_token: &str) -> anyhow::Result<Json> {
    // The login key is the user pool's provider name, the token's issuer without https://.
    let provider = format!(
        "cognito-idp.{}.amazonaws.com/{}",
        pool.region, pool.user_pool_id
    );
    let logins = json!({ provider: id_token });
    let id = call(
        &pool.endpoint,
        "GetId",
        &json!({"IdentityPoolId": pool.id, "Logins": logins}),
    )
    .await?;
    let identity = id["IdentityId"]
        .as_str()
        .context("GetId answered no IdentityId")?;
    call(
        &pool.endpoint,
        "GetCredentialsForIdentity",
        &json!({"IdentityId": identity, "Logins": logins}),
    )
    .await
}

/// `export` lines for a shell, and the identity and expiry as a comment.
pub fn exports(answer: &Json) -> anyhow::Result<String> {
    let c = &answer["Credentials"];
    // The lines are for `eval`: only a credential's own characters pass.
    let get = |k: &str| -> anyhow::Result<&str> {
        let v = c[k]
            .as_str()
            .with_context(|| format!("GetCredentialsForIdentity answered no {k}"))?;
        if v.is_empty()
            || !v
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/+=".contains(&b))
        {
            bail!("GetCredentialsForIdentity answered a {k} that is not a credential");
        }
        Ok(v)
    };
    let expires = c["Expiration"]
        .as_f64()
        .map(|e| common::date::iso8601(e as i64))
        .unwrap_or_default();
    Ok(format!(
        "export AWS_ACCESS_KEY_ID={}\nexport AWS_SECRET_ACCESS_KEY={}\nexport AWS_SESSION_TOKEN={}\n# identity {}, until {expires}\n",
        get("AccessKeyId")?,
        get("SecretKey")?,
        get("SessionToken")?,
        answer["IdentityId"].as_str().unwrap_or_default()
    ))
}

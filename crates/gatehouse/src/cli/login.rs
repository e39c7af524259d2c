//! `gatehouse login`: sign in through the Cognito API (the AWS SDK), locally or on AWS, answer
//! the first-login NEW_PASSWORD_REQUIRED challenge, and print the IdToken.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, bail};
use aws_sdk_cognitoidentityprovider as cognito;
use cognito::config::{BehaviorVersion, Credentials, Region};
use cognito::types::{AuthFlowType, AuthenticationResultType, ChallengeNameType};

use crate::local;

/// Flags of `gatehouse login`.
#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// The user (the email, in the template's pool).
    #[arg(long, required_unless_present = "browser")]
    pub username: Option<String>,
    /// Sign in through the hosted UI in a browser instead (authorization code with PKCE and a
    /// loopback redirect to one of the client's http://localhost callback URLs).
    #[arg(long, conflicts_with_all = ["password", "new_password", "srp"])]
    pub browser: bool,
    /// With --browser: the redirect URI to listen on (one of the client's CallbackURLs).
    #[arg(long, requires = "browser")]
    pub redirect_uri: Option<String>,
    /// With --browser: print the sign-in URL without opening a browser.
    #[arg(long, requires = "browser")]
    pub no_open: bool,
    /// The password (prompted for, hidden, when omitted on a terminal).
    #[arg(long)]
    pub password: Option<String>,
    /// The new password, when the user must set one at first sign-in.
    #[arg(long)]
    pub new_password: Option<String>,
    /// Use SRP (the password never leaves this machine); also used when the client does not
    /// allow USER_PASSWORD_AUTH.
    #[arg(long)]
    pub srp: bool,
    /// Print the whole AuthenticationResult as JSON instead of only the IdToken.
    #[arg(long)]
    pub json: bool,
    /// Trade the ID token for temporary AWS credentials through this Cognito identity pool
    /// (the local stack's only one when no id is given) and print them as `export` lines
    /// (with --json, GetCredentialsForIdentity's answer).
    #[arg(long, num_args = 0..=1, default_missing_value = "", value_name = "IDENTITY_POOL_ID",
          conflicts_with = "browser")]
    pub identity_pool: Option<String>,
    /// A Cognito endpoint (e.g. another local stack, or moto); needs --client-id.
    #[arg(long, conflicts_with = "stack")]
    pub endpoint_url: Option<String>,
    /// A CloudFormation stack on AWS whose outputs name CognitoID and CognitoClientID.
    #[arg(long)]
    pub stack: Option<String>,
    /// The user pool (on AWS, or at --endpoint-url).
    #[arg(long, conflicts_with = "stack")]
    pub user_pool_id: Option<String>,
    /// The app client (on AWS, or at --endpoint-url).
    #[arg(long, conflicts_with = "stack")]
    pub client_id: Option<String>,
    /// The local stack's state dir (used when no other target is given).
    #[arg(long, default_value = ".gatehouse")]
    pub state_dir: PathBuf,
    /// Region, when not from the AWS configuration.
    #[arg(long)]
    pub region: Option<String>,
}

/// Where to sign in.
struct Target {
    client: cognito::Client,
    pool_id: Option<String>,
    client_id: String,
    /// A local (or other non-AWS) Cognito endpoint; `None` on AWS.
    endpoint: Option<String>,
    /// The region (on AWS: the hosted UI's host).
    region: String,
}

fn local_client(endpoint: &str, region: &str) -> cognito::Client {
    let config = cognito::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new("local", "local", None, None, "gatehouse"))
        .endpoint_url(endpoint)
        .build();
    cognito::Client::from_conf(config)
}

async fn aws_config(region: Option<&str>) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(r) = region {
        loader = loader.region(Region::new(r.to_string()));
    }
    loader.load().await
}

async fn target(args: &LoginArgs) -> anyhow::Result<Target> {
    let region = args.region.as_deref();
    if let Some(stack) = &args.stack {
        let config = aws_config(region).await;
        let cf = aws_sdk_cloudformation::Client::new(&config);
        let described = cf
            .describe_stacks()
            .stack_name(stack)
            .send()
            .await
            .with_context(|| format!("cannot read the outputs of stack {stack} (are your AWS credentials and region set?)"))?;
        let outputs: HashMap<String, String> = described
            .stacks()
            .first()
            .map(|s| {
                s.outputs()
                    .iter()
                    .filter_map(|o| {
                        Some((o.output_key()?.to_string(), o.output_value()?.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let get = |k: &str| {
            outputs
                .get(k)
                .cloned()
                .with_context(|| format!("stack {stack} has no output {k}"))
        };
        let pool_id = get("CognitoID")?;
        return Ok(Target {
            client: cognito::Client::new(&config),
            region: config.region().map_or_else(
                || pool_id.split('_').next().unwrap_or("us-east-1").to_string(),
                ToString::to_string,
            ),
            pool_id: Some(pool_id),
            client_id: get("CognitoClientID")?,
            endpoint: None,
        });
    }
    if let Some(client_id) = &args.client_id {
        let (client, region) = match &args.endpoint_url {
            Some(url) => {
                let r = region.unwrap_or("us-east-1");
                (local_client(url, r), r.to_string())
            }
            None => {
                let config = aws_config(region).await;
                let r = config
                    .region()
                    .map_or_else(|| "us-east-1".to_string(), ToString::to_string);
                (cognito::Client::new(&config), r)
            }
        };
        return Ok(Target {
            client,
            pool_id: args.user_pool_id.clone(),
            client_id: client_id.clone(),
            endpoint: args.endpoint_url.clone(),
            region,
        });
    }
    if args.endpoint_url.is_some() || args.user_pool_id.is_some() {
        bail!("--endpoint-url and --user-pool-id need --client-id too");
    }
    let outputs = local::outputs(&args.state_dir)?;
    let endpoints = local::endpoints(&args.state_dir)?;
    let get = |k: &str| {
        outputs.get(k).cloned().with_context(|| {
            format!("the local stack has no output {k}: pass --user-pool-id and --client-id")
        })
    };
    let pool_id = get("CognitoID")?;
    let region = pool_id.split('_').next().unwrap_or("us-east-1").to_string();
    Ok(Target {
        client: local_client(&endpoints.cognito, &region),
        pool_id: Some(pool_id),
        client_id: get("CognitoClientID")?,
        endpoint: Some(endpoints.cognito.clone()),
        region,
    })
}

fn secret(given: Option<&String>, prompt: &str, missing: &str) -> anyhow::Result<String> {
    if let Some(p) = given {
        return Ok(p.clone());
    }
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(prompt).context("cannot read the password");
    }
    bail!("{missing}")
}

/// The service's own error, as the SDK reports it, after `what` failed.
pub(crate) fn sdk_failure<E: cognito::error::ProvideErrorMetadata>(
    what: &str,
    e: &E,
) -> anyhow::Error {
    anyhow::anyhow!("{what}: {}", service_message(e))
}

/// The service's own message, as the SDK reports it.
fn service_message<E: cognito::error::ProvideErrorMetadata>(e: &E) -> String {
    match (e.code(), e.message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_string(),
        _ => "the sign-in failed".into(),
    }
}

/// `gatehouse login --browser`: the hosted UI, found through the pool's domain and the
/// client's callback URLs.
async fn browser(args: &LoginArgs, t: &Target) -> anyhow::Result<()> {
    let pool_id = t
        .pool_id
        .as_deref()
        .context("--browser needs the pool id: pass --user-pool-id")?;
    let pool = t
        .client
        .describe_user_pool()
        .user_pool_id(pool_id)
        .send()
        .await
        .map_err(|e| sdk_failure("cannot read the pool", &e.into_service_error()))?;
    let domain = pool
        .user_pool()
        .and_then(|p| p.domain())
        .map(str::to_string);
    let described = t
        .client
        .describe_user_pool_client()
        .user_pool_id(pool_id)
        .client_id(&t.client_id)
        .send()
        .await
        .map_err(|e| sdk_failure("cannot read the app client", &e.into_service_error()))?;
    let c = described.user_pool_client();
    let base = match (&t.endpoint, &domain) {
        (Some(e), Some(d)) => format!("{}/{d}", e.trim_end_matches('/')),
        (Some(e), None) => format!("{}/{pool_id}", e.trim_end_matches('/')),
        (None, Some(d)) => format!("https://{d}.auth.{}.amazoncognito.com", t.region),
        (None, None) => bail!(
            "pool {pool_id} has no domain, so it has no hosted UI: give it an AWS::Cognito::UserPoolDomain"
        ),
    };
    let target = super::browser::Target {
        base,
        client_id: t.client_id.clone(),
        client_secret: c.and_then(|c| c.client_secret()).map(str::to_string),
        callback_urls: c.map(|c| c.callback_urls().to_vec()).unwrap_or_default(),
    };
    let answer =
        super::browser::sign_in(&target, args.redirect_uri.as_deref(), !args.no_open).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
    } else {
        println!(
            "{}",
            answer["id_token"].as_str().context(
                "the token endpoint gave no id_token (does the client allow the openid scope?)"
            )?
        );
    }
    Ok(())
}

/// Runs `gatehouse login`.
pub async fn run(args: LoginArgs) -> anyhow::Result<()> {
    let t = target(&args).await?;
    if args.browser {
        return browser(&args, &t).await;
    }
    let username = args.username.clone().unwrap_or_default();
    let password = secret(
        args.password.as_ref(),
        "Password: ",
        "pass --password (no terminal to ask for it on)",
    )?;
    let mut answer = if args.srp {
        srp_sign_in(&t, &username, &password).await?
    } else {
        let tried = t
            .client
            .initiate_auth()
            .client_id(&t.client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", &username)
            .auth_parameters("PASSWORD", &password)
            .send()
            .await;
        match tried {
            Ok(out) => Answer {
                result: out.authentication_result().cloned(),
                challenge: out.challenge_name().cloned(),
                session: out.session().map(str::to_string),
                params: out.challenge_parameters().cloned().unwrap_or_default(),
            },
            Err(e) => {
                let e = e.into_service_error();
                let msg = service_message(&e);
                if e.is_invalid_parameter_exception() && msg.contains("flow not enabled") {
                    srp_sign_in(&t, &username, &password).await?
                } else {
                    bail!("sign-in failed: {msg}");
                }
            }
        }
    };
    if answer.challenge == Some(ChallengeNameType::NewPasswordRequired) {
        let new_password = secret(
            args.new_password.as_ref(),
            "This user must set a new password. New password: ",
            "this user must set a new password at first sign-in: pass --new-password <new password>",
        )?;
        let user_id = answer
            .params
            .get("USER_ID_FOR_SRP")
            .cloned()
            .unwrap_or_else(|| username.clone());
        let out = t
            .client
            .respond_to_auth_challenge()
            .client_id(&t.client_id)
            .challenge_name(ChallengeNameType::NewPasswordRequired)
            .set_session(answer.session.clone())
            .challenge_responses("USERNAME", user_id)
            .challenge_responses("NEW_PASSWORD", new_password)
            .send()
            .await
            .map_err(|e| sdk_failure("setting the new password failed", &e.into_service_error()))?;
        answer.result = out.authentication_result().cloned();
        answer.challenge = out.challenge_name().cloned();
    }
    let Some(result) = answer.result else {
        bail!(
            "the pool answered with a {} challenge, which gatehouse login does not handle",
            answer
                .challenge
                .map_or_else(|| "different".to_string(), |c| c.as_str().to_string())
        );
    };
    if let Some(pool) = &args.identity_pool {
        return print_credentials(&args, &t, pool, &result).await;
    }
    print_result(&result, args.json)
}

/// `--identity-pool`: the credentials of the signed-in user's identity.
async fn print_credentials(
    args: &LoginArgs,
    t: &Target,
    pool: &str,
    result: &AuthenticationResultType,
) -> anyhow::Result<()> {
    let id_token = result.id_token().context("the pool returned no IdToken")?;
    let user_pool_id = t
        .pool_id
        .as_deref()
        .context("--identity-pool needs the user pool id: pass --user-pool-id")?;
    let id = if pool.is_empty() {
        let pools = local::identity_pools(&args.state_dir)?;
        match pools.as_slice() {
            [one] => one.clone(),
            [] => bail!("the local stack has no identity pool: give one with --identity-pool <id>"),
            many => bail!(
                "the local stack has {} identity pools: name one with --identity-pool <id> ({})",
                many.len(),
                many.join(", ")
            ),
        }
    } else {
        pool.to_string()
    };
    let endpoint = t
        .endpoint
        .clone()
        .unwrap_or_else(|| format!("https://cognito-identity.{}.amazonaws.com", t.region));
    let answer = super::identity::credentials(
        &super::identity::Pool {
            endpoint,
            id: &id,
            user_pool_id,
            region: &t.region,
        },
        id_token,
    )
    .await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
    } else {
        print!("{}", super::identity::exports(&answer)?);
    }
    Ok(())
}

/// What one sign-in step answered.
struct Answer {
    result: Option<AuthenticationResultType>,
    challenge: Option<ChallengeNameType>,
    session: Option<String>,
    params: HashMap<String, String>,
}

async fn srp_sign_in(t: &Target, username: &str, password: &str) -> anyhow::Result<Answer> {
    let pool_id = t
        .pool_id
        .as_deref()
        .context("SRP needs the pool id: pass --user-pool-id")?;
    let srp = aws_cognito_srp::SrpClient::new(
        aws_cognito_srp::User::new(pool_id, username, password),
        &t.client_id,
        None,
    );
    let params = srp.get_auth_parameters();
    let init = t
        .client
        .initiate_auth()
        .client_id(&t.client_id)
        .auth_flow(AuthFlowType::UserSrpAuth)
        .auth_parameters("USERNAME", &params.username)
        .auth_parameters("SRP_A", &params.a)
        .send()
        .await
        .map_err(|e| sdk_failure("sign-in failed", &e.into_service_error()))?;
    let cp = init.challenge_parameters().cloned().unwrap_or_default();
    let get = |k: &str| {
        cp.get(k)
            .cloned()
            .with_context(|| format!("the pool's SRP challenge has no {k}"))
    };
    let user_id = get("USER_ID_FOR_SRP")?;
    let verified = srp
        .verify(
            &get("SECRET_BLOCK")?,
            &user_id,
            &get("SALT")?,
            &get("SRP_B")?,
        )
        .map_err(|e| anyhow::anyhow!("SRP failed: {e:?}"))?;
    let out = t
        .client
        .respond_to_auth_challenge()
        .client_id(&t.client_id)
        .challenge_name(ChallengeNameType::PasswordVerifier)
        .challenge_responses("USERNAME", cp.get("USERNAME").cloned().unwrap_or(user_id))
        .challenge_responses(
            "PASSWORD_CLAIM_SECRET_BLOCK",
            verified.password_claim_secret_block,
        )
        .challenge_responses(
            "PASSWORD_CLAIM_SIGNATURE",
            verified.password_claim_signature,
        )
        .challenge_responses("TIMESTAMP", verified.timestamp)
        .send()
        .await
        .map_err(|e| sdk_failure("sign-in failed", &e.into_service_error()))?;
    Ok(Answer {
        result: out.authentication_result().cloned(),
        challenge: out.challenge_name().cloned(),
        session: out.session().map(str::to_string),
        params: out.challenge_parameters().cloned().unwrap_or_default(),
    })
}

fn print_result(r: &AuthenticationResultType, json: bool) -> anyhow::Result<()> {
    if json {
        let v = serde_json::json!({
            "AccessToken": r.access_token(),
            "ExpiresIn": r.expires_in(),
            "TokenType": r.token_type(),
            "RefreshToken": r.refresh_token(),
            "IdToken": r.id_token(),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("{}", r.id_token().context("the pool returned no IdToken")?);
    }
    Ok(())
}

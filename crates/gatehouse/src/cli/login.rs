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
    #[arg(long)]
    pub username: String,
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
        return Ok(Target {
            client: cognito::Client::new(&config),
            pool_id: Some(get("CognitoID")?),
            client_id: get("CognitoClientID")?,
        });
    }
    if let Some(client_id) = &args.client_id {
        let client = match &args.endpoint_url {
            Some(url) => local_client(url, region.unwrap_or("us-east-1")),
            None => cognito::Client::new(&aws_config(region).await),
        };
        return Ok(Target {
            client,
            pool_id: args.user_pool_id.clone(),
            client_id: client_id.clone(),
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

/// Runs `gatehouse login`.
pub async fn run(args: LoginArgs) -> anyhow::Result<()> {
    let t = target(&args).await?;
    let password = secret(
        args.password.as_ref(),
        "Password: ",
        "pass --password (no terminal to ask for it on)",
    )?;
    let mut answer = if args.srp {
        srp_sign_in(&t, &args.username, &password).await?
    } else {
        let tried = t
            .client
            .initiate_auth()
            .client_id(&t.client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", &args.username)
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
                    srp_sign_in(&t, &args.username, &password).await?
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
            .unwrap_or_else(|| args.username.clone());
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
    print_result(&result, args.json)
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

//! The AWS services gatehouse does not serve, reached by functions at endpoints the user gives:
//! `--endpoint SERVICE=URL` sets `AWS_ENDPOINT_URL_<SERVICE>` in every function, the variable
//! the AWS SDKs (boto3/botocore ≥ 1.31.7, the v3 JS SDK, the AWS CLI v2 and others) read for a
//! service-specific endpoint. Its `<SERVICE>` is the SDK's service id in upper case with spaces
//! as underscores (AWS's "Service-specific endpoints" reference: `SQS`, `S3`, `EVENTBRIDGE`,
//! `SECRETS_MANAGER`, `SFN`, `CLOUDWATCH_LOGS`); the CLI's names for the services whose id is
//! spelt otherwise (`events`, `secretsmanager`, `stepfunctions`, `logs`) are taken too.

use anyhow::bail;

/// The services gatehouse serves itself, which an `--endpoint` may not point elsewhere: the
/// functions' credentials, sign-in and Lambda-to-Lambda calls go through them.
const SERVED: &[(&str, &str)] = &[
    (
        "STS",
        "gatehouse serves STS (the functions' role sessions come from it)",
    ),
    (
        "COGNITO_IDENTITY_PROVIDER",
        "gatehouse serves the template's user pools",
    ),
    (
        "COGNITO_IDENTITY",
        "gatehouse serves the template's identity pools",
    ),
    (
        "LAMBDA",
        "gatehouse serves Lambda's Invoke API for the template's functions",
    ),
];

/// The CLI's names for services whose SDK id is spelt otherwise.
const ALIASES: &[(&str, &str)] = &[
    ("EVENTS", "EVENTBRIDGE"),
    ("SECRETSMANAGER", "SECRETS_MANAGER"),
    ("STEPFUNCTIONS", "SFN"),
    ("STATES", "SFN"),
    ("LOGS", "CLOUDWATCH_LOGS"),
    ("COGNITO_IDP", "COGNITO_IDENTITY_PROVIDER"),
    ("DDB", "DYNAMODB"),
];

/// The `<SERVICE>` of `AWS_ENDPOINT_URL_<SERVICE>` for a name as a user writes it (`sqs`,
/// `secrets-manager`, `events`, `SECRETS_MANAGER`).
pub fn service_id(name: &str) -> String {
    let id: String = name
        .trim()
        .chars()
        .map(|c| match c {
            '-' | ' ' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect();
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == id)
        .map_or(id, |(_, real)| (*real).to_string())
}

/// One `--endpoint SERVICE=URL`, read: (service id, URL).
pub fn parse(raw: &str) -> anyhow::Result<(String, String)> {
    let Some((name, url)) = raw.split_once('=') else {
        bail!("--endpoint takes SERVICE=URL (e.g. sqs=http://127.0.0.1:4566), got {raw:?}");
    };
    let id = service_id(name);
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        bail!(
            "--endpoint {raw}: {name:?} is not a service name (the SDK's, as in AWS_ENDPOINT_URL_<SERVICE>: sqs, s3, sns, eventbridge, secrets_manager, …)"
        );
    }
    if let Some((_, why)) = SERVED.iter().find(|(s, _)| *s == id) {
        bail!("--endpoint {raw}: {why}; its endpoint cannot be changed");
    }
    let uri: hyper::Uri = url
        .parse()
        .map_err(|_| anyhow::anyhow!("--endpoint {raw}: {url:?} is not a URL"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        bail!("--endpoint {raw}: {url:?} is not an http:// or https:// URL");
    }
    Ok((id, url.trim_end_matches('/').to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_the_sdk_service_ids() {
        assert_eq!(service_id("sqs"), "SQS");
        assert_eq!(service_id("secrets-manager"), "SECRETS_MANAGER");
        assert_eq!(service_id("secretsmanager"), "SECRETS_MANAGER");
        assert_eq!(service_id("events"), "EVENTBRIDGE");
        assert_eq!(service_id("Elastic Beanstalk"), "ELASTIC_BEANSTALK");
    }

    #[test]
    fn an_endpoint_is_a_service_and_a_url() {
        assert_eq!(
            parse("sqs=http://127.0.0.1:4566/").ok(),
            Some(("SQS".to_string(), "http://127.0.0.1:4566".to_string()))
        );
        for bad in [
            "sqs",
            "=http://x",
            "sqs=localhost:4566",
            "sqs=ftp://x",
            "s!3=http://x",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let sts = parse("sts=http://127.0.0.1:1").err().map(|e| e.to_string());
        assert!(sts.is_some_and(|e| e.contains("gatehouse serves STS")));
    }
}

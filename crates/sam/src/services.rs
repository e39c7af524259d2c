//! The AWS service a resource type belongs to, named as the SDKs name it in
//! `AWS_ENDPOINT_URL_<SERVICE>`: where a function's calls about a not-emulated resource go.

/// The service whose SDK a function would call for a resource of `type_name`, when it is one
/// an endpoint can stand in for.
pub fn of_resource_type(type_name: &str) -> Option<&'static str> {
    if type_name == "AWS::Serverless::StateMachine" {
        return Some("SFN");
    }
    if type_name == "AWS::Serverless::SimpleTable" {
        return Some("DYNAMODB");
    }
    let namespace = type_name.strip_prefix("AWS::")?.split("::").next()?;
    Some(match namespace {
        "SQS" => "SQS",
        "SNS" => "SNS",
        "S3" => "S3",
        "Events" => "EVENTBRIDGE",
        "Scheduler" => "SCHEDULER",
        "SecretsManager" => "SECRETS_MANAGER",
        "SSM" => "SSM",
        "Kinesis" => "KINESIS",
        "KinesisFirehose" => "FIREHOSE",
        "StepFunctions" => "SFN",
        "Logs" => "CLOUDWATCH_LOGS",
        "CloudWatch" => "CLOUDWATCH",
        "KMS" => "KMS",
        "SES" => "SES",
        "AppSync" => "APPSYNC",
        "DynamoDB" => "DYNAMODB",
        "ElastiCache" => "ELASTICACHE",
        "RDS" => "RDS",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_types_name_their_service() {
        assert_eq!(of_resource_type("AWS::SQS::Queue"), Some("SQS"));
        assert_eq!(of_resource_type("AWS::Events::Rule"), Some("EVENTBRIDGE"));
        assert_eq!(
            of_resource_type("AWS::Serverless::StateMachine"),
            Some("SFN")
        );
        assert_eq!(of_resource_type("AWS::IAM::Role"), None);
        assert_eq!(of_resource_type("Custom::Thing"), None);
    }
}

//! What `Fn::GetAtt` gives for every CloudFormation resource type: its attributes and their
//! JSON types, from the resource provider schemas cfn-lint ships (`data/getatt.txt`, generated
//! by `data/getatt.py` from cfn-lint 1.58.0; MIT-0), with cfn-lint's own notion of which
//! attributes exist. Not-emulated resources get stand-ins of the right type: a list where AWS
//! returns a list, a number where it returns a number.

use std::collections::HashMap;
use std::sync::LazyLock;

const TABLE: &str = include_str!("../data/getatt.txt");

/// The JSON type of an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrKind {
    /// A string.
    String,
    /// A list.
    List,
    /// An integer.
    Integer,
    /// A number.
    Number,
    /// `true`/`false`.
    Boolean,
    /// An object.
    Object,
    /// No one type (custom resources).
    Json,
}

type Table = HashMap<&'static str, Vec<(&'static str, AttrKind)>>;

static TYPES: LazyLock<Table> = LazyLock::new(|| {
    let mut out = HashMap::new();
    for line in TABLE.lines().filter(|l| !l.starts_with('#')) {
        let mut words = line.split(' ');
        let Some(type_name) = words.next() else {
            continue;
        };
        let attrs = words
            .filter_map(|w| {
                let (name, kind) = w.split_once([':', '='])?;
                let kind = match kind {
                    "list" => AttrKind::List,
                    "integer" => AttrKind::Integer,
                    "number" => AttrKind::Number,
                    "boolean" => AttrKind::Boolean,
                    "object" => AttrKind::Object,
                    "json" => AttrKind::Json,
                    _ => AttrKind::String,
                };
                Some((name, kind))
            })
            .collect();
        out.insert(type_name, attrs);
    }
    out
});

/// What the schemas say of `type_name.attribute`.
#[derive(Debug, PartialEq)]
pub enum Lookup {
    /// The type has it, of this kind.
    Has(AttrKind),
    /// The type does not have it; these are its attributes.
    Not(Vec<&'static str>),
    /// The schemas do not know the type (a custom resource, a type newer than the table).
    UnknownType,
}

/// The attribute `attribute` of a resource of `type_name`.
pub fn lookup(type_name: &str, attribute: &str) -> Lookup {
    if type_name.starts_with("Custom::") {
        return Lookup::Has(AttrKind::Json);
    }
    let Some(attrs) = TYPES.get(type_name) else {
        return Lookup::UnknownType;
    };
    let found = attrs.iter().find(|(name, _)| {
        *name == attribute
            || *name == "*"
            || name
                .strip_suffix('*')
                .is_some_and(|prefix| prefix.ends_with('.') && attribute.starts_with(prefix))
    });
    match found {
        Some((_, kind)) => Lookup::Has(*kind),
        None => Lookup::Not(attrs.iter().map(|(n, _)| *n).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_types_lists_numbers_and_strings_as_the_schemas_do() {
        use AttrKind::*;
        // Over twenty types, each checked against its CloudFormation schema.
        let cases = [
            ("AWS::EC2::VPCEndpoint", "DnsEntries", List),
            ("AWS::EC2::VPCEndpoint", "NetworkInterfaceIds", List),
            ("AWS::EC2::VPCEndpoint", "Id", String),
            ("AWS::EC2::Subnet", "Ipv6CidrBlocks", List),
            ("AWS::EC2::VPC", "CidrBlockAssociations", List),
            ("AWS::Route53::HostedZone", "NameServers", List),
            (
                "AWS::ElasticLoadBalancingV2::LoadBalancer",
                "SecurityGroups",
                List,
            ),
            ("AWS::MemoryDB::Cluster", "ClusterEndpoint.Port", Integer),
            ("AWS::RDS::DBCluster", "Endpoint.Port", String),
            ("AWS::RDS::DBCluster", "Endpoint.Address", String),
            (
                "AWS::EC2::CapacityReservation",
                "AvailableInstanceCount",
                Integer,
            ),
            ("AWS::Logs::LogAnomalyDetector", "CreationTimeStamp", Number),
            ("AWS::SQS::Queue", "DelaySeconds", Integer),
            ("AWS::SQS::Queue", "QueueUrl", String),
            ("AWS::IAM::ManagedPolicy", "IsAttachable", Boolean),
            ("AWS::Kinesis::Stream", "WarmThroughputObject", Object),
            ("AWS::SNS::Topic", "TopicArn", String),
            ("AWS::DynamoDB::Table", "StreamArn", String),
            ("AWS::Cognito::UserPool", "ProviderURL", String),
            ("AWS::EFS::FileSystem", "FileSystemId", String),
            (
                "AWS::ElastiCache::CacheCluster",
                "RedisEndpoint.Address",
                String,
            ),
            ("AWS::ECR::Repository", "RepositoryUri", String),
            ("AWS::Lambda::Url", "FunctionUrl", String),
            ("AWS::AppSync::GraphQLApi", "GraphQLUrl", String),
            ("AWS::ApiGatewayV2::Api", "ApiEndpoint", String),
            ("AWS::StepFunctions::StateMachine", "Name", String),
            ("AWS::CloudFormation::Stack", "Outputs.BucketName", String),
        ];
        for (t, a, k) in cases {
            assert_eq!(lookup(t, a), Lookup::Has(k), "{t}.{a}");
        }
        let types: std::collections::HashSet<&str> = cases.iter().map(|c| c.0).collect();
        assert!(types.len() >= 20);
    }

    #[test]
    fn an_attribute_the_type_does_not_have_lists_the_ones_it_has() {
        assert_eq!(
            lookup("AWS::EC2::VPCEndpoint", "DnsEntry"),
            Lookup::Not(vec![
                "CreationTimestamp",
                "DnsEntries",
                "Id",
                "NetworkInterfaceIds"
            ])
        );
        assert_eq!(
            lookup("Custom::Thing", "Anything"),
            Lookup::Has(AttrKind::Json)
        );
        assert_eq!(lookup("AWS::Made::Up", "Arn"), Lookup::UnknownType);
    }
}

use super::*;

const TEMPLATE: &str = include_str!("../../../template.yaml");

fn stack(text: &str, overrides: &[(&str, &str)]) -> Result<Stack, TemplateError> {
    let o: Vec<(String, String)> = overrides
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect();
    Stack::parse(Path::new("t.yaml"), text, &o, Pseudo::default())
}

fn created() -> Physical {
    let mut ph = Physical::default();
    ph.insert(
        "UserPool",
        "us-east-1_AbCdEfGhI".into(),
        &[(
            "Arn",
            Json::String(
                "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEfGhI".into(),
            ),
        )],
    );
    ph.insert(
        "UserPoolTokenClient",
        "abcdefghijklmnopqrstuvwxyz".into(),
        &[],
    );
    ph
}

#[test]
fn project_template_parameters_take_defaults_and_overrides() {
    let s = stack(TEMPLATE, &[("YourEmail", "me@example.com")]).expect("loads");
    assert_eq!(s.parameters["YourEmail"], "me@example.com");
    assert_eq!(s.parameters["Version"], "v1");
    assert_eq!(s.parameters["Architecture"], "arm64");
}

#[test]
fn client_properties_resolve_the_pool_ref() {
    let s = stack(TEMPLATE, &[]).expect("loads");
    let client = s
        .resources_of("AWS::Cognito::UserPoolClient")
        .next()
        .expect("client");
    let props = s
        .resolve(&client.properties, &created(), &client.logical_id)
        .expect("resolves");
    assert_eq!(props["UserPoolId"], "us-east-1_AbCdEfGhI");
    assert_eq!(props["GenerateSecret"], false);
}

#[test]
fn ref_to_a_resource_not_yet_created_is_unresolved_not_an_error() {
    let s = stack(TEMPLATE, &[]).expect("loads");
    let client = s
        .resources_of("AWS::Cognito::UserPoolClient")
        .next()
        .expect("client");
    match s.resolve(&client.properties, &Physical::default(), "c") {
        Err(ResolveError::Unresolved { logical_id }) => assert_eq!(logical_id, "UserPool"),
        other => panic!("expected unresolved, got {other:?}"),
    }
}

#[test]
fn outputs_resolve_what_exists_and_skip_the_rest() {
    let s = stack(TEMPLATE, &[]).expect("loads");
    let out = s.resolved_outputs(&created()).expect("outputs");
    assert_eq!(out["CognitoID"], "us-east-1_AbCdEfGhI");
    assert_eq!(out["CognitoClientID"], "abcdefghijklmnopqrstuvwxyz");
    assert!(!out.contains_key("ApiUrl"), "ServiceApi does not exist yet");
    let mut ph = created();
    ph.insert("ServiceApi", "a1b2c3d4e5".into(), &[]);
    let out = s.resolved_outputs(&ph).expect("outputs");
    assert_eq!(
        out["ApiUrl"],
        "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/v1"
    );
}

const INTRINSICS: &str = r#"
Parameters:
  Env: {Type: String, Default: dev, AllowedValues: [dev, prod]}
  Names: {Type: CommaDelimitedList, Default: "a,b,c"}
Mappings:
  Sizes: {dev: {Mem: 128}, prod: {Mem: 1024}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsDev, !Equals [x, x]]
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
    Properties:
      UserPoolName: !Sub "${AWS::StackName}-${Env}"
      Long: !Sub ["${A}-${Pool2.Arn}-${!Literal}", {A: !Ref Env}]
      Joined: !Join ["/", [!Ref "AWS::Region", !GetAtt [Pool2, ProviderName]]]
      Picked: !Select [1, !Ref Names]
      Split: !Split [",", "x,y"]
      Chosen: !If [IsProd, big, small]
      Dropped: !If [IsProd, yes, !Ref "AWS::NoValue"]
      Mem: !FindInMap [Sizes, !Ref Env, Mem]
      B64: !Base64 "hi!"
      Flag: !Condition Both
  Pool2:
    Type: AWS::Cognito::UserPool
  ProdOnly:
    Type: AWS::Cognito::UserPool
    Condition: IsProd
"#;

#[test]
fn every_intrinsic_resolves() {
    let s = stack(INTRINSICS, &[]).expect("loads");
    assert!(!s.conditions["IsProd"]);
    assert!(s.conditions["IsDev"]);
    assert!(
        s.resources.iter().all(|r| r.logical_id != "ProdOnly"),
        "condition false"
    );
    let mut ph = Physical::default();
    ph.insert(
        "Pool",
        "p1".into(),
        &[("Arn", Json::String("arn:p1".into()))],
    );
    ph.insert(
        "Pool2",
        "p2".into(),
        &[
            ("ProviderName", Json::String("prov".into())),
            ("Arn", Json::String("arn:p2".into())),
        ],
    );
    let pool = s
        .resources
        .iter()
        .find(|r| r.logical_id == "Pool")
        .expect("pool");
    let v = s.resolve(&pool.properties, &ph, "Pool").expect("resolves");
    assert_eq!(v["UserPoolName"], "gatehouse-dev");
    assert_eq!(v["Long"], "dev-arn:p2-${Literal}");
    assert_eq!(v["Joined"], "us-east-1/prov");
    assert_eq!(v["Picked"], "b");
    assert_eq!(v["Split"], serde_json::json!(["x", "y"]));
    assert_eq!(v["Chosen"], "small");
    assert!(
        v.get("Dropped").is_none(),
        "AWS::NoValue drops the property"
    );
    assert_eq!(v["Mem"], 128);
    assert_eq!(v["B64"], "aGkh");
    assert_eq!(v["Flag"], true);
}

#[test]
fn override_outside_allowed_values_is_refused() {
    let e = stack(INTRINSICS, &[("Env", "qa")]).expect_err("qa not allowed");
    assert!(e.to_string().contains("allowed values"), "{e}");
    assert_eq!(e.resource.as_deref(), Some("Env"));
}

#[test]
fn override_of_an_undeclared_parameter_is_refused() {
    let e = stack(TEMPLATE, &[("Nope", "1")]).expect_err("undeclared");
    assert!(
        e.message.contains("Nope") && e.message.contains("YourEmail"),
        "{e}"
    );
}

#[test]
fn parameter_without_default_or_override_names_the_flag() {
    let e = stack(
        "Parameters:\n  Need: {Type: String}\nResources:\n  P: {Type: X}\n",
        &[],
    )
    .expect_err("missing");
    assert_eq!(e.line, 2);
    assert!(e.message.contains("--parameter-overrides Need="), "{e}");
}

#[test]
fn bad_ref_names_file_line_and_resource() {
    let text = "Resources:\n  Client:\n    Type: AWS::Cognito::UserPoolClient\n    Properties:\n      UserPoolId: !Ref Nope\n";
    let s = stack(text, &[]).expect("loads");
    let c = &s.resources[0];
    match s.resolve(&c.properties, &Physical::default(), &c.logical_id) {
        Err(ResolveError::Invalid(e)) => {
            assert_eq!(
                e.to_string(),
                "t.yaml:5: Client: !Ref Nope: no parameter or resource has that name"
            );
        }
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn yaml_syntax_error_names_the_line() {
    let e = stack("Resources:\n  A:\n    Type: [oops\n", &[]).expect_err("bad yaml");
    assert!(e.line >= 3, "{e}");
    assert!(e.to_string().starts_with("t.yaml:"), "{e}");
}

#[test]
fn getatt_has_a_string_form_whose_attribute_may_have_dots() {
    let text = "Resources:\n  A:\n    Type: X\n    Properties:\n      P: {\"Fn::GetAtt\": \"B.Arn\"}\n      Q: !GetAtt Child.Outputs.Url\n  B: {Type: X}\n  Child: {Type: X}\n";
    let s = stack(text, &[]).expect("loads");
    let mut ph = Physical::default();
    ph.insert("B", "b".into(), &[("Arn", Json::String("arn:b".into()))]);
    ph.insert(
        "Child",
        "c".into(),
        &[("Outputs.Url", Json::String("http://c".into()))],
    );
    let v = s
        .resolve(&s.resources[0].properties, &ph, "A")
        .expect("resolves");
    assert_eq!(v["P"], "arn:b");
    assert_eq!(v["Q"], "http://c");
    let mut refs = HashSet::new();
    references(&s.resources[0].properties, &mut refs);
    assert!(refs.contains("B") && refs.contains("Child"), "{refs:?}");
}

#[test]
fn import_value_comes_from_the_imports_or_names_the_flag() {
    let text =
        "Resources:\n  A:\n    Type: X\n    Properties:\n      T: !ImportValue shared-table\n";
    let mut s = stack(text, &[]).expect("loads");
    let r = &s.resources[0];
    match s.resolve(&r.properties, &Physical::default(), "A") {
        Err(ResolveError::Invalid(e)) => {
            assert!(
                e.message.contains("shared-table") && e.message.contains("--import-values"),
                "{e}"
            );
        }
        other => panic!("expected an error, got {other:?}"),
    }
    s.imports
        .insert("shared-table".into(), Json::String("items".into()));
    let r = &s.resources[0];
    assert_eq!(
        s.resolve(&r.properties, &Physical::default(), "A")
            .expect("ok")["T"],
        "items"
    );
}

#[test]
fn length_to_json_string_and_cidr_evaluate_as_cloudformation_does() {
    let text = "Resources:\n  A:\n    Type: X\n    Properties:\n      N: {\"Fn::Length\": [a, b, c]}\n      J: {\"Fn::ToJsonString\": {k: [1, x]}}\n      C: !Cidr [10.0.0.0/16, 3, 8]\n";
    let s = stack(text, &[]).expect("loads");
    let v = s
        .resolve(&s.resources[0].properties, &Physical::default(), "A")
        .expect("ok");
    assert_eq!(v["N"], 3);
    assert_eq!(v["J"], r#"{"k":[1,"x"]}"#);
    assert_eq!(
        v["C"],
        serde_json::json!(["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"])
    );
}

#[test]
fn a_duplicate_key_keeps_the_last_value_as_cloudformation_does_and_is_named_with_both_lines() {
    let s = stack(
        "Resources:\n  A:\n    Type: X\n  B:\n    Type: Y\n    Properties: {N: 1, M: 2, N: 3}\n  A:\n    Type: Z\n",
        &[],
    )
    .expect("CloudFormation deploys it");
    let mut kinds: Vec<(&str, &str)> = s
        .resources
        .iter()
        .map(|r| (r.logical_id.as_str(), r.kind.as_str()))
        .collect();
    kinds.sort();
    assert_eq!(kinds, [("A", "Z"), ("B", "Y")]);
    let b = s.resources.iter().find(|r| r.logical_id == "B").expect("B");
    assert_eq!(
        b.properties.get("N").map(|n| &n.value),
        Some(&Value::Int(3))
    );
    assert_eq!(s.warnings.len(), 2, "{:?}", s.warnings);
    assert!(
        s.warnings[0].contains("\"N\"") && s.warnings[0].contains("lines 6 and 6"),
        "{:?}",
        s.warnings
    );
    assert!(
        s.warnings[1].contains("\"A\"") && s.warnings[1].contains("lines 2 and 7"),
        "{:?}",
        s.warnings
    );
}

#[test]
fn aws_include_brings_in_a_local_file() {
    let dir = std::env::temp_dir().join(format!("template-include-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join("api.yaml"),
        "openapi: 3.0.1\npaths:\n  /x: {get: {}}\n",
    )
    .expect("write");
    let text = "Resources:\n  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      DefinitionBody:\n        Fn::Transform:\n          Name: AWS::Include\n          Parameters:\n            Location: ./api.yaml\n";
    let s = Stack::parse(&dir.join("template.yaml"), text, &[], Pseudo::default()).expect("loads");
    let v = s
        .resolve(&s.resources[0].properties, &Physical::default(), "Api")
        .expect("ok");
    assert_eq!(v["DefinitionBody"]["openapi"], "3.0.1");
    assert!(v["DefinitionBody"]["paths"]["/x"]["get"].is_object());
    let missing = "Resources:\n  Api:\n    Type: X\n    Properties:\n      B: {\"Fn::Transform\": {Name: AWS::Include, Parameters: {Location: s3://b/k.yaml}}}\n";
    let e =
        Stack::parse(&dir.join("template.yaml"), missing, &[], Pseudo::default()).expect_err("s3");
    assert!(e.message.contains("cannot be read locally"), "{e}");
    std::fs::remove_dir_all(&dir).expect("clean up");
}

const EXT: &str = "Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]\n";

#[test]
fn for_each_writes_out_resources_and_nested_output_loops() {
    // The shape of CloudFormation's own Fn::ForEach examples: a loop of resources, and outputs
    // from a loop nested in a loop, naming the attribute through `!Ref` of the inner item.
    let text = format!(
        "{EXT}Parameters:\n  Names:\n    Type: CommaDelimitedList\n    Default: A,B\nResources:\n  Fn::ForEach::Buckets:\n    - Name\n    - !Ref Names\n    - Bucket${{Name}}:\n        Type: AWS::S3::Bucket\n        Properties:\n          BucketName: !Sub 'b-${{Name}}-${{AWS::Region}}'\n          Tag: !Ref Name\nOutputs:\n  Fn::ForEach::Outer:\n    - Name\n    - [A, B]\n    - Fn::ForEach::Inner:\n        - Attr\n        - [Arn, DomainName]\n        - Bucket${{Name}}${{Attr}}:\n            Value: !GetAtt [!Sub 'Bucket${{Name}}', !Ref Attr]\n"
    );
    let s = stack(&text, &[]).expect("loads");
    let ids: Vec<&str> = s.resources.iter().map(|r| r.logical_id.as_str()).collect();
    assert_eq!(ids, ["BucketA", "BucketB"]);
    assert_eq!(s.transforms[0], "AWS::LanguageExtensions");
    let mut ph = Physical::default();
    for id in ["BucketA", "BucketB"] {
        ph.insert(
            id,
            id.to_lowercase(),
            &[
                ("Arn", Json::String(format!("arn:{id}"))),
                ("DomainName", Json::String(format!("{id}.s3"))),
            ],
        );
    }
    let v = s
        .resolve(&s.resources[1].properties, &ph, "BucketB")
        .expect("ok");
    assert_eq!(v["BucketName"], "b-B-us-east-1");
    assert_eq!(v["Tag"], "B");
    let out = s.resolved_outputs(&ph).expect("outputs");
    let names: Vec<&str> = out.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "BucketAArn",
            "BucketADomainName",
            "BucketBArn",
            "BucketBDomainName"
        ]
    );
    assert_eq!(out["BucketBDomainName"], "BucketB.s3");
}

#[test]
fn for_each_ampersand_form_drops_what_is_not_alphanumeric_and_loops_in_properties_and_conditions() {
    let text = format!(
        "{EXT}Mappings:\n  Nets:\n    Cidrs:\n      List: [10.0.2.0/24, 10.0.3.0/24]\nConditions:\n  Fn::ForEach::Envs:\n    - Env\n    - [dev, prod]\n    - Is${{Env}}: !Equals [!Ref AWS::Region, us-east-1]\nResources:\n  Fn::ForEach::Subnets:\n    - Cidr\n    - !FindInMap [Nets, Cidrs, List]\n    - Subnet&{{Cidr}}:\n        Type: AWS::EC2::Subnet\n        Condition: Isprod\n        Properties:\n          CidrBlock: !Ref Cidr\n          Fn::ForEach::Tags:\n            - T\n            - [x, y]\n            - Tag${{T}}: '&{{Cidr}}-${{T}}'\n"
    );
    let s = stack(&text, &[]).expect("loads");
    assert_eq!(s.conditions.get("Isdev"), Some(&true));
    let ids: Vec<&str> = s.resources.iter().map(|r| r.logical_id.as_str()).collect();
    assert_eq!(ids, ["Subnet1002024", "Subnet1003024"]);
    let v = s
        .resolve(
            &s.resources[0].properties,
            &Physical::default(),
            "Subnet1002024",
        )
        .expect("ok");
    assert_eq!(v["CidrBlock"], "10.0.2.0/24");
    assert_eq!(v["Tagx"], "1002024-x");
    assert_eq!(v["Tagy"], "1002024-y");
}

#[test]
fn for_each_errors_say_what_is_wrong_and_where() {
    let plain =
        "Resources:\n  Fn::ForEach::L:\n    - N\n    - [a]\n    - R${N}:\n        Type: X\n";
    let e = stack(plain, &[])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("t.yaml:3") && e.contains("needs the AWS::LanguageExtensions transform"),
        "{e}"
    );
    let same_key = format!(
        "{EXT}Resources:\n  Fn::ForEach::L:\n    - N\n    - [a, b]\n    - R:\n        Type: X\n"
    );
    let e = stack(&same_key, &[])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("t.yaml:6") && e.contains("does not contain ${N} or &{N}"),
        "{e}"
    );
    let twice = format!(
        "{EXT}Resources:\n  Ra:\n    Type: X\n  Fn::ForEach::L:\n    - N\n    - [a]\n    - R${{N}}:\n        Type: X\n"
    );
    let e = stack(&twice, &[])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("already there (line 3)"), "{e}");
    let not_list = format!(
        "{EXT}Parameters:\n  P:\n    Type: String\n    Default: a\nResources:\n  Fn::ForEach::L:\n    - N\n    - !Ref P\n    - R${{N}}:\n        Type: X\n"
    );
    let e = stack(&not_list, &[])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("t.yaml:9") && e.contains("parameter P is not a list"),
        "{e}"
    );
    let in_params = format!(
        "{EXT}Parameters:\n  Fn::ForEach::L:\n    - N\n    - [a]\n    - P${{N}}: {{Type: String}}\nResources:\n  R:\n    Type: X\n"
    );
    let e = stack(&in_params, &[])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("cannot be used in the Parameters section"),
        "{e}"
    );
}

#[test]
fn find_in_map_default_value_is_what_a_missing_key_gives() {
    let text = format!(
        "{EXT}Mappings:\n  M:\n    a:\n      k: found\nResources:\n  R:\n    Type: X\n    Properties:\n      Found: !FindInMap [M, a, k, {{DefaultValue: d}}]\n      Missing: !FindInMap [M, b, k, {{DefaultValue: d}}]\n"
    );
    let s = stack(&text, &[]).expect("loads");
    let v = s
        .resolve(&s.resources[0].properties, &Physical::default(), "R")
        .expect("ok");
    assert_eq!(v["Found"], "found");
    assert_eq!(v["Missing"], "d");
}

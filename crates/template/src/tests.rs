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

use std::path::Path;

use serde_json::{Value as Json, json};
use template::Pseudo;

use super::*;
use crate::api::FromSam;
use apispec::{Authorization, IdentitySource, LambdaAuthorizer};

/// The header a Cognito authorizer reads its token from.
fn header_of(a: &apispec::Authorizer) -> &str {
    match &a.kind {
        AuthorizerKind::Cognito { header, .. } => header,
        other => panic!("not a Cognito authorizer: {other:?}"),
    }
}

const TEMPLATE: &str = include_str!("../../../template.yaml");
const GATEWAY_STACK: &str = include_str!("../../../tests/conformance/stacks/gateway.yaml");

fn stack(text: &str) -> Stack {
    Stack::parse(
        Path::new("/app/template.yaml"),
        text,
        &[],
        Pseudo::default(),
    )
    .expect("loads")
}

/// Provisions like the user pool service, in memory: ids from the logical id.
#[derive(Debug, Default)]
struct Fake {
    requests: Vec<(String, Json)>,
}

impl Provisioner for Fake {
    fn user_pool(&mut self, logical_id: &str, request: &Json) -> Result<ProvisionedPool, String> {
        self.requests.push((logical_id.into(), request.clone()));
        let id = format!("us-east-1_{logical_id}");
        Ok(ProvisionedPool {
            arn: format!("arn:aws:cognito-idp:us-east-1:123456789012:userpool/{id}"),
            provider_url: format!("http://127.0.0.1:9229/{id}"),
            id,
        })
    }
    fn user_pool_client(
        &mut self,
        logical_id: &str,
        request: &Json,
    ) -> Result<ProvisionedClient, String> {
        self.requests.push((logical_id.into(), request.clone()));
        if request["UserPoolId"]
            .as_str()
            .is_none_or(|p| !p.starts_with("us-east-1_"))
        {
            return Err(format!("no pool {}", request["UserPoolId"]));
        }
        Ok(ProvisionedClient {
            id: format!("client{}", logical_id.to_lowercase()),
            secret: None,
            name: request["ClientName"].as_str().unwrap_or_default().into(),
        })
    }
    fn user_pool_user(&mut self, logical_id: &str, request: &Json) -> Result<String, String> {
        self.requests.push((logical_id.into(), request.clone()));
        Ok(request["Username"].as_str().unwrap_or("user").into())
    }
    fn user_pool_group(&mut self, request: &Json) -> Result<String, String> {
        self.requests.push(("group".into(), request.clone()));
        Ok(request["GroupName"].as_str().unwrap_or_default().into())
    }
    fn user_to_group(&mut self, request: &Json) -> Result<(), String> {
        self.requests.push(("attachment".into(), request.clone()));
        Ok(())
    }
    fn user_pool_domain(&mut self, request: &Json) -> Result<(), String> {
        self.requests.push(("domain".into(), request.clone()));
        Ok(())
    }
    fn resource_server(&mut self, request: &Json) -> Result<(), String> {
        self.requests
            .push(("resource server".into(), request.clone()));
        Ok(())
    }
}

fn app(text: &str) -> (App, Fake) {
    let s = stack(text);
    let mut plan = plan(&s).expect("plans");
    let mut fake = Fake::default();
    plan.provision(&mut fake).expect("provisions");
    let local = Local {
        api_url: "http://127.0.0.1:3000".into(),
        cognito_url: "http://127.0.0.1:3001".into(),
    };
    (plan.resolve_app(&local).expect("resolves"), fake)
}

fn position(s: &Stack, id: &str) -> usize {
    plan(s)
        .expect("plans")
        .order()
        .position(|x| x == id)
        .expect(id)
}

#[test]
fn resources_come_after_what_they_refer_to() {
    let s = stack(TEMPLATE);
    assert!(position(&s, "UserPool") < position(&s, "UserPoolTokenClient"));
    assert!(position(&s, "UserPool") < position(&s, "UserPoolUser"));
    assert!(position(&s, "UserPool") < position(&s, "ServiceApi"));
    assert_eq!(s.resources_of("AWS::Cognito::UserPool").count(), 1);
}

#[test]
fn a_sub_reference_orders_like_a_ref() {
    let s = stack(
        "Resources:\n  Pool:\n    Type: AWS::Cognito::UserPool\n    Properties:\n      Long: !Sub \"x-${Pool2.Arn}\"\n  Pool2:\n    Type: AWS::Cognito::UserPool\n",
    );
    assert!(position(&s, "Pool2") < position(&s, "Pool"));
}

#[test]
fn circular_references_are_reported_with_their_members() {
    let text = "Resources:\n  A: {Type: X, Properties: {B: !Ref B}}\n  B: {Type: X, Properties: {A: !Ref A}}\n";
    let e = plan(&stack(text)).expect_err("cycle");
    assert!(e.message.contains("circular"), "{e}");
    assert!(
        e.message.contains("A -> B -> A") || e.message.contains("B -> A -> B"),
        "{e}"
    );
    let text = "Resources:\n  A: {Type: X, DependsOn: C}\n  B: {Type: X, DependsOn: A}\n  C: {Type: X, DependsOn: [B]}\n";
    let e = plan(&stack(text)).expect_err("a DependsOn cycle");
    assert!(e.message.contains(" -> "), "{e}");
    assert_eq!(
        e.resource.as_deref().map(|r| ["A", "B", "C"].contains(&r)),
        Some(true)
    );
}

#[test]
fn an_event_that_names_its_api_is_not_a_cycle() {
    // The API's definition names the function; the function's event names the API. SAM moves
    // the event onto the API, so CloudFormation sees no cycle.
    let text = r#"
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      Variables: {Fn: !GetAtt Fn.Arn}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      CodeUri: fn/
      Events:
        Get: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /x, Method: get}}
"#;
    let (app, _) = app(text);
    assert_eq!(app.apis[0].routes[0].function, "Fn");
}

#[test]
fn the_project_template_plans_provisions_and_resolves() {
    let (app, fake) = app(TEMPLATE);
    let names: Vec<&str> = fake.requests.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(names, ["UserPool", "UserPoolTokenClient", "UserPoolUser"]);
    let pool = &fake.requests[0].1;
    assert_eq!(
        pool["PoolName"], "TestingUsers",
        "UserPoolName is the API's PoolName"
    );
    assert!(pool.get("UserPoolName").is_none());
    assert_eq!(pool["Policies"]["PasswordPolicy"]["MinimumLength"], 6);
    let client = &fake.requests[1].1;
    assert_eq!(client["UserPoolId"], "us-east-1_UserPool");
    assert_eq!(client["ClientName"], "UserPoolTokenClient");
    assert_eq!(fake.requests[2].1["Username"], "test@example.com");

    let f: Vec<(&str, Option<crate::Build>)> = app
        .functions
        .iter()
        .map(|f| (f.name.as_str(), f.build.clone()))
        .collect();
    let cargo = |b: &str| {
        Some(crate::Build::Cargo {
            binary: Some(b.to_string()),
        })
    };
    assert_eq!(
        f,
        [
            ("OpenFunction", cargo("open")),
            ("AuthenticatedFunction", cargo("authenticated"))
        ]
    );
    let open = &app.functions[0];
    assert_eq!(open.runtime, "provided.al2023");
    assert_eq!(open.handler, "bootstrap");
    assert_eq!(open.timeout_secs, 10);
    assert_eq!(open.memory_mb, 128);
    assert_eq!(open.code_dir, Path::new("/app/functions/"));
    assert_eq!(
        open.arn,
        "arn:aws:lambda:us-east-1:123456789012:function:OpenFunction"
    );

    assert_eq!(app.apis.len(), 1);
    let api = &app.apis[0];
    assert_eq!(
        (api.logical_id.as_str(), api.stage.as_str()),
        ("ServiceApi", "v1")
    );
    let routes: Vec<(&str, &str, &str, Option<&str>)> = api
        .routes
        .iter()
        .map(|r| {
            (
                r.method.as_str(),
                r.path.as_str(),
                r.function.as_str(),
                r.authorization.authorizer(),
            )
        })
        .collect();
    assert_eq!(
        routes,
        [
            ("GET", "/open", "OpenFunction", None),
            (
                "GET",
                "/",
                "AuthenticatedFunction",
                Some("CognitoAuthorizer")
            ),
        ]
    );
    assert_eq!(
        api.authorizers["CognitoAuthorizer"].kind,
        api::AuthorizerKind::Cognito {
            pool_ids: vec!["us-east-1_UserPool".into()],
            header: "Authorization".into(),
            validation: None
        }
    );
    assert_eq!(
        api.cors.as_ref().map(|c| c.allow_origin.as_str()),
        Some("*")
    );

    assert_eq!(app.outputs["CognitoID"], "us-east-1_UserPool");
    assert_eq!(app.outputs["CognitoClientID"], "clientuserpooltokenclient");
    assert_eq!(
        app.outputs["ApiUrl"], "http://127.0.0.1:3000/v1",
        "AWS's URL made local"
    );
    assert!(app.not_emulated.is_empty());
    assert!(app.warnings.is_empty(), "{:?}", app.warnings);
}

#[test]
fn globals_environment_may_refer_to_a_client_defined_after_the_functions() {
    let text = r#"
Globals:
  Function:
    Runtime: provided.al2023
    CodeUri: fn/
    Environment:
      Variables:
        CLIENT_ID: !Ref Client
        POOL_ARN: !GetAtt Pool.Arn
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          OWN: mine
  Pool:
    Type: AWS::Cognito::UserPool
  Client:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref Pool
"#;
    let s = stack(text);
    assert!(
        position(&s, "Client") < position(&s, "Fn"),
        "Globals count as references"
    );
    let (app, _) = app(text);
    let env: std::collections::BTreeMap<&str, &str> = app.functions[0]
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(env["CLIENT_ID"], "clientclient");
    assert_eq!(
        env["POOL_ARN"],
        "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Pool"
    );
    assert_eq!(
        env["OWN"], "mine",
        "the function's own variables merge with the Globals'"
    );
}

#[test]
fn resources_not_emulated_resolve_to_aws_shaped_values_and_are_listed() {
    let text = r#"
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: items
  Role:
    Type: AWS::IAM::Role
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: !GetAtt Role.Arn
      Environment:
        Variables:
          TABLE: !Ref Table
          TABLE_ARN: !GetAtt Table.Arn
Outputs:
  RoleArn:
    Value: !GetAtt Role.Arn
"#;
    let (app, _) = app(text);
    let env: std::collections::BTreeMap<&str, &str> = app.functions[0]
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(env["TABLE"], "items");
    assert_eq!(
        env["TABLE_ARN"],
        "arn:aws:dynamodb:us-east-1:123456789012:table/items"
    );
    let listed: Vec<(&str, &str)> = app
        .not_emulated
        .iter()
        .map(|n| (n.logical_id.as_str(), n.type_name.as_str()))
        .collect();
    // A role is served, by the local IAM: not listed.
    assert_eq!(listed, [("Table", "AWS::DynamoDB::Table")]);
    let role = &app.roles[0];
    assert!(role.name.starts_with("gatehouse-Role-"), "{}", role.name);
    assert_eq!(
        app.outputs["RoleArn"],
        format!("arn:aws:iam::123456789012:role/{}", role.name),
    );
    assert_eq!(
        app.functions[0].role_arn.as_deref(),
        Some(role.arn.as_str())
    );
    assert_eq!(
        app.roles.len(),
        1,
        "a function with a Role gets no generated one"
    );
}

#[test]
fn events_without_rest_api_id_go_to_the_implicit_api_on_prod() {
    let text = r#"
Globals:
  Api:
    Cors: "'*'"
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      CodeUri: fn/
      Events:
        Get: {Type: Api, Properties: {Path: /hello, Method: get}}
        Queue: {Type: SQS, Properties: {Queue: arn:aws:sqs:us-east-1:1:q}}
Outputs:
  Url:
    Value: !Sub "https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod/hello"
"#;
    let (app, _) = app(text);
    let api = &app.apis[0];
    assert_eq!(
        (api.logical_id.as_str(), api.stage.as_str()),
        (api::IMPLICIT_API, "Prod")
    );
    assert_eq!(api.id, api::api_id(api::IMPLICIT_API), "stable id");
    assert_eq!(
        api.cors.as_ref().map(|c| c.allow_origin.as_str()),
        Some("*"),
        "Globals.Api"
    );
    assert_eq!(app.outputs["Url"], "http://127.0.0.1:3000/Prod/hello");
    assert!(
        app.warnings
            .iter()
            .any(|w| w.contains("Queue (SQS) is not emulated")),
        "{:?}",
        app.warnings
    );
}

#[test]
fn default_authorizer_applies_unless_none_and_preflight_gets_it() {
    let text = r#"
Resources:
  Pool: {Type: AWS::Cognito::UserPool}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      Cors: "'*'"
      Auth:
        DefaultAuthorizer: Pool
        Authorizers:
          Pool: {UserPoolArn: !GetAtt Pool.Arn}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      CodeUri: fn/
      Events:
        A: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /a, Method: get}}
        B: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /b, Method: ANY, Auth: {Authorizer: NONE}}}
"#;
    let (app, _) = app(text);
    let a = &app.apis[0];
    assert_eq!(a.routes[0].authorization.authorizer(), Some("Pool"));
    assert_eq!(a.routes[1].authorization, Authorization::None);
    assert_eq!(a.routes[1].method, "ANY");
    assert_eq!(header_of(&a.authorizers["Pool"]), "Authorization");
    assert_eq!(a.preflight.authorizer(), Some("Pool"));
}

#[test]
fn a_cognito_validation_expression_is_read_from_sam_and_openapi() {
    let mut warnings = Vec::new();
    let a = RestApi::from_sam(
        "Api",
        "id".into(),
        &json!({"StageName": "v1", "Auth": {"Authorizers": {"P": {
            "UserPoolArn": "arn:aws:cognito-idp:r:1:userpool/r_X",
            "Identity": {"Header": "X-Token", "ValidationExpression": "client-[a-z0-9]+"}}}}}),
        &mut warnings,
    )
    .expect("valid");
    assert_eq!(
        a.authorizers["P"].kind,
        api::AuthorizerKind::Cognito {
            pool_ids: vec!["r_X".into()],
            header: "X-Token".into(),
            validation: Some("client-[a-z0-9]+".into())
        }
    );
    let text = r#"
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      DefinitionBody:
        openapi: "3.0.1"
        paths:
          /a:
            get:
              security: [{Pool: []}]
              x-amazon-apigateway-integration: {type: mock}
        components:
          securitySchemes:
            Pool:
              type: apiKey
              name: Authorization
              in: header
              x-amazon-apigateway-authtype: cognito_user_pools
              x-amazon-apigateway-authorizer:
                type: cognito_user_pools
                providerARNs: ["arn:aws:cognito-idp:r:1:userpool/r_X"]
                identityValidationExpression: "abc"
"#;
    let (app, _) = app(text);
    let validations: Vec<Option<String>> = app
        .apis
        .iter()
        .flat_map(|a| a.authorizers.values())
        .map(|a| match &a.kind {
            api::AuthorizerKind::Cognito { validation, .. } => validation.clone(),
            other => panic!("not a Cognito authorizer: {other:?}"),
        })
        .collect();
    assert_eq!(validations, [Some("abc".into())]);
}

#[test]
fn preflight_authorization_can_be_turned_off_and_arns_may_be_a_list() {
    let mut warnings = Vec::new();
    let a = RestApi::from_sam(
        "Api",
        "id".into(),
        &json!({"StageName": "v1", "Auth": {"DefaultAuthorizer": "P", "AddDefaultAuthorizerToCorsPreflight": false,
                 "Authorizers": {"P": {"UserPoolArn": ["arn:aws:cognito-idp:r:1:userpool/r_X", "arn:aws:cognito-idp:r:1:userpool/r_Y"]}}}}),
        &mut warnings,
    )
    .expect("valid");
    assert_eq!(a.preflight, Authorization::None);
    assert_eq!(
        a.authorizers["P"].kind,
        api::AuthorizerKind::Cognito {
            pool_ids: vec!["r_X".into(), "r_Y".into()],
            header: "Authorization".into(),
            validation: None
        }
    );
}

#[test]
fn unknown_authorizer_and_duplicate_routes_are_template_errors() {
    let mut warnings = Vec::new();
    let mut a = RestApi::from_sam(
        "Api",
        "id".into(),
        &json!({"StageName": "v1", "Auth": {"Authorizers": {"L": {"FunctionArn": "arn:aws:lambda:r:1:function:auth"}}}}),
        &mut warnings,
    )
    .expect("valid");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        a.authorizers["L"].kind,
        api::AuthorizerKind::Lambda(LambdaAuthorizer {
            function: "auth".into(),
            token: true,
            identity: vec![IdentitySource::Header("Authorization".into())],
            validation: None,
            ttl_secs: 300,
            payload_version: "1.0".into(),
            simple_responses: false,
        })
    );
    let e = a
        .add_event(
            "F",
            &json!({"Path": "/a", "Method": "get", "Auth": {"Authorizer": "Nope"}}),
        )
        .expect_err("unknown");
    assert!(e.contains("Nope"), "{e}");
    a.add_event("F", &json!({"Path": "/a/", "Method": "get"}))
        .expect("ok");
    let e = a
        .add_event("G", &json!({"Path": "/a", "Method": "GET"}))
        .expect_err("twice");
    assert!(e.contains("defined twice"), "{e}");
}

#[test]
fn the_gateway_test_stack_plans() {
    let (app, _) = app(GATEWAY_STACK);
    let api = &app.apis[0];
    assert_eq!(api.stage, "test");
    assert_eq!(header_of(&api.authorizers["Cognito"]), "X-Token");
    let fault = app
        .functions
        .iter()
        .find(|f| f.name == "Fault")
        .expect("Fault");
    assert_eq!(
        (fault.timeout_secs, fault.reserved_concurrency),
        (1, Some(2))
    );
    let echo = app
        .functions
        .iter()
        .find(|f| f.name == "Echo")
        .expect("Echo");
    assert!(
        echo.env
            .contains(&("ECHO_GLOBAL".into(), "from-globals".into()))
    );
    assert!(echo.env.contains(&("ECHO_OWN".into(), "own-value".into())));
    assert_eq!(echo.code_dir, Path::new("/app/../../functions"));
}

#[test]
fn globals_lists_are_additive_and_maps_merge() {
    let mut base =
        json!({"Layers": ["a"], "Environment": {"Variables": {"A": "1", "B": "1"}}, "Timeout": 3});
    merge(
        &mut base,
        json!({"Layers": ["b"], "Environment": {"Variables": {"B": "2"}}, "Timeout": 9}),
    );
    assert_eq!(
        base,
        json!({"Layers": ["a", "b"], "Environment": {"Variables": {"A": "1", "B": "2"}}, "Timeout": 9})
    );
}

#[test]
fn an_openapi_definition_body_is_read_as_api_gateway_imports_it() {
    let text = r#"
Resources:
  Pool: {Type: AWS::Cognito::UserPool}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        swagger: "2.0"
        securityDefinitions:
          UserPool:
            type: apiKey
            name: Authorization
            in: header
            x-amazon-apigateway-authtype: cognito_user_pools
            x-amazon-apigateway-authorizer:
              type: cognito_user_pools
              providerARNs: [!GetAtt Pool.Arn]
        paths:
          /items:
            get:
              security: [{UserPool: []}]
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Items.Arn}/invocations"
            options:
              x-amazon-apigateway-integration:
                type: mock
                requestTemplates: {application/json: '{"statusCode": 200}'}
                responses:
                  default:
                    statusCode: "200"
                    responseParameters:
                      method.response.header.Access-Control-Allow-Origin: "'*'"
          /items/{id}:
            x-amazon-apigateway-any-method:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Items.Arn}/invocations"
  Items:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Events:
        Get: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /items, Method: get}}
"#;
    let (app, _) = app(text);
    let api = &app.apis[0];
    let routes: Vec<(&str, &str, &str, Option<&str>)> = api
        .routes
        .iter()
        .map(|r| {
            (
                r.method.as_str(),
                r.path.as_str(),
                r.function.as_str(),
                r.authorization.authorizer(),
            )
        })
        .collect();
    assert_eq!(
        routes,
        [
            ("GET", "/items", "Items", Some("UserPool")),
            ("OPTIONS", "/items", "", None),
            ("ANY", "/items/{id}", "Items", None),
        ]
    );
    assert_eq!(
        api.routes[1].integration,
        api::Integration::Mock(api::Mock {
            status: 200,
            headers: vec![("Access-Control-Allow-Origin".into(), "*".into())],
            body: String::new(),
        })
    );
    assert_eq!(
        api.authorizers["UserPool"].kind,
        api::AuthorizerKind::Cognito {
            pool_ids: vec!["us-east-1_Pool".into()],
            header: "Authorization".into(),
            validation: None
        }
    );
}

#[test]
fn raw_api_gateway_resources_make_the_same_api() {
    let text = r#"
Resources:
  Pool: {Type: AWS::Cognito::UserPool}
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: raw}
  Items:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: items}
  Item:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !Ref Items, PathPart: "{id}"}
  Auth:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      Name: CognitoAuth
      RestApiId: !Ref Api
      Type: COGNITO_USER_POOLS
      IdentitySource: method.request.header.X-Token
      IdentityValidationExpression: "[a-z0-9]+"
      ProviderARNs: [!GetAtt Pool.Arn]
  GetItem:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Item
      HttpMethod: GET
      AuthorizationType: COGNITO_USER_POOLS
      AuthorizerId: !Ref Auth
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations"
  RootGet:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      AuthorizationType: NONE
      Integration:
        Type: AWS_PROXY
        Uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations"
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: [GetItem, RootGet]
    Properties: {RestApiId: !Ref Api}
  Stage:
    Type: AWS::ApiGateway::Stage
    Properties: {RestApiId: !Ref Api, DeploymentId: !Ref Deployment, StageName: dev}
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: nodejs20.x, Handler: index.handler}
Outputs:
  Url:
    Value: !Sub "https://${Api}.execute-api.${AWS::Region}.amazonaws.com/dev/"
"#;
    let (app, _) = app(text);
    assert_eq!(app.apis.len(), 1);
    let api = &app.apis[0];
    assert_eq!(
        (api.logical_id.as_str(), api.stage.as_str()),
        ("Api", "dev")
    );
    let mut routes: Vec<(&str, &str, &str, Option<&str>)> = api
        .routes
        .iter()
        .map(|r| {
            (
                r.method.as_str(),
                r.path.as_str(),
                r.function.as_str(),
                r.authorization.authorizer(),
            )
        })
        .collect();
    routes.sort();
    assert_eq!(
        routes,
        [
            ("GET", "/", "Fn", None),
            ("GET", "/items/{id}", "Fn", Some("CognitoAuth"))
        ]
    );
    assert_eq!(header_of(&api.authorizers["CognitoAuth"]), "X-Token");
    assert!(matches!(
        &api.authorizers["CognitoAuth"].kind,
        api::AuthorizerKind::Cognito { validation: Some(v), .. } if v == "[a-z0-9]+"
    ));
    assert_eq!(app.outputs["Url"], "http://127.0.0.1:3000/dev/");
    assert!(app.not_emulated.is_empty(), "{:?}", app.not_emulated);
}

#[test]
fn http_apis_with_jwt_authorizers_scopes_and_the_default_route() {
    let text = r#"
Resources:
  Pool: {Type: AWS::Cognito::UserPool}
  Client:
    Type: AWS::Cognito::UserPoolClient
    Properties: {UserPoolId: !Ref Pool}
  HttpApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      CorsConfiguration:
        AllowMethods: [GET]
        AllowOrigins: [http://localhost:8080]
      Auth:
        DefaultAuthorizer: Jwt
        Authorizers:
          Jwt:
            AuthorizationScopes: [email]
            IdentitySource: "$request.header.Authorization"
            JwtConfiguration:
              issuer: !Sub https://cognito-idp.${AWS::Region}.amazonaws.com/${Pool}
              audience: [!Ref Client]
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: app.handler
      Events:
        Open: {Type: HttpApi, Properties: {ApiId: !Ref HttpApi, Path: /, Method: get, Auth: {Authorizer: NONE}}}
        Admin: {Type: HttpApi, Properties: {ApiId: !Ref HttpApi, Path: "/items/{id}", Method: get, Auth: {Authorizer: Jwt, AuthorizationScopes: [admin]}}}
        Plain: {Type: HttpApi, Properties: {ApiId: !Ref HttpApi, Path: /plain, Method: post, PayloadFormatVersion: "1.0"}}
        Rest: {Type: HttpApi}
Outputs:
  Url:
    Value: !Sub "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
"#;
    let (app, _) = app(text);
    assert_eq!(
        app.http_apis.len(),
        2,
        "the explicit API and the implicit one"
    );
    let api = app
        .http_apis
        .iter()
        .find(|a| a.logical_id == "HttpApi")
        .expect("HttpApi");
    assert_eq!(api.stage, "$default");
    let mut keys: Vec<(String, Option<&str>, Vec<String>, &str)> = api
        .routes
        .iter()
        .map(|r| {
            (
                r.key(),
                r.authorization.authorizer(),
                r.scopes.clone(),
                r.payload_version.as_str(),
            )
        })
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            ("GET /".to_string(), None, vec![], "2.0"),
            (
                "GET /items/{id}".into(),
                Some("Jwt"),
                vec!["admin".to_string()],
                "2.0"
            ),
            (
                "POST /plain".into(),
                Some("Jwt"),
                vec!["email".into()],
                "1.0"
            ),
        ]
    );
    assert_eq!(
        api.authorizers["Jwt"].kind,
        httpapi::AuthorizerKind::Jwt {
            issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool".into(),
            audience: vec!["clientclient".into()],
            source: IdentitySource::Header("Authorization".into()),
        }
    );
    assert_eq!(
        api.cors.as_ref().map(|c| c.allow_origins.clone()),
        Some(vec!["http://localhost:8080".into()])
    );
    let implicit = app
        .http_apis
        .iter()
        .find(|a| a.logical_id == httpapi::IMPLICIT_HTTP_API)
        .expect("implicit");
    assert_eq!(implicit.routes[0].key(), "$default");
    assert_eq!(app.outputs["Url"], "http://127.0.0.1:3000");
}

#[test]
fn lambda_authorizers_take_sams_identity_settings() {
    let parse = |auth: Json| {
        RestApi::from_sam(
            "Api",
            "id".into(),
            &json!({"StageName": "v1", "Auth": {"Authorizers": {"L": auth}}}),
            &mut Vec::new(),
        )
        .map(|a| a.authorizers["L"].kind.clone())
    };
    assert_eq!(
        parse(
            json!({"FunctionArn": "arn:aws:lambda:r:1:function:tok:live", "Identity": {"Header": "X-Auth", "ValidationExpression": "^Bearer .+$", "ReauthorizeEvery": 0}})
        ),
        Ok(api::AuthorizerKind::Lambda(LambdaAuthorizer {
            function: "tok".into(),
            token: true,
            identity: vec![IdentitySource::Header("X-Auth".into())],
            validation: Some("^Bearer .+$".into()),
            ttl_secs: 0,
            payload_version: "1.0".into(),
            simple_responses: false,
        }))
    );
    assert_eq!(
        parse(
            json!({"FunctionArn": "arn:aws:lambda:r:1:function:req", "FunctionPayloadType": "REQUEST",
                     "Identity": {"Headers": ["X-Key"], "QueryStrings": ["k"], "Context": ["identity.sourceIp"], "ValidationExpression": "ignored"}})
        ),
        Ok(api::AuthorizerKind::Lambda(LambdaAuthorizer {
            function: "req".into(),
            token: false,
            identity: vec![
                IdentitySource::Header("X-Key".into()),
                IdentitySource::Query("k".into()),
                IdentitySource::Context("identity.sourceIp".into()),
            ],
            validation: None,
            ttl_secs: 300,
            payload_version: "1.0".into(),
            simple_responses: false,
        }))
    );
    assert_eq!(
        parse(json!({"FunctionArn": "arn:aws:lambda:r:1:function:req", "FunctionPayloadType": "REQUEST"})),
        Err("L Authorizer must specify Identity with at least one of Headers, QueryStrings, StageVariables, or Context.".into())
    );
    assert_eq!(
        parse(
            json!({"FunctionArn": "arn:aws:lambda:r:1:function:req", "FunctionPayloadType": "COOKIE"})
        ),
        Err("L Authorizer has invalid 'FunctionPayloadType': COOKIE.".into())
    );
}

#[test]
fn raw_api_gateway_v2_resources_make_http_apis() {
    let text = r#"
Resources:
  Pool: {Type: AWS::Cognito::UserPool}
  Client:
    Type: AWS::Cognito::UserPoolClient
    Properties: {UserPoolId: !Ref Pool}
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: raw, ProtocolType: HTTP, CorsConfiguration: {AllowOrigins: ["*"], MaxAge: 60}}
  Jwt:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref Api
      Name: CognitoJwt
      AuthorizerType: JWT
      IdentitySource: [$request.header.Authorization]
      JwtConfiguration:
        Issuer: !Sub https://cognito-idp.${AWS::Region}.amazonaws.com/${Pool}
        Audience: [!Ref Client]
  Lambda:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref Api
      Name: Keys
      AuthorizerType: REQUEST
      AuthorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Auth.Arn}/invocations
      AuthorizerPayloadFormatVersion: "2.0"
      EnableSimpleResponses: true
      IdentitySource: [$request.header.X-Key]
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Api, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Fn.Arn, PayloadFormatVersion: "1.0"}
  GetItem:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: GET /items/{id}
      Target: !Sub integrations/${Integration}
      AuthorizationType: JWT
      AuthorizerId: !Ref Jwt
      AuthorizationScopes: [items/read]
  Keyed:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: ANY /keyed, Target: !Sub "integrations/${Integration}", AuthorizationType: CUSTOM, AuthorizerId: !Ref Lambda}
  Default:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: $default, Target: !Join [/, [integrations, !Ref Integration]]}
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {ApiId: !Ref Api, StageName: $default, AutoDeploy: true}
  Quick:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: quick, ProtocolType: HTTP, Target: !GetAtt Fn.Arn, RouteKey: POST /hook}
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: nodejs20.x, Handler: index.handler}
  Auth:
    Type: AWS::Serverless::Function
    Properties: {Runtime: nodejs20.x, Handler: index.auth}
Outputs:
  Url:
    Value: !GetAtt Api.ApiEndpoint
"#;
    let (app, _) = app(text);
    assert_eq!(app.http_apis.len(), 2, "{:?}", app.warnings);
    let api = app
        .http_apis
        .iter()
        .find(|a| a.logical_id == "Api")
        .expect("Api");
    assert_eq!(api.stage, "$default");
    assert_eq!(api.cors.as_ref().map(|c| c.max_age), Some(Some(60)));
    let mut routes: Vec<(String, &str, &str, Option<&str>, &str)> = api
        .routes
        .iter()
        .map(|r| {
            (
                r.key(),
                r.function.as_str(),
                r.payload_version.as_str(),
                r.authorization.authorizer(),
                "",
            )
        })
        .collect();
    routes.sort();
    assert_eq!(
        routes,
        [
            ("$default".to_string(), "Fn", "1.0", None, ""),
            ("ANY /keyed".to_string(), "Fn", "1.0", Some("Keys"), ""),
            (
                "GET /items/{id}".to_string(),
                "Fn",
                "1.0",
                Some("CognitoJwt"),
                ""
            ),
        ]
    );
    let scoped = api
        .routes
        .iter()
        .find(|r| r.path == "/items/{id}")
        .expect("route");
    assert_eq!(scoped.scopes, ["items/read"]);
    assert!(matches!(
        &api.authorizers["CognitoJwt"].kind,
        httpapi::AuthorizerKind::Jwt { issuer, .. } if issuer.starts_with("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_")
    ));
    assert!(matches!(
        &api.authorizers["Keys"].kind,
        httpapi::AuthorizerKind::Lambda(l) if l.function == "Auth" && l.simple_responses
    ));
    let quick = app
        .http_apis
        .iter()
        .find(|a| a.logical_id == "Quick")
        .expect("Quick");
    assert_eq!(
        (
            quick.stage.as_str(),
            quick.routes[0].key(),
            quick.routes[0].function.as_str()
        ),
        ("$default", "POST /hook".to_string(), "Fn")
    );
    assert_eq!(app.outputs["Url"], "http://127.0.0.1:3000");
    assert!(app.not_emulated.is_empty(), "{:?}", app.not_emulated);
}

#[test]
fn references_to_resources_sam_generates_resolve_and_order_after_their_owner() {
    let text = r#"
Globals:
  Function: {AutoPublishAlias: live}
Resources:
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      ApiStages: [{ApiId: !Ref MyApi, Stage: !Ref MyApi.Stage}]
      Description: !Sub "deployment ${MyApi.Deployment}"
  Policy:
    Type: AWS::IAM::Policy
    Properties:
      Roles: [!Ref FnRole]
      PolicyName: !GetAtt FnRole.Arn
      Alias: !Ref Fn.Alias
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.handler, InlineCode: "x"}
  MyApi:
    Type: AWS::Serverless::Api
    Properties: {StageName: dev}
Outputs:
  Stage: {Value: !Ref MyApi.Stage}
  Role: {Value: !GetAtt FnRole.Arn}
  Alias: {Value: !Ref Fn.Alias}
"#;
    let s = stack(text);
    assert!(position(&s, "Plan") > position(&s, "MyApi"));
    assert!(position(&s, "Policy") > position(&s, "Fn"));
    let (app, _) = app(text);
    assert_eq!(app.outputs["Stage"], "dev");
    assert!(
        app.outputs["Role"].starts_with("arn:aws:iam::123456789012:role/gatehouse-FnRole-"),
        "{}",
        app.outputs["Role"]
    );
    assert_eq!(
        app.outputs["Alias"],
        "arn:aws:lambda:us-east-1:123456789012:function:Fn:live"
    );
    // The policy naming the generated role is attached to it, and the function runs as it.
    let role = app
        .roles
        .iter()
        .find(|r| r.logical_id == "FnRole")
        .expect("the generated role");
    assert_eq!(role.arn, app.outputs["Role"]);
    assert_eq!(
        app.functions[0].role_arn.as_deref(),
        Some(role.arn.as_str())
    );
    assert_eq!(role.trust, crate::roles::lambda_trust());
    // The usage plan is served (its stage is the API's), not listed as not emulated.
    let plan = app
        .usage_plans
        .iter()
        .find(|p| p.logical_id == "Plan")
        .expect("served");
    assert_eq!(plan.stages.len(), 1);
    assert_eq!(plan.stages[0].1, "dev");
    assert!(app.not_emulated.iter().all(|n| n.logical_id != "Plan"));
}

#[test]
fn attributes_not_known_for_a_type_get_values_shaped_by_their_names() {
    let text = r#"
Resources:
  App:
    Type: AWS::Amplify::App
    Properties: {Name: site}
  Branch:
    Type: AWS::Amplify::Branch
    Properties:
      AppId: !GetAtt App.AppId
      Description: !Sub "${App.DefaultDomain} ${App.Arn}"
Outputs:
  Id: {Value: !GetAtt [App, AppId]}
"#;
    let (app, _) = app(text);
    let entry = app
        .not_emulated
        .iter()
        .find(|n| n.logical_id == "App")
        .expect("listed");
    let id = entry.attributes["AppId"].as_str().expect("an id");
    assert_eq!(id.len(), 13, "{id}");
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    );
    assert_eq!(app.outputs["Id"], id);
    assert!(
        entry.attributes["Arn"]
            .as_str()
            .expect("an arn")
            .starts_with("arn:aws:amplify:us-east-1:123456789012:app/"),
        "{:?}",
        entry.attributes
    );
    assert!(entry.attributes.contains_key("DefaultDomain"));
}

#[test]
fn a_key_given_twice_is_a_warning_and_the_last_value_is_used() {
    let text = "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: first\n      TopicName: second\nOutputs:\n  T: {Value: !GetAtt Topic.TopicName}\n";
    let (app, _) = app(text);
    assert_eq!(app.outputs["T"], "second");
    assert!(
        app.warnings
            .iter()
            .any(|w| w.contains("\"TopicName\"") && w.contains("lines 5 and 6")),
        "{:?}",
        app.warnings
    );
}

/// A folder of template files for one test.
fn files(name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sam-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("a folder")).expect("dir");
        std::fs::write(p, text).expect("write");
    }
    dir
}

fn load_app(path: &Path, overrides: &[(String, String)]) -> Result<App, TemplateError> {
    let s = load(path, overrides, Pseudo::default(), BTreeMap::new())?;
    let mut plan = plan(&s)?;
    plan.provision(&mut Fake::default())?;
    plan.resolve_app(&Local {
        api_url: "http://127.0.0.1:3000".into(),
        cognito_url: "http://127.0.0.1:3001".into(),
    })
}

const PARENT: &str = r#"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Domain: {Type: String, Default: https://app.example.com}
Resources:
  Pool: {Type: AWS::Cognito::UserPool}
  Auth:
    Type: AWS::Serverless::Application
    Properties:
      Location: ./nested/auth.yaml
      Parameters:
        CallbackDomain: !Ref Domain
        PoolId: !Ref Pool
        Tag: plain
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Jwt
        Authorizers:
          Jwt:
            IdentitySource: $request.header.Authorization
            JwtConfiguration:
              issuer: !GetAtt Auth.Outputs.Issuer
              audience: [!GetAtt Auth.Outputs.ClientId]
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Environment:
        Variables:
          CLIENT: !GetAtt Auth.Outputs.ClientId
          WHERE: !Sub "${Auth.Outputs.Where} in ${AWS::Region}"
      Events:
        Get: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /, Method: get}}
Outputs:
  ClientId: {Value: !GetAtt Auth.Outputs.ClientId}
  Child: {Value: !Ref Auth}
"#;

const CHILD: &str = r#"
Transform: AWS::Serverless-2016-10-31
Parameters:
  CallbackDomain: {Type: String}
  PoolId: {Type: String}
  Tag: {Type: String}
  Unused: {Type: String, Default: fallback}
Conditions:
  Tagged: !Equals [!Ref Tag, plain]
Globals:
  Function: {Timeout: 7}
Resources:
  Client:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref PoolId
      ClientName: !If [Tagged, !Sub "${Tag}-client", other]
      CallbackURLs: [!Sub "${CallbackDomain}/cb"]
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      CodeUri: code/
      Environment:
        Variables:
          POOL: !Ref PoolId
          CLIENT: !Ref Client
      Events:
        Get: {Type: Api, Properties: {Path: /hello, Method: get}}
Outputs:
  ClientId: {Value: !Ref Client}
  Issuer: {Value: !Sub "https://cognito-idp.${AWS::Region}.amazonaws.com/${PoolId}"}
  Where: {Value: !Sub "${Hello} behind ${ServerlessRestApi}"}
"#;

#[test]
fn a_nested_stack_with_a_local_template_is_served_as_part_of_the_stack() {
    let dir = files(
        "nested",
        &[("template.yaml", PARENT), ("nested/auth.yaml", CHILD)],
    );
    let s = load(
        &dir.join("template.yaml"),
        &[],
        Pseudo::default(),
        BTreeMap::new(),
    )
    .expect("loads");
    let mut plan = plan(&s).expect("plans");
    let mut fake = Fake::default();
    plan.provision(&mut fake).expect("provisions");
    let app = plan
        .resolve_app(&Local {
            api_url: "http://127.0.0.1:3000".into(),
            cognito_url: "http://127.0.0.1:3001".into(),
        })
        .expect("resolves");

    // The parent's pool reached the child's client, whose name came through a condition on
    // an inlined parameter and whose callback through a Sub of one.
    let (id, client) = fake
        .requests
        .iter()
        .find(|(id, _)| id == "Auth/Client")
        .expect("the child's client is provisioned");
    assert_eq!(id, "Auth/Client");
    assert_eq!(client["UserPoolId"], "us-east-1_Pool");
    assert_eq!(client["ClientName"], "plain-client");
    assert_eq!(
        client["CallbackURLs"],
        json!(["https://app.example.com/cb"])
    );

    // The child's function: its own Globals, code relative to its template, its implicit API.
    let hello = app
        .functions
        .iter()
        .find(|f| f.logical_id == "Auth/Hello")
        .expect("the child's function");
    assert_eq!(hello.name, "Auth-Hello");
    assert_eq!(hello.timeout_secs, 7);
    assert_eq!(hello.code_dir, dir.join("nested/code"));
    let env: BTreeMap<_, _> = hello.env.iter().cloned().collect();
    assert_eq!(env["POOL"], "us-east-1_Pool");
    assert_eq!(env["CLIENT"], "clientauth/client");
    let implicit = app
        .apis
        .iter()
        .find(|a| a.logical_id == "Auth/ServerlessRestApi")
        .expect("the child's implicit API");
    assert_eq!(implicit.stage, "Prod");
    assert_eq!(implicit.routes.len(), 1, "{:?}", implicit.routes);

    // The parent reads the child's outputs.
    let parent_fn = app
        .functions
        .iter()
        .find(|f| f.logical_id == "Fn")
        .expect("Fn");
    let env: BTreeMap<_, _> = parent_fn.env.iter().cloned().collect();
    assert_eq!(env["CLIENT"], "clientauth/client");
    assert!(
        env["WHERE"].starts_with("Auth-Hello behind ") && env["WHERE"].ends_with(" in us-east-1"),
        "{}",
        env["WHERE"]
    );
    assert_eq!(app.outputs["ClientId"], "clientauth/client");
    assert!(
        app.outputs["Child"].starts_with("arn:aws:cloudformation:us-east-1:123456789012:stack/")
    );
    let http = &app.http_apis[0];
    assert!(matches!(
        &http.authorizers["Jwt"].kind,
        httpapi::AuthorizerKind::Jwt { issuer, audience, .. }
            if issuer == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool"
                && audience == &["clientauth/client".to_string()]
    ));
    assert!(
        app.not_emulated.iter().all(|n| n.logical_id != "Auth"),
        "{:?}",
        app.not_emulated
    );
}

#[test]
fn a_missing_output_or_parameter_of_a_nested_stack_is_named() {
    let parent = PARENT.replace("Auth.Outputs.Issuer", "Auth.Outputs.Nope");
    let dir = files(
        "nested-missing",
        &[("template.yaml", &parent), ("nested/auth.yaml", CHILD)],
    );
    let e = load_app(&dir.join("template.yaml"), &[]).expect_err("no such output");
    assert!(
        e.message.contains("has no output Nope") && e.message.contains("ClientId, Issuer, Where"),
        "{e}"
    );
    let parent = PARENT.replace("        Tag: plain\n", "");
    let dir = files(
        "nested-param",
        &[("template.yaml", &parent), ("nested/auth.yaml", CHILD)],
    );
    let e = load_app(&dir.join("template.yaml"), &[]).expect_err("no Tag");
    assert!(
        e.file.ends_with("nested/auth.yaml") && e.message.contains("Auth's Parameters"),
        "{e}"
    );
}

#[test]
fn an_ssm_parameter_a_sibling_stack_writes_is_read_by_the_next() {
    let parent = r#"
Resources:
  Writer:
    Type: AWS::CloudFormation::Stack
    Properties: {TemplateURL: writer.yaml}
  Reader:
    Type: AWS::Serverless::Application
    DependsOn: Writer
    Properties: {Location: reader.yaml}
  Remote:
    Type: AWS::Serverless::Application
    Properties:
      Location: {ApplicationId: arn:aws:serverlessrepo:us-east-1:123456789012:applications/x, SemanticVersion: 1.0.0}
Outputs:
  Arn: {Value: !GetAtt Reader.Outputs.Arn}
  Far: {Value: !GetAtt Remote.Outputs.Thing}
"#;
    let writer = r#"
Resources:
  Pool: {Type: AWS::Cognito::UserPool}
  PoolArn:
    Type: AWS::SSM::Parameter
    Properties: {Name: /app/pool-arn, Type: String, Value: !GetAtt Pool.Arn}
"#;
    let reader = r#"
Parameters:
  PoolArn: {Type: "AWS::SSM::Parameter::Value<String>", Default: /app/pool-arn}
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties: {TopicName: !Select [1, !Split ["/", !Ref PoolArn]]}
Outputs:
  Arn: {Value: !Ref PoolArn}
"#;
    let dir = files(
        "nested-ssm",
        &[
            ("template.yaml", parent),
            ("writer.yaml", writer),
            ("reader.yaml", reader),
        ],
    );
    let app = load_app(&dir.join("template.yaml"), &[]).expect("loads");
    assert_eq!(
        app.outputs["Arn"],
        "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Writer/Pool"
    );
    let remote = app
        .not_emulated
        .iter()
        .find(|n| n.logical_id == "Remote")
        .expect("a nested stack elsewhere is not emulated");
    assert!(remote.attributes.contains_key("Outputs.Thing"));
    assert_eq!(app.outputs["Far"], remote.attributes["Outputs.Thing"]);
}

#[test]
fn tables_become_create_table_requests() {
    let text = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: sk, AttributeType: S}
      KeySchema:
        - {AttributeName: pk, KeyType: HASH}
        - {AttributeName: sk, KeyType: RANGE}
      GlobalSecondaryIndexes:
        - IndexName: bySk
          KeySchema: [{AttributeName: sk, KeyType: HASH}]
          Projection: {ProjectionType: ALL}
      StreamSpecification: {StreamViewType: NEW_IMAGE}
      TimeToLiveSpecification: {AttributeName: expires, Enabled: true}
  Simple:
    Type: AWS::Serverless::SimpleTable
    Properties:
      TableName: !Sub "${AWS::StackName}-simple"
      PrimaryKey: {Name: userId, Type: Number}
"#;
    let (app, _) = app(text);
    let orders = app
        .tables
        .iter()
        .find(|t| t.logical_id == "Orders")
        .expect("Orders");
    assert!(
        orders.name.starts_with("gatehouse-Orders-"),
        "{}",
        orders.name
    );
    assert_eq!(orders.create["TableName"], orders.name.as_str());
    assert_eq!(orders.create["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(orders.create["KeySchema"][1]["KeyType"], "RANGE");
    assert_eq!(
        orders.create["GlobalSecondaryIndexes"][0]["IndexName"],
        "bySk"
    );
    assert_eq!(
        orders.create["StreamSpecification"],
        json!({"StreamEnabled": true, "StreamViewType": "NEW_IMAGE"})
    );
    assert_eq!(
        orders.time_to_live,
        Some(
            json!({"TableName": orders.name, "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "expires"}})
        )
    );
    let simple = app
        .tables
        .iter()
        .find(|t| t.logical_id == "Simple")
        .expect("Simple");
    assert_eq!(
        simple.create,
        json!({
            "TableName": "gatehouse-simple",
            "AttributeDefinitions": [{"AttributeName": "userId", "AttributeType": "N"}],
            "KeySchema": [{"AttributeName": "userId", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        })
    );
    // Until an endpoint serves them, they are listed as not emulated.
    assert!(app.not_emulated.iter().any(|n| n.logical_id == "Simple"));
}

#[test]
fn a_function_that_calls_its_own_stacks_api_gets_the_local_url() {
    let text = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Caller:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      InlineCode: x
      Environment:
        Variables:
          PRODUCTS: !Sub "https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod/product"
          ELSEWHERE: https://abcdefghij.execute-api.us-east-1.amazonaws.com/Prod
      Events:
        Get: {Type: Api, Properties: {Path: /product, Method: get}}
"#;
    let (app, _) = app(text);
    let env: BTreeMap<_, _> = app.functions[0].env.iter().cloned().collect();
    assert_eq!(env["PRODUCTS"], "http://127.0.0.1:3000/Prod/product");
    assert_eq!(
        env["ELSEWHERE"], "https://abcdefghij.execute-api.us-east-1.amazonaws.com/Prod",
        "another stack's API is left alone"
    );
}

#[test]
fn domains_and_resource_servers_are_provisioned_with_their_references() {
    let text = r#"
Resources:
  Pool: {Type: AWS::Cognito::UserPool}
  Domain:
    Type: AWS::Cognito::UserPoolDomain
    Properties: {UserPoolId: !Ref Pool, Domain: my-app}
  Orders:
    Type: AWS::Cognito::UserPoolResourceServer
    Properties:
      UserPoolId: !Ref Pool
      Identifier: orders
      Name: Orders
      Scopes: [{ScopeName: read, ScopeDescription: read them}]
  Client:
    Type: AWS::Cognito::UserPoolClient
    DependsOn: Orders
    Properties:
      UserPoolId: !Ref Pool
      AllowedOAuthScopes: [!Sub "${Orders}/read"]
Outputs:
  Domain: {Value: !Ref Domain}
  Cf: {Value: !GetAtt Domain.CloudFrontDistribution}
"#;
    let (app, fake) = app(text);
    assert_eq!(app.outputs["Domain"], "my-app");
    assert_eq!(app.outputs["Cf"], "my-app.auth.us-east-1.amazoncognito.com");
    let kinds: Vec<&str> = fake.requests.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["Pool", "domain", "resource server", "Client"]);
    let (_, client) = &fake.requests[3];
    assert_eq!(client["AllowedOAuthScopes"], json!(["orders/read"]));
    assert!(app.not_emulated.is_empty(), "{:?}", app.not_emulated);
}

#[test]
fn cloudformations_own_functions_run_from_inline_code_a_cdk_asset_or_not_from_s3() {
    let (app, _) = app(r#"
Resources:
  Inline:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/r
      Code:
        ZipFile: "def handler(e, c): return 1"
  Asset:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: nodejs22.x
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/r
      Timeout: 9
      Code:
        S3Bucket: !Sub cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}
        S3Key: 498c68e7.zip
    Metadata:
      aws:asset:path: asset.498c68e7
      aws:asset:property: Code
  InS3:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: nodejs22.x
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/r
      Code: {S3Bucket: my-bucket, S3Key: code.zip}
Outputs:
  Arn:
    Value: !GetAtt Asset.Arn
"#);
    let by = |id: &str| app.functions.iter().find(|f| f.logical_id == id).expect(id);
    assert_eq!(
        by("Inline").inline_code.as_deref(),
        Some("def handler(e, c): return 1")
    );
    let asset = by("Asset");
    assert!(
        asset.code_dir.ends_with("asset.498c68e7"),
        "{:?}",
        asset.code_dir
    );
    assert_eq!((asset.code_in_s3.as_deref(), asset.timeout_secs), (None, 9));
    assert_eq!(
        by("InS3").code_in_s3.as_deref(),
        Some("s3://my-bucket/code.zip")
    );
    assert_eq!(app.outputs["Arn"], asset.arn);
    assert!(app.not_emulated.is_empty(), "{:?}", app.not_emulated);
}

#[test]
fn the_ids_sam_generates_resolve_as_the_translator_spells_them() {
    // Spellings from aws-sam-translator 1.115 (api_generator.py, http_api_generator.py,
    // sam_resources.py, implicit_rest_api_plugin.py).
    let (app, _) = app(r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  MyApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Auth:
        UsagePlan:
          CreateUsagePlan: PER_API
  DotApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1.0
  Http:
    Type: AWS::Serverless::HttpApi
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      InlineCode: "def handler(e, c): pass"
      AutoPublishAlias: live-v_1
      Events:
        Get:
          Type: Api
          Properties: {Path: /x, Method: get}
Outputs:
  Stage:
    Value: !Ref MyApiProdStage
  DotStage:
    Value: !Ref DotApiStagea851fa3556
  HttpStage:
    Value: !Ref HttpApiGatewayDefaultStage
  Implicit:
    Value: !Ref ServerlessRestApiProdStage
  Plan:
    Value: !Ref MyApiUsagePlan
  Key:
    Value: !Ref MyApiApiKey
  Alias:
    Value: !Ref FnAliasliveDvU1
  Role:
    Value: !GetAtt FnRole.Arn
"#);
    let o = &app.outputs;
    assert_eq!(o["Stage"], "Prod");
    assert_eq!(o["DotStage"], "v1.0");
    assert_eq!(o["HttpStage"], "$default");
    assert_eq!(o["Implicit"], "Prod");
    assert!(
        o["Alias"].ends_with(":function:Fn:live-v_1"),
        "{}",
        o["Alias"]
    );
    assert!(
        o["Role"].starts_with("arn:aws:iam::123456789012:role/"),
        "{}",
        o["Role"]
    );
    assert!(!o["Plan"].is_empty() && !o["Key"].is_empty() && o["Plan"] != o["Key"]);
}

#[test]
fn a_not_emulated_resources_attributes_have_the_types_cloudformation_gives() {
    let (app, _) = app(r#"
Resources:
  Endpoint:
    Type: AWS::EC2::VPCEndpoint
    Properties: {ServiceName: com.amazonaws.us-east-1.execute-api, VpcId: vpc-1}
  Cache:
    Type: AWS::MemoryDB::Cluster
    Properties: {ClusterName: c, NodeType: db.t4g.small, ACLName: open-access}
Outputs:
  Host:
    Value: !Select ['1', !Split [':', !Select ['0', !GetAtt Endpoint.DnsEntries]]]
  Count:
    Value: !Length [!GetAtt Endpoint.NetworkInterfaceIds]
  Port:
    Value: !GetAtt Cache.ClusterEndpoint.Port
"#);
    assert!(
        app.outputs["Host"].starts_with("vpce-")
            && app.outputs["Host"].ends_with(".vpce.amazonaws.com"),
        "{}",
        app.outputs["Host"]
    );
    assert_eq!(app.outputs["Count"], "1");
    assert_eq!(app.outputs["Port"], "1");
    let ep = app
        .not_emulated
        .iter()
        .find(|n| n.logical_id == "Endpoint")
        .expect("listed");
    assert!(ep.attributes["DnsEntries"].is_array());

    let s = stack(
        "Resources:\n  Endpoint:\n    Type: AWS::EC2::VPCEndpoint\nOutputs:\n  X:\n    Value: !GetAtt Endpoint.DnsEntry\n",
    );
    let e = plan(&s).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        e.contains("does not support attribute type DnsEntry in Fn::GetAtt (a AWS::EC2::VPCEndpoint has CreationTimestamp, DnsEntries, Id, NetworkInterfaceIds)"),
        "{e}"
    );
}

#[test]
fn build_methods_are_read_as_sam_cli_reads_them() {
    let (app, _) = app(r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Bundled:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src/, Handler: app.handler, Runtime: nodejs22.x}
    Metadata:
      BuildMethod: esbuild
      BuildProperties: {Minify: false, Target: es2022, Format: esm, OutExtension: [.js=.mjs], EntryPoints: [app.ts]}
  Defaulted:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src/, Handler: handlers/get.lambdaHandler, Runtime: nodejs22.x}
    Metadata: {BuildMethod: esbuild}
  Made:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: py/, Handler: app.handler, Runtime: python3.12}
    Metadata: {BuildMethod: makefile, WorkingDirectory: py/sub}
  Plain:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: py/, Handler: app.handler, Runtime: python3.12}
    Metadata: {BuildMethod: python3.12}
"#);
    let build = |id: &str| {
        app.functions
            .iter()
            .find(|f| f.logical_id == id)
            .and_then(|f| f.build.clone())
    };
    let Some(crate::Build::Esbuild { properties }) = build("Bundled") else {
        panic!("esbuild");
    };
    assert_eq!(
        serde_json::Value::Object(properties),
        serde_json::json!({"minify": false, "target": "es2022", "format": "esm",
                           "out_extension": [".js=.mjs"], "entry_points": ["app.ts"]})
    );
    let Some(crate::Build::Esbuild { properties }) = build("Defaulted") else {
        panic!("esbuild");
    };
    assert_eq!(
        properties["entry_points"],
        serde_json::json!(["handlers/get"])
    );
    assert_eq!(
        build("Made"),
        Some(crate::Build::Makefile {
            working_dir: Some(Path::new("/app/py/sub").to_path_buf())
        })
    );
    assert_eq!(
        build("Plain"),
        None,
        "the runtime's own method installs dependencies only"
    );
}

#[test]
fn raw_request_validators_models_and_parameters_are_the_methods_validation() {
    let (app, _) = app(r#"
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: raw}
  Items:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: items}
  Validator:
    Type: AWS::ApiGateway::RequestValidator
    Properties: {RestApiId: !Ref Api, ValidateRequestBody: true, ValidateRequestParameters: true}
  ItemModel:
    Type: AWS::ApiGateway::Model
    Properties:
      RestApiId: !Ref Api
      Name: Item
      ContentType: application/json
      Schema: {type: object, required: [sku], properties: {part: {$ref: "https://apigateway.amazonaws.com/restapis/x/models/Empty"}}}
  Post:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Items
      HttpMethod: POST
      AuthorizationType: NONE
      RequestValidatorId: !Ref Validator
      RequestParameters: {method.request.querystring.q: true, method.request.header.x-a: false}
      RequestModels: {application/json: !Ref ItemModel}
      Integration: {Type: MOCK, RequestTemplates: {application/json: '{"statusCode": 200}'}, IntegrationResponses: [{StatusCode: "200"}]}
  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Items
      HttpMethod: GET
      AuthorizationType: NONE
      RequestParameters: {method.request.querystring.q: true}
      Integration: {Type: MOCK, RequestTemplates: {application/json: '{"statusCode": 200}'}, IntegrationResponses: [{StatusCode: "200"}]}
  Stage:
    Type: AWS::ApiGateway::Deployment
    Properties: {RestApiId: !Ref Api, StageName: p}
"#);
    let api = &app.apis[0];
    let route = |m: &str| api.routes.iter().find(|r| r.method == m).expect("route");
    let v = route("POST").validation.clone().expect("validated");
    assert!(v.body && v.parameters);
    assert_eq!(
        v.required,
        [(apispec::ParamIn::QueryString, "q".to_string())]
    );
    assert_eq!(v.models[0].0, "application/json");
    let model = &v.models[0].1;
    assert_eq!(
        model["definitions"]["Item"]["required"],
        serde_json::json!(["sku"])
    );
    assert_eq!(
        model["definitions"]["Empty"]["type"], "object",
        "API Gateway's built-in Empty"
    );
    assert_eq!(
        route("GET").validation,
        None,
        "no validator: nothing is validated"
    );
    assert!(
        !app.not_emulated
            .iter()
            .any(|n| n.type_name.ends_with("RequestValidator") || n.type_name.ends_with("Model")),
        "served, not listed as not emulated"
    );
}

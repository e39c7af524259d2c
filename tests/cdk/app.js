#!/usr/bin/env node
// A CDK app for gatehouse's tests: one stack with Cognito, a REST API and an HTTP API.
// Synthesize without the CDK CLI:  CDK_OUTDIR=cdk.out node app.js
'use strict';

const path = require('path');
const cdk = require('aws-cdk-lib');
const cognito = require('aws-cdk-lib/aws-cognito');
const lambda = require('aws-cdk-lib/aws-lambda');
const nodejs = require('aws-cdk-lib/aws-lambda-nodejs');
const apigw = require('aws-cdk-lib/aws-apigateway');
const apigwv2 = require('aws-cdk-lib/aws-apigatewayv2');
const { HttpUserPoolAuthorizer } = require('aws-cdk-lib/aws-apigatewayv2-authorizers');
const { HttpLambdaIntegration } = require('aws-cdk-lib/aws-apigatewayv2-integrations');
const { PythonFunction } = require('@aws-cdk/aws-lambda-python-alpha');

const fn = (...p) => path.join(__dirname, 'functions', ...p);

// A stack of its own holding a PythonFunction behind an HTTP API. A PythonFunction bundles in
// Docker; this stack is left out of the stacks that bundle (the aws:cdk:bundling-stacks
// context below, as `cdk synth` leaves out the stacks it was not asked for), so its asset is
// the source folder as written: what the bundle of a function with no requirements.txt holds.
class GatehouseCdkPythonStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const pyFn = new PythonFunction(this, 'PythonFn', {
      entry: fn('python-fn'),
      runtime: lambda.Runtime.PYTHON_3_12,
      environment: { STAGE_NAME: 'py' },
      // The image the construct would otherwise build at construction time (with Docker) from
      // this same base: named, it is pulled only when bundling runs, which here it does not.
      bundling: { image: cdk.DockerImage.fromRegistry('public.ecr.aws/sam/build-python3.12') },
    });
    const api = new apigwv2.HttpApi(this, 'PythonApi', { apiName: 'gatehouse-cdk-python' });
    api.addRoutes({
      path: '/py',
      methods: [apigwv2.HttpMethod.GET],
      integration: new HttpLambdaIntegration('PythonIntegration', pyFn),
    });
    new cdk.CfnOutput(this, 'PythonApiUrl', { value: api.apiEndpoint });
  }
}

class GatehouseCdkStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);

    // ---------------- Cognito ----------------
    const userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: 'gatehouse-cdk-users',
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      removalPolicy: cdk.RemovalPolicy.DESTROY,
    });

    const userPoolClient = userPool.addClient('WebClient', {
      userPoolClientName: 'gatehouse-cdk-web',
      generateSecret: false,
      authFlows: { userPassword: true, userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
        callbackUrls: ['http://localhost:3000/callback'],
        logoutUrls: ['http://localhost:3000/'],
      },
    });

    const domain = userPool.addDomain('HostedUi', {
      cognitoDomain: { domainPrefix: 'gatehouse-cdk' },
    });

    // ---------------- REST API (v1) ----------------
    // CJS handler, bundled locally by esbuild (default OutputFormat.CJS -> index.js)
    const openFn = new nodejs.NodejsFunction(this, 'OpenFn', {
      entry: fn('open-node', 'index.js'),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      environment: { GREETING: 'hello from /open' },
      bundling: { minify: false, sourceMap: false },
    });

    // ESM handler, bundled as ESM (OutputFormat.ESM -> index.mjs)
    const protectedFn = new nodejs.NodejsFunction(this, 'ProtectedFn', {
      entry: fn('protected-node', 'index.mjs'),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      bundling: { format: nodejs.OutputFormat.ESM, minify: false },
    });

    const restApi = new apigw.RestApi(this, 'RestApi', {
      restApiName: 'gatehouse-cdk-rest',
      deployOptions: { stageName: 'prod' },
    });

    const cognitoAuthorizer = new apigw.CognitoUserPoolsAuthorizer(this, 'RestCognitoAuthorizer', {
      cognitoUserPools: [userPool],
      authorizerName: 'rest-cognito',
      identitySource: 'method.request.header.Authorization',
    });

    restApi.root
      .addResource('open')
      .addMethod('GET', new apigw.LambdaIntegration(openFn));

    restApi.root
      .addResource('protected')
      .addMethod('GET', new apigw.LambdaIntegration(protectedFn), {
        authorizer: cognitoAuthorizer,
        authorizationType: apigw.AuthorizationType.COGNITO,
      });

    // ---------------- HTTP API (v2) ----------------
    // Plain lambda.Function + Code.fromAsset: no bundling, so no Docker needed.
    const pyFn = new lambda.Function(this, 'HttpPyFn', {
      runtime: lambda.Runtime.PYTHON_3_12,
      handler: 'app.handler',
      code: lambda.Code.fromAsset(fn('http-py')),
      environment: { GREETING: 'hello from python' },
    });

    const httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: 'gatehouse-cdk-http',
      corsPreflight: {
        allowOrigins: ['http://localhost:3000'],
        allowMethods: [apigwv2.CorsHttpMethod.GET],
        allowHeaders: ['authorization'],
      },
    });

    const userPoolAuthorizer = new HttpUserPoolAuthorizer('HttpCognitoAuthorizer', userPool, {
      userPoolClients: [userPoolClient],
      identitySource: ['$request.header.Authorization'],
    });

    httpApi.addRoutes({
      path: '/me',
      methods: [apigwv2.HttpMethod.GET],
      integration: new HttpLambdaIntegration('MeIntegration', pyFn),
      authorizer: userPoolAuthorizer,
    });

    httpApi.addRoutes({
      path: '/health',
      methods: [apigwv2.HttpMethod.GET],
      integration: new HttpLambdaIntegration('HealthIntegration', pyFn),
    });

    // ---------------- Outputs ----------------
    new cdk.CfnOutput(this, 'UserPoolId', { value: userPool.userPoolId });
    new cdk.CfnOutput(this, 'UserPoolClientId', { value: userPoolClient.userPoolClientId });
    new cdk.CfnOutput(this, 'HostedUiBaseUrl', { value: domain.baseUrl() });
    new cdk.CfnOutput(this, 'RestApiUrl', { value: restApi.url });
    new cdk.CfnOutput(this, 'HttpApiUrl', { value: httpApi.apiEndpoint });
  }
}

// When the app is run directly (`node app.js`) instead of through `cdk synth`,
// nothing sets the context keys the CLI passes by default. Without them the
// template has no aws:cdk:path / aws:asset:* metadata and no CDKMetadata resource.
// These are only defaults: CDK_CONTEXT_JSON (what the CLI sets) overrides them.
const app = new cdk.App({
  context: {
    'aws:cdk:enable-path-metadata': true,
    'aws:cdk:enable-asset-metadata': true,
    'aws:cdk:version-reporting': true,
    // GatehouseCdkStack bundles (NodejsFunction with esbuild, locally); GatehouseCdkPythonStack
    // does not (its PythonFunction would need Docker).
    'aws:cdk:bundling-stacks': ['GatehouseCdkStack'],
  },
});
new GatehouseCdkStack(app, 'GatehouseCdkStack', {
  description: 'gatehouse CDK test app',
});
new GatehouseCdkPythonStack(app, 'GatehouseCdkPythonStack', {
  description: 'gatehouse CDK test app: a PythonFunction',
});
app.synth();

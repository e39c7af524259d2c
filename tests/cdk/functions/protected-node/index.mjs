// ESM handler for REST API GET /protected (CognitoUserPoolsAuthorizer).
// With a Cognito user pool authorizer, API Gateway puts the ID token's claims
// in event.requestContext.authorizer.claims (all values are strings).
export const handler = async (event) => {
  const claims = event?.requestContext?.authorizer?.claims ?? null;
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      route: 'GET /protected',
      sub: claims?.sub ?? null,
      email: claims?.email ?? null,
      claims,
    }),
  };
};

'use strict';
// CommonJS handler for REST API GET /open (no authorizer).
exports.handler = async (event) => {
  const authorizer = (event.requestContext && event.requestContext.authorizer) || null;
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      route: 'GET /open',
      greeting: process.env.GREETING || null,
      path: event.path,
      stage: event.requestContext && event.requestContext.stage,
      claims: (authorizer && authorizer.claims) || null,
    }),
  };
};

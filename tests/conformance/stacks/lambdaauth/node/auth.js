// A REQUEST authorizer: the tenant header decides.
exports.handler = async (event) => {
  const tenant = event.headers["x-tenant"] ?? event.headers["X-Tenant"];
  console.log(`request authorizer called for ${tenant} with key ${event.queryStringParameters.key}`);
  if (tenant === "unauthorized") throw new Error("Unauthorized");
  if (tenant === "broken") return "not a policy";
  return {
    principalId: `tenant-${tenant}`,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: tenant === "blocked" ? "Deny" : "Allow", Resource: event.methodArn }],
    },
    context: { runtime: "node", tenant, resource: event.resource, method: event.httpMethod },
  };
};

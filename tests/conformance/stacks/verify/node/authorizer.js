// A TOKEN authorizer as AWS's aws-jwt-verify README writes one (CommonJS).
const { CognitoJwtVerifier } = require("aws-jwt-verify");

const verifier = CognitoJwtVerifier.create({
  userPoolId: process.env.USER_POOL_ID,
  tokenUse: "id",
  clientId: process.env.CLIENT_ID,
});

exports.handler = async (event) => {
  let payload;
  try {
    payload = await verifier.verify(event.authorizationToken);
  } catch (e) {
    console.log("token refused:", e.message);
    throw new Error("Unauthorized");
  }
  return {
    principalId: payload.sub,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: event.methodArn }],
    },
    context: { email: payload.email },
  };
};

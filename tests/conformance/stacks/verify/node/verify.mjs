// A handler that checks the caller's token itself (an ES module).
import { CognitoJwtVerifier } from "aws-jwt-verify";

const verifier = CognitoJwtVerifier.create({
  userPoolId: process.env.USER_POOL_ID,
  tokenUse: "id",
  clientId: process.env.CLIENT_ID,
});

export const handler = async (event) => {
  if (event.requestContext.authorizer) {
    return { statusCode: 200, body: JSON.stringify({ via: "authorizer", ...event.requestContext.authorizer }) };
  }
  try {
    const payload = await verifier.verify(event.headers.authorization ?? "");
    return { statusCode: 200, body: JSON.stringify({ via: "handler", email: payload.email }) };
  } catch (e) {
    return { statusCode: 401, body: JSON.stringify({ error: e.message }) };
  }
};

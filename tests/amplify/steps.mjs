// The flow an Amplify JS v6 app goes through, against a local stack: sign in to the user pool
// (SRP), fetch identity-pool credentials, call the stack's AWS_IAM REST routes through
// Amplify's REST client (Amplify signs the requests itself), sign out, and call again as a
// guest. Returns what each step saw. flow.mjs runs it in Node, browser.mjs in a page.
//
// cfg: {userPoolId, clientId, identityPoolId, cognito, api, username, password}
import { Amplify } from "aws-amplify";
import { signIn, signOut, fetchAuthSession } from "aws-amplify/auth";
import { get, post } from "aws-amplify/api";

async function call(method, path) {
  const op = (method === "POST" ? post : get)({ apiName: "stack", path });
  try {
    const res = await op.response;
    return { status: res.statusCode, body: await res.body.json() };
  } catch (e) {
    const res = e.response;
    if (!res) return { status: null, error: String(e) };
    let body = res.body;
    try {
      body = JSON.parse(res.body);
    } catch (_) {
      // not JSON: as it is
    }
    return { status: res.statusCode, body };
  }
}

export async function run(cfg) {
  Amplify.configure({
    Auth: {
      Cognito: {
        userPoolId: cfg.userPoolId,
        userPoolClientId: cfg.clientId,
        identityPoolId: cfg.identityPoolId,
        allowGuestAccess: true,
        userPoolEndpoint: cfg.cognito,
        identityPoolEndpoint: cfg.cognito,
      },
    },
    API: { REST: { stack: { endpoint: cfg.api, region: "us-east-1" } } },
  });
  const out = {};
  const signedIn = await signIn({ username: cfg.username, password: cfg.password });
  out.signIn = signedIn.nextStep.signInStep;
  const session = await fetchAuthSession();
  out.identityId = session.identityId;
  out.accessKeyId = session.credentials?.accessKeyId;
  out.private = await call("GET", "/private");
  out.write = await call("POST", "/private");
  await signOut();
  const guest = await fetchAuthSession();
  out.guestIdentityId = guest.identityId;
  out.guestPublic = await call("GET", "/public");
  out.guestPrivate = await call("GET", "/private");
  return out;
}

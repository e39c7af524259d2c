// Reads {url, method, headers, body, key, secret, region, presign?, expires?} as JSON on stdin
// and prints the request as the JS SDK's signer signs it: {headers} or {url} (presigned).
import { SignatureV4 } from "@smithy/signature-v4";
import { Sha256 } from "@aws-crypto/sha256-js";

const input = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (c) => (text += c));
  process.stdin.on("end", () => resolve(text));
}));
const url = new URL(input.url);
const query = {};
for (const [k, v] of url.searchParams) query[k] = v;
const request = {
  method: input.method,
  protocol: url.protocol,
  hostname: url.hostname,
  port: Number(url.port),
  path: url.pathname,
  query,
  headers: { host: url.host, ...(input.headers || {}) },
  body: input.body || undefined,
};
const signer = new SignatureV4({
  service: "execute-api",
  region: input.region,
  credentials: { accessKeyId: input.key, secretAccessKey: input.secret },
  sha256: Sha256,
});
if (input.presign) {
  const signed = await signer.presign(request, { expiresIn: input.expires || 60 });
  const q = new URLSearchParams(signed.query).toString();
  console.log(JSON.stringify({ url: `${url.protocol}//${url.host}${signed.path}?${q}` }));
} else {
  const signed = await signer.sign(request);
  console.log(JSON.stringify({ headers: signed.headers }));
}

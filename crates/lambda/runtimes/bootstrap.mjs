// gatehouse's Node.js bootstrap: the Lambda Runtime API loop for a Node.js function, as AWS's
// runtime interface client (aws-lambda-ric, which the managed nodejs runtimes run) does it:
// the handler named by _HANDLER is loaded once (CommonJS or ES module), then each event from
// GET /invocation/next is passed to it with a context object, and its result or error is
// posted back. Node core modules only.
//
// Kept from the client: handler resolution (module root, first dot, .js/.mjs/.cjs order,
// "type": "module"), the context's fields, promise and callback semantics (including
// callbackWaitsForEmptyEventLoop: a callback's result is sent once the event loop is empty),
// error bodies ({errorType, errorMessage, trace}), console lines as
// `<time>\t<requestId>\t<LEVEL>\t<message>`, and exits on uncaught errors (129, 128).

import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import Module, { createRequire, register, syncBuiltinESMExports } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import util from "node:util";

const API = process.env.AWS_LAMBDA_RUNTIME_API;
const [HOST, PORT] = [API.slice(0, API.lastIndexOf(":")), Number(API.slice(API.lastIndexOf(":") + 1))];
const RUNTIME = "/2018-06-01/runtime";
// Idle keep-alive sockets are unreferenced by the agent, so they never keep the event loop up.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const require = createRequire(import.meta.url);

let currentRequestId;

// --- the Runtime API --------------------------------------------------------------------------

function request(method, urlPath, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(body);
    const req = http.request(
      { host: HOST, port: PORT, method, path: urlPath, agent,
        headers: data ? { "Content-Length": data.length, ...headers } : headers },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (data) req.write(data);
    req.end();
  });
}

function postJson(urlPath, value, headers = {}) {
  return request("POST", urlPath, value, { "Content-Type": "application/json", ...headers });
}

// --- errors -----------------------------------------------------------------------------------

class RuntimeError extends Error {}
function runtimeError(name, message) {
  const e = new RuntimeError(message);
  e.name = `Runtime.${name}`;
  return e;
}

function isErrorLike(e) {
  return e instanceof Error || (e && typeof e === "object" && typeof e.name === "string"
    && typeof e.message === "string" && typeof e.stack === "string");
}

/** The body Lambda's runtime posts for an error. */
function toRapidResponse(e) {
  try {
    if (isErrorLike(e)) {
      return { errorType: e.name, errorMessage: e.message,
        trace: e.stack.replaceAll("\x7F", "%7F").split("\n") };
    }
    return { errorType: typeof e, errorMessage: String(e), trace: [] };
  } catch {
    return { errorType: "handled",
      errorMessage: "callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack" };
  }
}

/** What the log line shows of an error. */
function toLogged(e) {
  const err = isErrorLike(e) ? e : new Error(String(e));
  const out = { errorType: err.name, errorMessage: err.message };
  if (err.code !== undefined) out.code = err.code;
  for (const k of Object.keys(err)) out[k] = err[k];
  out.stack = typeof err.stack === "string" ? err.stack.split("\n") : [];
  return out;
}

// --- logging: console lines as Lambda writes them -----------------------------------------------

function write(level, message) {
  const line = `${new Date().toISOString()}\t${currentRequestId}\t${level}\t${message.replaceAll("\n", "\r")}\n`;
  process.stdout.write(line);
}

for (const [method, level] of [["log", "INFO"], ["info", "INFO"], ["warn", "WARN"], ["error", "ERROR"],
  ["debug", "DEBUG"], ["trace", "TRACE"]]) {
  console[method] = (...args) => write(level, util.format(...args));
}
console.fatal = (...args) => write("FATAL", util.format(...args));

function logError(label, e) {
  console.error(label, "\t" + JSON.stringify(toLogged(e)));
}

// --- loading the handler (the client's UserFunction.js rules) --------------------------------------

function hasTypeModule(file) {
  let dir = path.dirname(file);
  for (;;) {
    if (dir.endsWith(`${path.sep}node_modules`)) return false;
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg)) {
      try {
        return JSON.parse(fs.readFileSync(pkg, "utf8")).type === "module";
      } catch (e) {
        console.warn(`${pkg} cannot be read: ${e}`);
        return false;
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return false;
    dir = up;
  }
}

async function tryLoad(appRoot, moduleRoot, moduleName) {
  const p = path.resolve(appRoot, moduleRoot, moduleName);
  if (fs.existsSync(p)) return require(p);
  const js = `${p}.js`;
  const jsExists = fs.existsSync(js);
  const esm = jsExists && hasTypeModule(js);
  if (jsExists && !esm) return require(js);
  if (esm) return import(pathToFileURL(js).href);
  if (fs.existsSync(`${p}.mjs`)) return import(pathToFileURL(`${p}.mjs`).href);
  if (fs.existsSync(`${p}.cjs`)) return require(`${p}.cjs`);
  return require(require.resolve(moduleName, { paths: [appRoot, path.resolve(appRoot, moduleRoot)] }));
}

async function loadHandler(appRoot, full) {
  if (full.includes("..")) {
    throw runtimeError("MalformedHandlerName",
      `'${full}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`);
  }
  const handlerString = path.basename(full);
  const moduleRoot = full.substring(0, full.indexOf(handlerString));
  const match = /^([^.]*)\.(.*)$/.exec(handlerString);
  if (!match) throw runtimeError("MalformedHandlerName", "Bad handler");
  const [, moduleName, handlerPath] = match;
  let module;
  try {
    module = await tryLoad(appRoot, moduleRoot, moduleName);
  } catch (e) {
    if (e instanceof SyntaxError) throw runtimeError("UserCodeSyntaxError", String(e));
    if (e && e.code === "MODULE_NOT_FOUND") throw runtimeError("ImportModuleError", String(e));
    throw e;
  }
  const fn = handlerPath.split(".").reduce((o, k) => o && o[k], module);
  if (!fn) throw runtimeError("HandlerNotFound", `${full} is undefined or not exported`);
  if (typeof fn !== "function") throw runtimeError("HandlerNotFound", `${full} is not a function`);
  return fn;
}

// --- one invocation ---------------------------------------------------------------------------------

// One `beforeExit` action at a time, as the client keeps it: what to do once the event loop is
// empty (a callback's result waiting for it, or the answer of a handler that gave none).
let onEmptyLoop = null;
process.on("beforeExit", () => {
  const act = onEmptyLoop;
  onEmptyLoop = null;
  if (act) act();
});

function parseHeader(value, what) {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch (e) {
    throw new Error(`Cannot parse ${what} as json: ${e}`);
  }
}

function invoke(handler, headers, body) {
  const id = headers["lambda-runtime-aws-request-id"];
  currentRequestId = id;
  if (headers["lambda-runtime-trace-id"]) process.env._X_AMZN_TRACE_ID = headers["lambda-runtime-trace-id"];
  else delete process.env._X_AMZN_TRACE_ID;
  const base = `${RUNTIME}/invocation/${encodeURIComponent(id)}`;
  return new Promise((resolve) => {
    let finished = false;
    const post = (p) => p.then(resolve, (e) => { logError("Runtime API error", e); resolve(); });
    const succeed = (result) => {
      let json;
      try {
        json = JSON.stringify(result === undefined ? null : result);
      } catch {
        return fail(new Error("Unable to stringify response body"));
      }
      post(postJson(`${base}/response`, json));
    };
    const fail = (err) => {
      const e = err === undefined || err === null ? "handled" : err;
      logError("Invoke Error", e);
      post(postJson(`${base}/error`, JSON.stringify(toRapidResponse(e))));
    };
    const once = (f) => (...a) => { if (!finished) { finished = true; onEmptyLoop = null; f(...a); } };
    let waitForEmptyLoop = true;
    const done = once((err, result) => (err !== undefined && err !== null ? fail(err) : succeed(result)));
    const callback = (err, result) => {
      if (finished) return;
      if (err !== undefined && err !== null) return done(err);
      if (waitForEmptyLoop) onEmptyLoop = () => done(null, result);
      else done(null, result);
    };
    const deadline = Number(headers["lambda-runtime-deadline-ms"]);
    let context;
    try {
      context = {
        get callbackWaitsForEmptyEventLoop() { return waitForEmptyLoop; },
        set callbackWaitsForEmptyEventLoop(v) { waitForEmptyLoop = v; },
        succeed: (r) => done(null, r),
        fail: (e) => done(e === undefined || e === null ? "handled" : e),
        done: (e, r) => done(e, r),
        functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
        functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
        memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
        logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
        logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
        clientContext: parseHeader(headers["lambda-runtime-client-context"], "ClientContext"),
        identity: parseHeader(headers["lambda-runtime-cognito-identity"], "CognitoIdentity"),
        invokedFunctionArn: headers["lambda-runtime-invoked-function-arn"],
        awsRequestId: id,
        tenantId: headers["lambda-runtime-aws-tenant-id"],
        getRemainingTimeInMillis: () => deadline - Date.now(),
      };
      // A handler that neither returns a promise nor calls back answers `null` once the event
      // loop is empty; an async one whose promise never settles, an error.
      onEmptyLoop = handler.constructor.name === "AsyncFunction"
        ? () => done(runtimeError("NodeJsExit", "The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes"))
        : () => done(null, null);
      const result = handler(JSON.parse(body.toString("utf8")), context, callback);
      if (result && typeof result.then === "function") {
        result.then((r) => done(null, r), (e) => done(e === undefined || e === null ? "handled" : e))
          .catch((e) => done(e));
      }
    } catch (err) {
      if (err !== undefined) done(err);
      else done(null, undefined);
    }
  });
}

// --- local user pools where code verifying tokens looks for them -------------------------------------

// Code that verifies a Cognito token the way AWS teaches (aws-jwt-verify's CognitoJwtVerifier,
// jwks-rsa, a `request` or `fetch` of the JWKS) asks https://cognito-idp.<region>.amazonaws.com/
// <poolId>/.well-known/jwks.json. For the stack's local pools (GATEHOUSE_COGNITO_POOLS), those
// requests go to the local endpoint (GATEHOUSE_COGNITO_ENDPOINT) instead, over plain HTTP on
// loopback; every other request is left alone. https.request and https.get are wrapped (and
// the ES module bindings synced), and so is fetch.
function routeLocalCognito() {
  const endpoint = process.env.GATEHOUSE_COGNITO_ENDPOINT;
  const pools = new Set((process.env.GATEHOUSE_COGNITO_POOLS || "").split(",").filter(Boolean));
  delete process.env.GATEHOUSE_COGNITO_ENDPOINT;
  delete process.env.GATEHOUSE_COGNITO_POOLS;
  if (!endpoint || pools.size === 0) return;
  const local = new URL(endpoint);
  const cognitoHost = /^cognito-idp\.[a-z0-9-]+\.amazonaws\.com$/;
  const redirect = (u) => {
    if (u.protocol !== "https:" || !cognitoHost.test(u.hostname)) return null;
    if (!pools.has(u.pathname.split("/")[1])) return null;
    return new URL(u.pathname + u.search, local);
  };
  const wrap = (original, viaHttp) => function (...args) {
    let url;
    let options = {};
    let rest;
    if (typeof args[0] === "string" || args[0] instanceof URL) {
      try { url = new URL(args[0]); } catch { return original.apply(this, args); }
      rest = args.slice(1);
      if (rest[0] && typeof rest[0] === "object") options = rest.shift();
    } else if (args[0] && typeof args[0] === "object") {
      options = args[0];
      rest = args.slice(1);
      const host = options.hostname || String(options.host || "").replace(/:\d+$/, "");
      if (!host) return original.apply(this, args);
      url = new URL(`https://${host}${options.path || "/"}`);
    } else {
      return original.apply(this, args);
    }
    const target = redirect(url);
    if (!target) return original.apply(this, args);
    // TLS settings and an https agent mean nothing to the local endpoint.
    const { agent: _a, ca: _c, cert: _e, key: _k, servername: _s, rejectUnauthorized: _r, ...kept } = options;
    return viaHttp({ ...kept, protocol: "http:", host: target.hostname, hostname: target.hostname,
                     port: target.port, path: target.pathname + target.search }, ...rest);
  };
  https.request = wrap(https.request, http.request);
  https.get = wrap(https.get, http.get);
  syncBuiltinESMExports();
  const originalFetch = globalThis.fetch;
  if (originalFetch) {
    globalThis.fetch = function (input, init) {
      let u;
      try { u = new URL(typeof input === "string" || input instanceof URL ? input : input.url); } catch { return originalFetch(input, init); }
      const target = redirect(u);
      if (!target) return originalFetch(input, init);
      return originalFetch(typeof input === "string" || input instanceof URL ? target : new Request(target, input), init);
    };
  }
}

// --- the runtime's SDK where Lambda's runtime puts it --------------------------------------------

// Lambda's Node.js runtimes (18.x and later) search NODE_PATH's folders when an ES module imports
// a bare name, which stock Node does only for `require`; the runtime's SDK is found that way from
// an `index.mjs` with no node_modules of its own. A resolve hook does the same here: a bare name
// the usual walk does not find is looked up in each NODE_PATH folder named `node_modules`.
function esmNodePath() {
  const dirs = (process.env.NODE_PATH || "").split(path.delimiter)
    .filter((d) => path.basename(d) === "node_modules");
  if (dirs.length === 0 || typeof register !== "function") return;
  const parents = dirs.map((d) => pathToFileURL(path.join(path.dirname(d), "gatehouse-node-path.js")).href);
  const hooks = `
const parents = ${JSON.stringify(parents)};
// A package name: not a relative or absolute path, not a URL (node:, file:, data:).
const bare = (s) => !s.startsWith(".") && !s.startsWith("/") && !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(s);
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (e) {
    if (e?.code !== "ERR_MODULE_NOT_FOUND" || !bare(specifier)) throw e;
    for (const parentURL of parents) {
      try { return await next(specifier, { ...context, parentURL }); } catch {}
    }
    throw e;
  }
}`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
}

// aws-sdk v2 (what nodejs16.x and earlier ship) reads no AWS_ENDPOINT_URL_<SERVICE>, which the
// v3 SDK and boto3 read: when a function first loads it, each such variable becomes that
// service's `endpoint` in its global config (S3 with path-style addressing, as local servers
// want), so its clients reach the same local services as the others'.
function sdkV2Endpoints() {
  const endpoints = Object.entries(process.env).filter(([k]) => k.startsWith("AWS_ENDPOINT_URL_"));
  if (endpoints.length === 0) return;
  // v2's service identifiers, where they are not the SDK service id without its underscores.
  const renamed = { cognitoidentityprovider: "cognitoidentityserviceprovider", sfn: "stepfunctions" };
  const load = Module._load;
  let done = false;
  Module._load = function (request, ...rest) {
    const loaded = load.call(this, request, ...rest);
    if (!done && (request === "aws-sdk" || request.startsWith("aws-sdk/"))) {
      done = true;
      try {
        const AWS = request === "aws-sdk" ? loaded : load.call(this, "aws-sdk/lib/core", ...rest);
        for (const [k, url] of endpoints) {
          const id = k.slice("AWS_ENDPOINT_URL_".length).toLowerCase().replaceAll("_", "");
          const service = renamed[id] || id;
          AWS.config.update({ [service]: id === "s3" ? { endpoint: url, s3ForcePathStyle: true } : { endpoint: url } });
        }
      } catch (e) {
        console.warn(`aws-sdk: cannot give it the local endpoints: ${e}`);
      }
    }
    return loaded;
  };
}

// --- start ----------------------------------------------------------------------------------------

let initialized = false;
function fatal(label, e, code) {
  logError(label, e);
  const body = JSON.stringify(toRapidResponse(e));
  const url = initialized && currentRequestId
    ? `${RUNTIME}/invocation/${encodeURIComponent(currentRequestId)}/error`
    : `${RUNTIME}/init/error`;
  const headers = initialized ? {} : { "Lambda-Runtime-Function-Error-Type": toRapidResponse(e).errorType };
  postJson(url, body, headers).finally(() => process.exit(code));
}
process.on("uncaughtException", (e) => fatal("Uncaught Exception", e, 129));
process.on("unhandledRejection", (reason) => {
  const e = runtimeError("UnhandledPromiseRejection", String(reason));
  e.reason = reason;
  fatal("Unhandled Promise Rejection", e, 128);
});

globalThis.awslambda = {
  streamifyResponse: (handler) => handler,
  HttpResponseStream: class HttpResponseStream {},
};

routeLocalCognito();
esmNodePath();
sdkV2Endpoints();
const appRoot = process.env.LAMBDA_TASK_ROOT || process.cwd();
const handler = await loadHandler(appRoot, process.env._HANDLER);
initialized = true;
for (;;) {
  currentRequestId = undefined;
  const next = await request("GET", `${RUNTIME}/invocation/next`);
  await invoke(handler, next.headers, next.body);
}

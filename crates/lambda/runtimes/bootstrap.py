"""gatehouse's Python bootstrap: the Lambda Runtime API loop for a Python function, as AWS's
runtime interface client (awslambdaric) runs it: the handler named by _HANDLER is imported
once, then each event from GET /invocation/next is passed to it with a context object, and
its result (or error) is posted back. Standard library only.

Differences from awslambdaric: JSON is written by the standard `json` module (a Decimal is
written as an int or a float), and logs go to stdout/stderr as plain text.
"""

import decimal
import http.client
import importlib
import json
import os
import sys
import time
import traceback

RUNTIME = "/2018-06-01/runtime"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"


class Fault(Exception):
    """An error of the runtime itself (the handler could not be loaded, the event not read)."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


class Client:
    """One keep-alive connection to the Runtime API, made again when it breaks."""

    def __init__(self, address):
        self.host, port = address.rsplit(":", 1)
        self.port = int(port)
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port)
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
            except (ConnectionError, http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")


class CognitoIdentity:
    cognito_identity_id = None
    cognito_identity_pool_id = None


class Client_:  # noqa: N801 (the name awslambdaric gives it is `Client`)
    installation_id = None
    app_title = None
    app_version_name = None
    app_version_code = None
    app_package_name = None


class ClientContext:
    custom = None
    env = None
    client = None


def make_obj_from_dict(cls, data):
    if data is None:
        return None
    obj = cls()
    for k, v in data.items():
        setattr(obj, k, v)
    return obj


class LambdaContext:
    """The context object, with awslambdaric's fields."""

    def __init__(self, request_id, client_context, cognito_identity, deadline_ms, arn):
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = arn
        self.tenant_id = None
        self.client_context = make_obj_from_dict(ClientContext, client_context)
        if self.client_context is not None:
            self.client_context.client = make_obj_from_dict(Client_, self.client_context.client)
        self.identity = make_obj_from_dict(CognitoIdentity, {})
        if cognito_identity is not None:
            self.identity.cognito_identity_id = cognito_identity.get("cognitoIdentityId")
            self.identity.cognito_identity_pool_id = cognito_identity.get("cognitoIdentityPoolId")
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        left = self._deadline_ms - int(time.time() * 1000)
        return left if left > 0 else 0

    def __repr__(self):
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},client_context={self.client_context},"
            f"identity={self.identity}])"
        )


def make_error(message, error_type, stack_trace, request_id=None):
    return {
        "errorMessage": message if message else "",
        "errorType": error_type if error_type else "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": stack_trace if stack_trace else [],
    }


def user_frames(tb):
    """The traceback without this bootstrap's own frames."""
    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)]
    for i, frame in enumerate(frames):
        if not frame[0].endswith("gatehouse_bootstrap.py"):
            return frames[i:]
    return frames


def fault_result(exc, request_id=None):
    if isinstance(exc, Fault):
        return make_error(exc.message, exc.error_type, exc.trace, request_id)
    return make_error(str(exc), type(exc).__name__,
                      traceback.format_list(user_frames(exc.__traceback__)), request_id)


def log_error(error):
    lines = ["[ERROR] " + ": ".join(x for x in (error["errorType"], error["errorMessage"]) if x)]
    lines.append("Traceback (most recent call last):")
    for element in error["stackTrace"]:
        lines.extend(element.splitlines() or [""])
    print("\n".join(lines), flush=True)


def load_handler(name):
    try:
        module_name, function_name = name.rsplit(".", 1)
    except ValueError as e:
        raise Fault("Runtime.MalformedHandlerName", f"Bad handler '{name}': {e}") from None
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise Fault("Runtime.BuiltInModuleConflict",
                    f"Cannot use built-in module {module_name} as a handler module")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as e:
        raise Fault("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {e}") from None
    except SyntaxError as e:
        trace = [f'  File "{e.filename}" Line {e.lineno}\n    {e.text}']
        raise Fault("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {e}", trace) from None
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise Fault("Runtime.HandlerNotFound",
                    f"Handler '{function_name}' missing on module '{module_name}'") from None


def json_default(obj):
    if isinstance(obj, decimal.Decimal):
        return int(obj) if obj == obj.to_integral_value() else float(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def marshal(result):
    if isinstance(result, bytes):
        return result, "application/unknown"
    ascii_only = os.environ.get("AWS_EXECUTION_ENV") not in {
        "AWS_Lambda_python3.12", "AWS_Lambda_python3.13", "AWS_Lambda_python3.14"}
    try:
        return json.dumps(result, default=json_default, ensure_ascii=ascii_only).encode(), "application/json"
    except Exception as e:
        raise Fault("Runtime.MarshalError", f"Unable to marshal response: {e}") from None


def parse_header(value, what):
    if not value:
        return None
    try:
        return json.loads(value)
    except Exception as e:
        raise Fault("Runtime.LambdaContextUnmarshalError", f"Unable to parse {what} JSON: {e}") from None


class Unbuffered:
    """A stream written through at once, as awslambdaric wraps stdout and stderr."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, msg):
        self.stream.write(msg)
        self.stream.flush()

    def writelines(self, msgs):
        self.stream.writelines(msgs)
        self.stream.flush()

    def __getattr__(self, attr):
        return getattr(self.stream, attr)


def route_local_cognito():
    """Code that verifies a Cognito token the way AWS teaches (PyJWT's PyJWKClient, AWS's
    python-jose sample) fetches https://cognito-idp.<region>.amazonaws.com/<poolId>/.well-known/
    jwks.json with urllib. For the stack's local pools (GATEHOUSE_COGNITO_POOLS) that request goes
    to the local endpoint (GATEHOUSE_COGNITO_ENDPOINT) instead, over plain HTTP on loopback;
    every other request is left alone."""
    import re
    import urllib.parse
    import urllib.request

    endpoint = os.environ.pop("GATEHOUSE_COGNITO_ENDPOINT", "")
    pools = {p for p in os.environ.pop("GATEHOUSE_COGNITO_POOLS", "").split(",") if p}
    if not endpoint or not pools:
        return
    cognito_host = re.compile(r"^cognito-idp\.[a-z0-9-]+\.amazonaws\.com$")

    def local(url):
        u = urllib.parse.urlsplit(url)
        if u.scheme != "https" or not cognito_host.match(u.hostname or ""):
            return None
        if u.path.split("/")[1:2] and u.path.split("/")[1] in pools:
            return endpoint.rstrip("/") + u.path + ("?" + u.query if u.query else "")
        return None

    original = urllib.request.urlopen

    def urlopen(url, *args, **kwargs):
        full = url.full_url if isinstance(url, urllib.request.Request) else url
        target = local(full) if isinstance(full, str) else None
        if target is None:
            return original(url, *args, **kwargs)
        if isinstance(url, urllib.request.Request):
            url = urllib.request.Request(target, data=url.data, headers=dict(url.header_items()),
                                         method=url.get_method())
        else:
            url = target
        kwargs.pop("context", None)  # TLS settings mean nothing to the local endpoint
        return original(url, *args, **kwargs)

    urllib.request.urlopen = urlopen


def main():
    route_local_cognito()
    # The handler's folder first on the import path, as /var/task is on Lambda; not this
    # bootstrap's own folder.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    sys.path.insert(0, os.environ.get("LAMBDA_TASK_ROOT", os.getcwd()))
    sys.stdout = Unbuffered(sys.stdout)
    sys.stderr = Unbuffered(sys.stderr)
    client = Client(os.environ["AWS_LAMBDA_RUNTIME_API"])
    try:
        handler = load_handler(os.environ["_HANDLER"])
    except Exception as e:  # noqa: BLE001 (any failure of the user's module is an init error)
        error = fault_result(e)
        log_error(error)
        client.request("POST", f"{RUNTIME}/init/error", json.dumps(error).encode(),
                       {ERROR_TYPE_HEADER: error["errorType"], "Content-Type": "application/json"})
        sys.exit(1)
    while True:
        _, headers, body = client.request("GET", f"{RUNTIME}/invocation/next")
        request_id = headers.get("lambda-runtime-aws-request-id")
        trace = headers.get("lambda-runtime-trace-id")
        if trace:
            os.environ["_X_AMZN_TRACE_ID"] = trace
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        try:
            context = LambdaContext(
                request_id,
                parse_header(headers.get("lambda-runtime-client-context"), "Client Context"),
                parse_header(headers.get("lambda-runtime-cognito-identity"), "Cognito Identity"),
                int(headers.get("lambda-runtime-deadline-ms", "0")),
                headers.get("lambda-runtime-invoked-function-arn"),
            )
            content_type = headers.get("content-type", "application/json")
            if content_type == "application/json":
                try:
                    event = json.loads(body)
                except Exception as e:
                    raise Fault("Runtime.UnmarshalError", f"Unable to unmarshal input: {e}") from None
            else:
                event = body
            payload, payload_type = marshal(handler(event, context))
        except Exception as e:  # noqa: BLE001 (the function's error, reported as Lambda does)
            error = fault_result(e, request_id)
            log_error(error)
            client.request("POST", f"{RUNTIME}/invocation/{request_id}/error", json.dumps(error).encode(),
                           {ERROR_TYPE_HEADER: error["errorType"], "Content-Type": "application/json"})
        else:
            client.request("POST", f"{RUNTIME}/invocation/{request_id}/response", payload,
                           {"Content-Type": payload_type})


if __name__ == "__main__":
    main()

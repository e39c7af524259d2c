def handler(event, context):
    if event.get("fail"):
        raise ValueError("failing on purpose")
    return {
        "event": event,
        "context": {
            "type": type(context).__name__,
            "aws_request_id": context.aws_request_id,
            "function_name": context.function_name,
            "function_version": context.function_version,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "client_context": context.client_context,
            "identity": {"cognito_identity_id": context.identity.cognito_identity_id,
                         "cognito_identity_pool_id": context.identity.cognito_identity_pool_id},
            "remaining_is_int": isinstance(context.get_remaining_time_in_millis(), int),
            "public_fields": sorted(k for k in vars(context) if not k.startswith("_")),
        },
    }

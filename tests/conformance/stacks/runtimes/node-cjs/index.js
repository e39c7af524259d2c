// CommonJS, an async handler; and a callback-style one.
exports.handler = async (event, context) => {
  return {
    statusCode: 200,
    body: JSON.stringify({
      module: "cjs",
      claims: event.requestContext.authorizer ? event.requestContext.authorizer.claims : null,
      context: {
        awsRequestId: context.awsRequestId,
        functionName: context.functionName,
        memoryLimitInMB: context.memoryLimitInMB,
        invokedFunctionArn: context.invokedFunctionArn,
        remaining: context.getRemainingTimeInMillis(),
      },
    }),
  };
};

exports.callback = (event, context, callback) => {
  setTimeout(() => console.log("timer after the callback"), 50);
  callback(null, { statusCode: 200, body: JSON.stringify({ style: "callback" }) });
};

// The v3 JS SDK as Lambda's nodejs20.x runtime ships it: credentials from the environment,
// STS from AWS_ENDPOINT_URL_STS, no configuration.
const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");

const sts = new STSClient({});

exports.handler = async (event, context) => {
  const me = await sts.send(new GetCallerIdentityCommand({}));
  return {
    statusCode: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ Arn: me.Arn, UserId: me.UserId, Account: me.Account, FunctionName: context.functionName }),
  };
};

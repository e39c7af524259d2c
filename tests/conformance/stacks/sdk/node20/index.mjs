// The v3 clients from the runtime (no package.json), imported by an ES module: PUT stores the
// body under the id, GET reads it; GET /node20/env answers with the environment and the context.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";

const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const handler = async (event, context) => {
  const id = event.pathParameters.id;
  if (id === "env") {
    const fields = {};
    for (const k of ["functionName", "functionVersion", "invokedFunctionArn", "memoryLimitInMB",
      "awsRequestId", "logGroupName", "logStreamName", "callbackWaitsForEmptyEventLoop"]) fields[k] = context[k];
    fields.remainingMs = context.getRemainingTimeInMillis();
    fields.clientContext = context.clientContext ?? null;
    return { statusCode: 200, body: JSON.stringify({ env: process.env, context: fields }) };
  }
  if (event.httpMethod === "PUT") {
    await db.send(new PutCommand({ TableName: process.env.TABLE, Item: { id, text: event.body, by: "v3" } }));
    return { statusCode: 201, body: "{}" };
  }
  const got = await db.send(new GetCommand({ TableName: process.env.TABLE, Key: { id } }));
  return { statusCode: got.Item ? 200 : 404, body: JSON.stringify({ item: got.Item || null }) };
};

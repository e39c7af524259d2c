// GET /ddb/node: one GetItem with the v3 document client from the runtime.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";

const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const handler = async () => {
  const got = await db.send(new GetCommand({ TableName: process.env.TABLE, Key: { id: "bench" } }));
  return { statusCode: 200, body: JSON.stringify(got.Item || {}) };
};

// aws-sdk v2 from the runtime (no package.json): PUT stores the body under the id, GET reads it.
const AWS = require("aws-sdk");

const db = new AWS.DynamoDB.DocumentClient();

exports.handler = async (event) => {
  const id = event.pathParameters.id;
  if (event.httpMethod === "PUT") {
    await db.put({ TableName: process.env.TABLE, Item: { id, text: event.body, by: "aws-sdk" } }).promise();
    return { statusCode: 201, body: JSON.stringify({ sdk: AWS.VERSION }) };
  }
  const got = await db.get({ TableName: process.env.TABLE, Key: { id } }).promise();
  return { statusCode: got.Item ? 200 : 404, body: JSON.stringify({ item: got.Item || null, sdk: AWS.VERSION }) };
};

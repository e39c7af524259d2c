// An ES module (package.json "type": "module").
import { greet } from "./lib/greet.js";

export const handler = async (event) => {
  if (event.path === "/esm/throw") throw new TypeError("thrown on purpose");
  console.log("esm handled", event.path);
  return { statusCode: 200, body: JSON.stringify({ module: "esm", greeting: greet(process.env.GREETING) }) };
};

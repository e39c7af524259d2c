// Node: `node flow.mjs '<config json>'` prints what the Amplify flow saw (steps.mjs).
import { run } from "./steps.mjs";

console.log(JSON.stringify(await run(JSON.parse(process.argv[2]))));

// A page: the Amplify flow (steps.mjs) with window.GATEHOUSE_CONFIG, its result written into
// <pre id="out">, <body data-ready="true"> when done. Bundled by esbuild into dist/app.js.
import { run } from "./steps.mjs";

const out = document.getElementById("out");
run(window.GATEHOUSE_CONFIG)
  .then((r) => { out.textContent = JSON.stringify(r); })
  .catch((e) => { out.textContent = JSON.stringify({ error: String(e && (e.stack || e.message) || e) }); })
  .finally(() => { document.body.dataset.ready = "true"; });

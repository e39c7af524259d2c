// An ES module with no package.json: esbuild's default format (cjs) is what Lambda loads.
export const handler = async () => ({
  statusCode: 200,
  body: JSON.stringify({ moduleKind: typeof module === "undefined" ? "esm" : "cjs" }),
});

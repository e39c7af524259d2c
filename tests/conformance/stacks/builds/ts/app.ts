import ms from "ms";

interface Answer {
  statusCode: number;
  body: string;
}

// Typed: only esbuild's TypeScript loader makes this run on Node. `import.meta` exists in an
// ES module only (esbuild's cjs output would have none).
export const handler = async (event: { path: string }): Promise<Answer> => {
  return {
    statusCode: 200,
    body: JSON.stringify({ path: event.path, twoDays: ms("2 days"), file: import.meta.url.split("/").pop() }),
  };
};

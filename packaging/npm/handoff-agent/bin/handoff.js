#!/usr/bin/env node
// Runs the `handoff` binary of this platform's package (`handoff-agent-<os>-<cpu>`, an optional
// dependency npm installs only where it fits), passing arguments, stdio and the exit status.
"use strict";
const { spawnSync } = require("child_process");

const platform = `handoff-agent-${process.platform}-${process.arch}`;
let binary;
try {
  binary = require.resolve(`${platform}/bin/handoff`);
} catch {
  console.error(
    `error: no handoff binary for ${process.platform}-${process.arch} (package ${platform} is not installed)`
  );
  process.exit(1);
}
const run = spawnSync(binary, process.argv.slice(2), { stdio: "inherit" });
if (run.error) {
  console.error(`error: cannot run ${binary}: ${run.error.message}`);
  process.exit(1);
}
if (run.signal) {
  process.kill(process.pid, run.signal);
}
process.exit(run.status ?? 1);

// tap.mjs - what the DuckDB test scripts share: a check printed as
// "ok - ..." / "not ok - ...", the closing "N passed, N failed" (and the
// plan line "1..N" for the TAP tests that read it), and SQL quoting.

let passed = 0;
let failed = 0;

// Records and prints one check.
export function check(ok, msg, detail) {
  if (ok) {
    passed++;
    console.log(`ok - ${msg}`);
  } else {
    failed++;
    console.log(`not ok - ${msg}${detail !== undefined ? `: ${detail}` : ''}`);
  }
}

// True while no check has failed.
export function allPassed() {
  return failed === 0;
}

// Prints the counts (and the plan line with plan) and sets the exit code.
export function finish({ plan = true } = {}) {
  console.log(`${passed} passed, ${failed} failed`);
  if (plan) console.log(`1..${passed + failed}`);
  process.exitCode = failed === 0 ? 0 : 1;
}

export const lit = (s) => `'${String(s).replaceAll("'", "''")}'`;
export const ident = (s) => `"${String(s).replaceAll('"', '""')}"`;

// The test server's command line (tests/web/serve.mjs): --help prints its usage and exits 0
// without serving; a bad option is a one-line error and exit status 2, never a server started.
//   node tests/web/serve_test.mjs   (no browser, no build needed)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = join(dirname(fileURLToPath(import.meta.url)), 'serve.mjs');
// A server that starts anyway is stopped by the timeout: status null, its "serving" line on stdout.
const run = (...args) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 10000 });

test('serve.mjs --help prints its usage and exits 0 without serving', () => {
  for (const flag of ['--help', '-h']) {
    const r = run(flag, '--port', '0');
    assert.equal(r.status, 0, `${flag}: exit status ${r.status} (${r.signal ?? ''}), stdout: ${r.stdout}`);
    assert.match(r.stdout, /^A small static file server/);
    assert.match(r.stdout, /--port/);
    assert.doesNotMatch(r.stdout, /^serving /m);
  }
});

test('serve.mjs refuses a bad option with one line and exit status 2', () => {
  for (const [args, message] of [[['--bogus'], /unknown option '--bogus'/], [['--port'], /--port needs a value/],
    [['--port', 'x1'], /--port 'x1': expected a whole number 0\.\.65535/], [['--port', '70000'], /expected a whole number/]]) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: exit status ${r.status} (${r.signal ?? ''}), stdout: ${r.stdout}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.doesNotMatch(r.stdout, /^serving /m);
  }
});

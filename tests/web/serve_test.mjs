// The test server's command line (tests/web/serve.mjs): --help prints its usage and exits 0
// without serving; a bad option is a one-line error and exit status 2, never a server started.
// And what it serves: a --mount folder (make demo's docs/members), nothing outside its folders.
//   node tests/web/serve_test.mjs   (no browser, no build needed)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from './serve.mjs';

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
    [['--port', 'x1'], /--port 'x1': expected a whole number 0\.\.65535/], [['--port', '70000'], /expected a whole number/],
    [['--mount'], /--mount needs a value/], [['--mount', 'docs'], /--mount 'docs': expected \/PREFIX\/=DIR/],
    [['--mount', '/=docs'], /--mount '\/=docs': expected \/PREFIX\/=DIR/],
    [['--mount', '/x/=no-such-folder'], /--mount '\/x\/=no-such-folder': no-such-folder is not a folder/]]) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: exit status ${r.status} (${r.signal ?? ''}), stdout: ${r.stdout}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.doesNotMatch(r.stdout, /^serving /m);
  }
});

// A root's sibling whose name starts with the root's (web/ and webfoo/) is outside it: a path that
// climbs there (an encoded ../) is refused, as is one out of a mount.
test('serve() answers from its root and its mounts, and nothing beside them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ganzoo-serve-'));
  for (const [file, text] of [['web/index.html', 'page'], ['webfoo/secret.txt', 'root sibling'], ['docs/members/m.md', '# M'],
    ['docs/membersfoo/secret.txt', 'mount sibling']]) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  const server = await serve({ root: join(dir, 'web'), mounts: { '/docs/members/': join(dir, 'docs/members') } });
  try {
    const get = async (path) => { const r = await fetch(server.url + path); return [r.status, r.headers.get('content-type'), await r.text()]; };
    assert.deepEqual(await get(''), [200, 'text/html; charset=utf-8', 'page']);
    assert.deepEqual(await get('docs/members/m.md'), [200, 'text/plain; charset=utf-8', '# M']);
    assert.equal((await get('..%2fwebfoo/secret.txt'))[0], 403);
    assert.equal((await get('docs/members/..%2fmembersfoo/secret.txt'))[0], 403);
    assert.equal((await get('docs/members/nothere.md'))[0], 404);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve.mjs --mount serves the folder under its prefix, and says so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ganzoo-serve-'));
  mkdirSync(join(dir, 'web'));
  mkdirSync(join(dir, 'members'));
  writeFileSync(join(dir, 'web/index.html'), 'page');
  writeFileSync(join(dir, 'members/m.md'), '# M');
  const child = spawn(process.execPath, [script, '--root', join(dir, 'web'), '--port', '0', '--mount', `/docs/members/=${join(dir, 'members')}`]);
  try {
    const line = await new Promise((ok, fail) => {
      let out = '';
      child.stdout.on('data', (d) => { out += d; if (out.includes('\n')) ok(out.split('\n')[0]); });
      child.on('exit', (code) => fail(new Error(`serve.mjs exited ${code}`)));
    });
    const url = /on (http:\S+\/)/.exec(line)[1];
    assert.match(line, new RegExp(`, ${join(dir, 'members')}/ on ${url}docs/members/ `));
    const r = await fetch(`${url}docs/members/m.md`);
    assert.deepEqual([r.status, await r.text()], [200, '# M']);
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

// A small static file server for web/ (make demo, the browser tests and the benchmark).
//   node tests/web/serve.mjs [--root web] [--host 127.0.0.1] [--port 8000 | 0 = any free]
//                            [--mount /PREFIX/=DIR ...] [--cors] [--isolate] [--help]
// --mount    serves DIR (read-only, as the root) under /PREFIX/ too; make demo mounts the members'
//            pages, /docs/members/=docs/members, where the page's below-baseline notices link
// --cors     Access-Control-Allow-Origin: * (what a site hosting the widget's files needs)
// --isolate  COOP/COEP headers (cross-origin isolation, for threaded wasm)
// --help     this text
// Prints "serving ROOT on http://HOST:PORT/" once listening. Also usable as a module.
// Files are streamed (the browser tests serve a sparse 1.2 GB one); ?nolength=1 on a URL leaves
// Content-Length out, as a server that streams does, and ?hang=1 never answers.
import { createServer } from 'node:http';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.wasm': 'application/wasm', '.png': 'image/png',
  '.svg': 'image/svg+xml', '.safetensors': 'application/octet-stream', '.onnx': 'application/octet-stream',
  '.bin': 'application/octet-stream', '.ico': 'image/x-icon', '.md': 'text/plain; charset=utf-8',
};

// mounts: {'/prefix/': folder} serves extra folders (the tests' reference files). onAnswer(method,
// url, status) hears of every answer, including the browser's own requests a page does not see
// (its favicon).
export function serve({ root, host = '127.0.0.1', port = 0, cors = false, isolate = false, quiet = true, mounts = {}, onAnswer }) {
  root = resolve(root);
  const server = createServer(async (req, res) => {
    const headers = { 'Cache-Control': 'no-cache' };
    if (cors) {
      headers['Access-Control-Allow-Origin'] = '*';
      headers['Cross-Origin-Resource-Policy'] = 'cross-origin';
    }
    if (isolate) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
      headers['Cross-Origin-Resource-Policy'] ??= 'same-origin';
    }
    if (new URL(req.url, 'http://x').searchParams.get('hang') === '1') return;  // a server that never answers
    try {
      let path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      let base = root;
      for (const [prefix, dir] of Object.entries(mounts)) {
        if (path.startsWith(prefix)) { base = resolve(dir); path = path.slice(prefix.length - 1); break; }
      }
      path = normalize(join(base, path));
      if (path !== base && !path.startsWith(base + sep)) throw Object.assign(new Error('forbidden'), { code: 'EACCES' });
      let info = await stat(path);
      if (info.isDirectory()) {
        path = join(path, 'index.html');
        info = await stat(path);
      }
      const length = new URL(req.url, 'http://x').searchParams.get('nolength') === '1' ? {} : { 'Content-Length': info.size };
      res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(path)] || 'application/octet-stream', ...length });
      if (req.method === 'HEAD') res.end();
      else {
        const stream = createReadStream(path);
        stream.on('error', () => res.destroy());
        res.on('close', () => stream.destroy());  // the client stopped reading
        stream.pipe(res);
      }
    } catch (e) {
      res.writeHead(e.code === 'EACCES' ? 403 : 404, { ...headers, 'Content-Type': 'text/plain' });
      res.end(`${e.code === 'EACCES' ? 403 : 404} ${req.url}\n`);
    }
    if (!quiet) console.log(`${req.method} ${req.url} ${res.statusCode}`);
    onAnswer?.(req.method, req.url, res.statusCode);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok({ server, url: `http://${host}:${server.address().port}/`, close: () => new Promise((c) => { server.close(c); server.closeAllConnections(); }) }));
  });
}

// The command line: --help prints the usage above (exit 0); an unknown option, a missing value or
// a port that is not 0..65535 is a one-line error and exit status 2.
function parseArgs(argv) {
  const usage = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  const fail = (m) => { process.stderr.write(`serve.mjs: ${m} (--help lists the options)\n`); process.exit(2); };
  const o = { root: 'web', host: '127.0.0.1', port: 8000, cors: false, isolate: false, mounts: {} };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(usage.slice(0, usage.findIndex((l) => !l.startsWith('//'))).join('\n').replace(/^\/\/ ?/gm, ''));
      process.exit(0);
    } else if (a === '--cors' || a === '--isolate') o[a.slice(2)] = true;
    else if (a === '--mount') {
      if (i + 1 >= argv.length) fail('--mount needs a value');
      const m = /^(\/(?:[^=]+\/)?)=(.+)$/.exec(argv[++i]);
      if (!m || m[1] === '/') fail(`--mount '${argv[i]}': expected /PREFIX/=DIR`);
      if (!existsSync(m[2]) || !statSync(m[2]).isDirectory()) fail(`--mount '${argv[i]}': ${m[2]} is not a folder`);
      o.mounts[m[1]] = m[2];
    }
    else if (a === '--root' || a === '--host' || a === '--port') {
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      o[a.slice(2)] = argv[++i];
    } else fail(`unknown option '${a}'`);
  }
  const port = Number(o.port);
  if (!/^\d+$/.test(String(o.port)) || port > 65535) fail(`--port '${o.port}': expected a whole number 0..65535`);
  return { ...o, port };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { root, host, port, cors, isolate, mounts } = parseArgs(process.argv.slice(2));
  const { url } = await serve({ root, host, port, cors, isolate, mounts });
  const also = Object.entries(mounts).map(([prefix, dir]) => `, ${dir}/ on ${url}${prefix.slice(1)}`).join('');
  console.log(`serving ${root}/ on ${url}${also} (Ctrl-C stops)`);
}

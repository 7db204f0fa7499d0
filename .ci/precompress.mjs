// Writes `<file>.br` (brotli 11) and `<file>.gz` (gzip 9) beside each of the client's text and wasm files, so
// the relay serves them precompressed (tower-http ServeDir picks the variant the browser accepts). Prints the
// sizes. Usage: node .ci/precompress.mjs <dist dir>
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node .ci/precompress.mjs <dist dir>');
  process.exit(2);
}
const wanted = /\.(wasm|js|css|html|webmanifest|svg|json)$/;
const files = [];
(function walk(d) {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (wanted.test(e.name)) files.push(p);
  }
})(dir);
let raw = 0, br = 0, gz = 0;
for (const f of files) {
  const body = fs.readFileSync(f);
  const b = zlib.brotliCompressSync(body, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
      [zlib.constants.BROTLI_PARAM_LGWIN]: 24,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
    },
  });
  const g = zlib.gzipSync(body, { level: 9 });
  fs.writeFileSync(`${f}.br`, b);
  fs.writeFileSync(`${f}.gz`, g);
  raw += body.length;
  br += b.length;
  gz += g.length;
}
console.log(`precompressed ${files.length} files: ${raw} B raw, brotli ${br} B, gzip ${gz} B`);

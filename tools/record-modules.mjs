// Records the URL of every module the process loads, one per line, into the file named by FBNET_RECORD_MODULES:
//   FBNET_RECORD_MODULES=/tmp/modules.txt node --import ./tools/record-modules.mjs <script> ...
// tools/build.test.ts uses it to prove which fbnet commands stay off TF.js. ES modules are seen by a resolve hook
// (which writes synchronously from the hooks thread, so nothing is lost at exit); CommonJS requires (TF.js's node
// builds load some that way) through Module._load, prefixed `require:`.
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';

const out = process.env.FBNET_RECORD_MODULES;
if (out) {
  const hook = `
    import { appendFileSync } from 'node:fs';
    let out;
    export function initialize(file) { out = file; }
    export async function resolve(specifier, context, next) {
      const r = await next(specifier, context);
      appendFileSync(out, r.url + '\\n');
      return r;
    }`;
  register('data:text/javascript,' + encodeURIComponent(hook), { data: out });
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    const r = load.apply(this, arguments);
    try {
      appendFileSync(out, `require:${Module._resolveFilename(request, parent, isMain)}\n`);
    } catch {
      // a builtin or a module that resolves differently from here: nothing to record
    }
    return r;
  };
}

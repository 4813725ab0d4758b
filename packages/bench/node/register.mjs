import { register } from 'node:module';
register('./tfjs-esm-hooks.mjs', import.meta.url);

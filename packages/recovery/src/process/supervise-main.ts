import { superviseCli } from './supervise-cli.js';

process.exitCode = await superviseCli(process.argv.slice(2));

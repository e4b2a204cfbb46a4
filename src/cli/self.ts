import { fileURLToPath } from 'node:url';

/** This node and this palingenesis (dist/cli.js) by absolute path: what services and agents run. */
export function selfCommand(): { readonly node: string; readonly cli: string } {
  return {
    node: process.execPath,
    cli: fileURLToPath(new URL('../cli.js', import.meta.url)),
  };
}

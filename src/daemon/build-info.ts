import { readFileSync } from 'node:fs';
import { z } from 'zod';

export interface BuildInfo {
  readonly version: string;
  readonly commit: string;
}

const buildInfoFile = z.object({ version: z.string(), commit: z.string() });
const packageFile = z.object({ version: z.string() });

/**
 * Version from package.json; commit from dist/build-info.json, written by `npm run build`.
 * src/ and dist/ sit at the same depth, so the package root is two levels up from either.
 */
export function readBuildInfo(root: URL = new URL('../../', import.meta.url)): BuildInfo {
  const pkg = packageFile.parse(JSON.parse(readFileSync(new URL('package.json', root), 'utf8')));
  try {
    const built = buildInfoFile.parse(
      JSON.parse(readFileSync(new URL('dist/build-info.json', root), 'utf8')),
    );
    return { version: pkg.version, commit: built.commit };
  } catch {
    // Running from source without a build: there is no recorded commit.
    return { version: pkg.version, commit: 'unknown' };
  }
}

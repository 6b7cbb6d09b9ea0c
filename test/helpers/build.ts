import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'

/** Integration tests run the built `ff-storage` bin: build it first so it is never stale. */
export default function setup(): void {
  execFileSync(
    process.execPath,
    [resolve(import.meta.dirname, '../../node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: resolve(import.meta.dirname, '../..'),
      stdio: 'inherit',
    },
  )
}

import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { resolve } from 'node:path'

/** Integration tests run the built `ff-storage` bin: build it first so it is never stale. */
export default function setup(): void {
  // from scratch: files of modules since removed (and their maps) must not linger into the packed package
  rmSync(resolve(import.meta.dirname, '../../dist'), { recursive: true, force: true })
  execFileSync(
    process.execPath,
    [resolve(import.meta.dirname, '../../node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: resolve(import.meta.dirname, '../..'),
      stdio: 'inherit',
    },
  )
}

import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = resolve(import.meta.dirname, '../..')
const tsx = join(root, 'node_modules/.bin/tsx')
const main = join(root, 'src/cli/main.ts')

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(tsx, [main, ...args], { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } })
    return { code: 0, stdout, stderr }
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string }
    return { code: err.code, stdout: err.stdout, stderr: err.stderr }
  }
}

/** The ff-storage command end to end, on a PGlite database persisted in a temporary directory. */
describe('ff-storage CLI', () => {
  let dir: string
  let url: string
  const models = (version: 1 | 2) => {
    const file = join(dir, `models-v${version}.ts`)
    writeFileSync(
      file,
      `import { z } from 'zod'
import { defineModel, field } from ${JSON.stringify(join(root, 'src/index.ts'))}
export const User = defineModel({
  table: 'users',
  temporal: 'copy_on_change',
  fields: {
    email: field(z.email().max(255), { unique: true }),
    ${version === 1 ? 'legacy: z.string().max(10).optional(),' : 'age: z.int().min(0).max(150).optional(),'}
  },
})
export const all = [User]
`,
    )
    return file
  }

  beforeAll(() => {
    dir = mkdtempSync(join(root, '.tmp-cli-')) // inside the project: the models module resolves zod from here
    url = `pglite:${join(dir, 'db')}`
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('plan exits 2 with a readable plan while changes are pending', async () => {
    const { code, stdout } = await cli('plan', '--models', models(1), '--url', url)
    expect(code).toBe(2)
    expect(stdout).toContain('+ create table users')
    expect(stdout).toContain('+ create table users_audit')
    expect(stdout).toMatch(/Plan: 2 to add, 0 to change, 0 to remove\./)
    expect(stdout).not.toContain('\u001b[') // no colour without a TTY
  }, 60_000)

  it('apply exits 0 once applied, and plan then exits 0', async () => {
    const applied = await cli('apply', '--models', models(1), '--url', url)
    expect(applied.code).toBe(0)
    expect(applied.stdout).toMatch(/applied create table users\b/)
    const plan = await cli('plan', '--models', models(1), '--url', url)
    expect(plan.code).toBe(0)
    expect(plan.stdout.trim()).toBe('No changes. The database matches the models.')
  }, 60_000)

  it('apply exits 2 while destructive changes stay pending, and applies them with --allow-destructive', async () => {
    const partial = await cli('apply', '--models', models(2), '--url', url)
    expect(partial.code).toBe(2)
    expect(partial.stdout).toMatch(/applied add column users\.age/)
    expect(partial.stdout).toMatch(/pending drop column users\.legacy .*\[destructive\]/)
    expect(partial.stdout).toContain('use --allow-destructive')
    const forced = await cli('apply', '--models', models(2), '--url', url, '--allow-destructive')
    expect(forced.code).toBe(0)
    expect((await cli('plan', '--models', models(2), '--url', url)).code).toBe(0)
  }, 60_000)

  it('exits 1 with a message on errors', async () => {
    const missing = await cli('plan', '--url', url)
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('--models <module> is required')
    const unknown = await cli('migrate')
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain('unknown command "migrate"')
    const badUrl = await cli('plan', '--models', models(2), '--url', 'oracle://x/y')
    expect(badUrl.code).toBe(1)
    expect(badUrl.stderr).toContain('unknown scheme')
    const empty = join(dir, 'empty.ts')
    writeFileSync(empty, 'export const nothing = 1\n')
    const none = await cli('plan', '--models', empty, '--url', url)
    expect(none.code).toBe(1)
    expect(none.stderr).toContain('exports no models')
  }, 60_000)
})

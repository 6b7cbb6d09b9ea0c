import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = resolve(import.meta.dirname, '../..')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

interface Outcome {
  code: number
  stdout: string
  stderr: string
}

/**
 * The ff-storage command as a user meets it: the library packed (`npm pack`) and installed with zod
 * into a fresh project outside this repository, which has no tsx; its models are TypeScript and
 * JavaScript files as users write them; the database is PGlite persisted in the project.
 */
describe('ff-storage CLI in a fresh project that installs the packed library', { timeout: 180_000 }, () => {
  let project: string
  const cli = async (args: string[], env: Record<string, string> = {}): Promise<Outcome> => {
    const base: NodeJS.ProcessEnv = { ...process.env, ...env }
    delete base.DATABASE_URL
    delete base.FORCE_COLOR
    delete base.NO_COLOR
    Object.assign(base, env)
    try {
      const { stdout, stderr } = await run(join(project, 'node_modules/.bin/ff-storage'), args, {
        cwd: project,
        env: base,
      })
      return { code: 0, stdout, stderr }
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string }
      return { code: err.code, stdout: err.stdout, stderr: err.stderr }
    }
  }
  const url = 'pglite:./.data/db'
  /** An error: exit 1 and one line on stderr, no stack trace. */
  const expectOneLineError = (outcome: Outcome, text: string | RegExp) => {
    expect(outcome.code, outcome.stderr).toBe(1)
    expect(outcome.stderr.trimEnd().split('\n'), outcome.stderr).toHaveLength(1)
    expect(outcome.stderr).toMatch(/^ff-storage: /)
    expect(outcome.stderr).toMatch(text)
    expect(outcome.stderr).not.toMatch(/\n\s+at /)
  }

  const models = (version: 1 | 2) => {
    writeFileSync(
      join(project, 'src/models.ts'),
      `import { z } from 'zod'
import { defineModel, type ModelRecord } from 'ff-storage'
import { email } from './fields.js'

enum Tier { Free = 'free', Pro = 'pro' }
const fields: Record<string, unknown> = {
  email,
  tier: z.enum(Tier).default(Tier.Free),
  ${version === 1 ? 'legacy: z.string().max(10).optional(),' : 'age: z.int().min(0).max(150).optional(),'}
}
export const User = defineModel({ table: 'users', temporal: 'copy_on_change', fields: fields as never })
export type User = ModelRecord<typeof User>
`,
    )
    return './src/models.ts'
  }

  beforeAll(async () => {
    project = mkdtempSync(join(tmpdir(), 'ff-storage-user-'))
    mkdirSync(join(project, 'src'))
    // dist/ is built by the integration setup; --ignore-scripts skips building it a second time
    await run(npm, ['pack', '--ignore-scripts', '--silent', '--pack-destination', project], { cwd: root })
    const tarball = readdirSync(project).find((f) => f.endsWith('.tgz'))!
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }))
    await run(npm, ['install', `./${tarball}`, 'zod@^4', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: project,
    })
    writeFileSync(
      join(project, 'src/fields.ts'),
      `import { z } from 'zod'
import { field, type FieldSpec } from 'ff-storage'
export const email: FieldSpec = field(z.email().max(255), { unique: true })
`,
    )
  }, 180_000)
  afterAll(() => rmSync(project, { recursive: true, force: true }))

  it('the project has no TypeScript runner of its own', () => {
    expect(existsSync(join(project, 'node_modules/ff-storage/dist/index.js'))).toBe(true)
    for (const runner of ['tsx', 'ts-node', 'esbuild', 'typescript']) {
      expect(existsSync(join(project, 'node_modules', runner)), runner).toBe(false)
    }
  })

  it('plan loads TypeScript models (enums, type imports, .js specifiers of .ts files) and exits 2', async () => {
    const { code, stdout, stderr } = await cli(['plan', '--models', models(1), '--url', url])
    expect(stderr).toBe('')
    expect(code).toBe(2)
    expect(stdout).toContain('+ create table users')
    expect(stdout).toContain('+ create table users_audit')
    expect(stdout).toMatch(/Plan: 2 to add, 0 to change, 0 to remove\./)
    expect(stdout).not.toContain('\u001b[') // no colour without a TTY
    expect(stdout).not.toContain('CREATE TABLE') // no SQL unless --sql
  })

  it('plan --sql prints the DDL of each change', async () => {
    const { code, stdout } = await cli(['plan', '--models', models(1), '--sql'], { DATABASE_URL: url })
    expect(code).toBe(2)
    expect(stdout).toMatch(/-- create table users\b/)
    expect(stdout).toMatch(/^CREATE TABLE "?(public"?\.)?"?users"? \(/m)
    expect(stdout).toMatch(/^CREATE TABLE "?(public"?\.)?"?users_audit"? \(/m)
    expect(stdout).toMatch(/;\n/)
  })

  it('apply exits 0 once applied, and plan then exits 0', async () => {
    const applied = await cli(['apply', '--models', models(1), '--url', url])
    expect(applied.code, applied.stderr).toBe(0)
    expect(applied.stdout).toMatch(/applied create table users\b/)
    const plan = await cli(['plan', '--models', models(1), '--url', url])
    expect(plan.code).toBe(0)
    expect(plan.stdout.trim()).toBe('No changes. The database matches the models.')
  })

  it('apply exits 2 while destructive changes stay pending, and applies them with --allow-destructive', async () => {
    const partial = await cli(['apply', '--models', models(2), '--url', url])
    expect(partial.code, partial.stderr).toBe(2)
    expect(partial.stdout).toMatch(/applied add column users\.age/)
    expect(partial.stdout).toMatch(/pending drop column users\.legacy .*\[destructive\]/)
    expect(partial.stdout).toContain('use --allow-destructive')
    const forced = await cli(['apply', '--models', models(2), '--url', url, '--allow-destructive'])
    expect(forced.code).toBe(0)
    expect((await cli(['plan', '--models', models(2), '--url', url])).code).toBe(0)
  })

  it('loads JavaScript models, ES modules and CommonJS alike', async () => {
    writeFileSync(
      join(project, 'src/models.mjs'),
      `import { z } from 'zod'
import { defineModel } from 'ff-storage'
export default [defineModel({ table: 'notes', multiTenant: false, fields: { body: z.string() } })]
`,
    )
    writeFileSync(
      join(project, 'src/models.cjs'),
      `const { z } = require('zod')
const { defineModel } = require('ff-storage')
module.exports = { Note: defineModel({ table: 'notes', multiTenant: false, fields: { body: z.string() } }) }
`,
    )
    for (const file of ['./src/models.mjs', './src/models.cjs']) {
      const { code, stdout, stderr } = await cli(['plan', '--models', file, '--url', url])
      expect(stderr, file).toBe('')
      expect(code, file).toBe(2)
      expect(stdout, file).toContain('+ create table notes')
    }
  })

  it('colour follows the terminal: FORCE_COLOR turns it on, NO_COLOR wins', async () => {
    const forced = await cli(['plan', '--models', models(1), '--url', url], { FORCE_COLOR: '1' })
    expect(forced.stdout).toContain('\u001b[')
    const plain = await cli(['plan', '--models', models(1), '--url', url], { FORCE_COLOR: '1', NO_COLOR: '1' })
    expect(plain.code).toBe(2)
    expect(plain.stdout).not.toContain('\u001b[')
  })

  it('plan and apply refuse to run without --url or DATABASE_URL (never a throwaway database)', async () => {
    for (const command of ['plan', 'apply']) {
      const outcome = await cli([command, '--models', models(1)])
      expectOneLineError(outcome, `${command} needs --url <url> or DATABASE_URL`)
      expect(outcome.stdout).toBe('')
    }
  })

  it('every error is one line and exit 1', async () => {
    expectOneLineError(await cli(['plan', '--url', url]), '--models <module> is required')
    expectOneLineError(
      await cli(['plan', '--models', './src/nope.ts', '--url', url]),
      'models module ./src/nope.ts not found',
    )
    expectOneLineError(await cli(['plan', '--models', models(1), '--url', 'oracle://x/y']), 'unknown scheme')
    expectOneLineError(
      await cli(['plan', '--models', models(1), '--url', 'postgres://postgres@127.0.0.1:1/x']),
      /ConnectionError: Could not connect to postgres:\/\/postgres@127\.0\.0\.1:1\/x/,
    )
    expectOneLineError(
      await cli(['plan', '--models', models(1), '--frobnicate']),
      /Unknown option '--frobnicate'.*plan --help/,
    )
    expectOneLineError(await cli(['plan', '--models']), /--models.*argument missing/)
    expectOneLineError(await cli(['apply', '--sql']), /Unknown option '--sql'/)
    expectOneLineError(await cli(['migrate']), 'unknown command "migrate"')
    writeFileSync(join(project, 'src/empty.ts'), 'export const nothing: number = 1\n')
    expectOneLineError(await cli(['plan', '--models', './src/empty.ts', '--url', url]), 'exports no models')
    writeFileSync(join(project, 'src/broken.ts'), 'export const = 1\n')
    expectOneLineError(
      await cli(['plan', '--models', './src/broken.ts', '--url', url]),
      'cannot load models module ./src/broken.ts',
    )
    writeFileSync(
      join(project, 'src/invalid.ts'),
      `import { defineModel } from 'ff-storage'\nexport const X = defineModel({ table: 'x', fields: { a: 1 as never } })\n`,
    )
    expectOneLineError(
      await cli(['plan', '--models', './src/invalid.ts', '--url', url]),
      'cannot load models module ./src/invalid.ts',
    )
  })

  it('each command has its own --help', async () => {
    for (const command of ['plan', 'apply', 'demo']) {
      const { code, stdout } = await cli([command, '--help'])
      expect(code).toBe(0)
      expect(stdout).toMatch(new RegExp(`^Usage: ff-storage ${command}\\b`))
    }
    expect((await cli(['plan', '--help'])).stdout).toContain('--sql')
    expect((await cli(['apply', '-h'])).stdout).toContain('--allow-destructive')
    const top = await cli(['--help'])
    expect(top.code).toBe(0)
    expect(top.stdout).toMatch(/plan .*\n\s+apply .*\n\s+studio /)
  })

  it('the package ships what users need: no source maps to unshipped files, no generated API docs', () => {
    const pkg = join(project, 'node_modules/ff-storage')
    const files = (readdirSync(pkg, { recursive: true }) as string[]).map((f) => f.replaceAll('\\', '/'))
    expect(files).toContain('LICENSE')
    expect(files).toContain('cjs/index.cjs')
    expect(files).toContain('examples/scd2-regulation.ts') // the demo points at examples/
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([])
    expect(files.filter((f) => f.startsWith('docs/api') || f.startsWith('src/') || f.startsWith('test/'))).toEqual([])
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'))
    expect(manifest.peerDependencies).toEqual({ zod: '>=4.0.0' })
    expect(manifest.dependencies.zod).toBeUndefined()
  })

  it('a CommonJS program can require() the library', async () => {
    writeFileSync(
      join(project, 'consumer.cjs'),
      `const { connect, defineModel, SchemaManager } = require('ff-storage')
if (typeof connect !== 'function' || typeof defineModel !== 'function' || typeof SchemaManager !== 'function') process.exit(3)
console.log('ok')
`,
    )
    const { stdout, stderr } = await run(process.execPath, ['consumer.cjs'], { cwd: project })
    expect(stdout.trim()).toBe('ok')
    expect(stderr).toBe('')
  })

  it('a CommonJS program on a Node that cannot require() ES modules gets one clear message', async () => {
    // Node before 20.19 / 22.12 has no require(esm); --no-experimental-require-module turns it off
    // on this one, so the same path is taken: ERR_REQUIRE_ESM becomes what to do instead
    writeFileSync(
      join(project, 'old-node.cjs'),
      `try { require('ff-storage') } catch (e) { console.error(e.message); process.exit(4) }
console.log('loaded?!')
`,
    )
    const outcome = await run(process.execPath, ['--no-experimental-require-module', 'old-node.cjs'], {
      cwd: project,
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    )
    expect(outcome.code, outcome.stdout).toBe(4)
    expect(outcome.stderr.trim().split('\n')).toHaveLength(1)
    expect(outcome.stderr).toMatch(
      /^ff-storage is an ES module and (require\(\) of ES modules is turned off|Node v\S+ cannot require\(\) ES modules)/,
    )
    expect(outcome.stderr).toContain("await import('ff-storage')")
    expect(outcome.stderr).toContain('Node >= 20.19 / >= 22.12')
    expect(outcome.stderr).not.toContain('ERR_REQUIRE_ESM')
  })
})

import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = resolve(import.meta.dirname, '../..')
const tsx = join(root, 'node_modules/.bin/tsx')
/** Examples import 'ff-storage' as users do; the ff-source condition points that at src/. */
const runTs = (file: string, ...args: string[]) =>
  run(tsx, ['--conditions=ff-source', file, ...args], { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } })

const EXPECTED: Record<string, RegExp[]> = {
  'basic-copy-on-change.ts': [
    /INSERT email null → "ada@example.com"/,
    /UPDATE age {3}36 → 37/,
    /age at creation: 36 — now: 37/,
  ],
  'scd2-regulation.ts': [
    /before the change: 1000000.00 \(version 1\)/,
    /after the change: {2}750000.50 \(version 2\)/,
    /reverted: version 3 has 1000000.00/,
    /v3 .* → now \(current\)/,
  ],
  'schema-dry-run.ts': [
    /dry run: 3 changes, 0 applied/,
    /drop column products.legacy_code .*\[destructive\]/,
    /No changes\. The database matches the models\./,
  ],
  'multi-tenant-service.ts': [
    /acme asking for globex's invoices gets 0/,
    /admin over acme\+globex sees: A-1, G-1/,
    /TenantIsolationError \(true\)/,
  ],
}

describe('examples/', () => {
  const files = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.ts'))

  it('has an expectation for every example', () => {
    expect(files.sort()).toEqual(Object.keys(EXPECTED).sort())
  })

  for (const file of Object.keys(EXPECTED)) {
    it(`runs ${file}`, async () => {
      const { stdout } = await runTs(join(root, 'examples', file))
      for (const pattern of EXPECTED[file]!) expect(stdout).toMatch(pattern)
    }, 60_000)
  }
})

describe('docs/quickstart.md', () => {
  it('runs every ts block, in order, as one program', async () => {
    const markdown = readFileSync(join(root, 'docs/quickstart.md'), 'utf8')
    const blocks = [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!)
    expect(blocks.length).toBeGreaterThanOrEqual(5)
    const dir = mkdtempSync(join(root, '.tmp-quickstart-'))
    try {
      const file = join(dir, 'quickstart.ts')
      writeFileSync(file, blocks.join('\n'))
      const { stdout } = await runTs(file)
      expect(stdout).toContain('+ create table users')
      expect(stdout).toContain("[ 'ada@example.com' ]")
      expect(stdout).toMatch(/UPDATE role user → admin/)
      expect(stdout).toContain('age when created: 36')
      expect(stdout).toContain('null')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})

/** The ts blocks of a doc, in order, run as one program (with optional code between blocks). */
async function runDoc(doc: string, glue: (blocks: string[]) => string): Promise<string> {
  const markdown = readFileSync(join(root, 'docs', doc), 'utf8')
  const blocks = [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!)
  const dir = mkdtempSync(join(root, '.tmp-doc-'))
  try {
    const file = join(dir, 'doc.ts')
    writeFileSync(file, glue(blocks))
    return (await runTs(file)).stdout
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('docs/reports-and-joins.md', () => {
  it('runs every ts block, in order, as one program, printing what the comments say', async () => {
    const stdout = await runDoc('reports-and-joins.md', (blocks) => {
      expect(blocks.length).toBeGreaterThanOrEqual(5)
      return blocks.join('\n')
    })
    expect(stdout).toContain("[ { name: 'Acme', title: 'Support', monthlyFee: '150.00' } ]")
    expect(stdout).toContain("[ 'Acme: 2' ]")
    expect(stdout).toContain("[ { name: 'Acme' } ]")
    expect(stdout).toContain('true')
    expect(stdout).toContain("[ { name: 'Acme', monthlyFee: '150.00', version: 1 } ]")
    expect(stdout).toContain("[ { name: 'Acme Corp', monthlyFee: '175.00', version: 2 } ]")
    expect(stdout).toMatch(/^1\n0\n/m)
    expect(stdout).toContain('deleteMany with an empty where needs { all: true }')
    expect(stdout).toContain("'INSERT email', 'INSERT plan', 'UPDATE plan'")
    expect(stdout).toMatch(/\n3\n$/)
  }, 60_000)
})

describe('docs/scd2-foreign-keys.md', () => {
  it('its ts blocks run, the "joins as of a date" query included', async () => {
    const stdout = await runDoc('scd2-foreign-keys.md', (blocks) => {
      expect(blocks.length).toBe(2)
      return [
        `import { z } from 'zod'
import { connect, defineModel, field, SchemaManager } from 'ff-storage'
const Contract = defineModel({ table: 'contracts', temporal: 'scd2', fields: { title: z.string() } })
const db = await connect()
const orgId = '0190a000-0000-7000-8000-000000000001'`,
        blocks[0],
        `await new SchemaManager(db).sync([Contract, Invoice])
const k = await db.repository(Contract, { tenantId: orgId }).create({ title: 'old title' })
await db.repository(Invoice, { tenantId: orgId }).create({ contractId: k.id })
await new Promise((r) => setTimeout(r, 10))
const cut = new Date()
await new Promise((r) => setTimeout(r, 10))
await db.repository(Contract, { tenantId: orgId }).update(k.id, { title: 'new title' })`,
        blocks[1]!.replace("new Date('2025-01-01T00:00:00Z')", 'cut'),
        'console.log(JSON.stringify(rows.map((r) => [r.title, r.version])))\nawait db.close()',
      ].join('\n')
    })
    expect(stdout).toContain('[["old title",1]]')
  }, 60_000)
})

describe('README', () => {
  it('shows the two quick-start command lines and links the docs', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    expect(readme).toContain('npm install && npm run demo')
    expect(readme).toContain('npm install && npm test')
    for (const doc of [
      'quickstart',
      'strategies',
      'scd2-foreign-keys',
      'schema-sync',
      'production',
      'reports-and-joins',
    ]) {
      expect(readme).toContain(`docs/${doc}.md`)
    }
  })
})

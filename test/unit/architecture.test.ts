import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

/**
 * The layers of src/, lowest first (docs/architecture.md): a module may import its own layer and the
 * layers below it, never one above. An entry is a folder or a file under src/; the longest entry
 * that contains a file decides its layer. The test reads every import of every source file.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['errors.ts', 'ids.ts'],
  ['sql'],
  ['model'],
  // the engine-neutral schema description (types, names) that dialects render and read back
  ['schema/types.ts', 'schema/names.ts'],
  ['dialect'],
  // the schema the models need on one engine (and the model checks built on it); a model as one
  // engine sees it
  ['schema', 'mapping'],
  ['db'],
  ['scope'],
  ['temporal'],
  ['repository'],
  ['query'],
  ['sync'],
  ['studio'],
  ['index.ts'],
  ['cli'],
]

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name)
    if (e.isDirectory()) return sourceFiles(path)
    return e.name.endsWith('.ts') ? [path] : []
  })
}

/** The layer of a file under src/: the longest entry of LAYERS that is the file or a folder above it. */
function layerOf(file: string): number {
  const path = relative(SRC, file)
  let best = -1
  let length = 0
  LAYERS.forEach((entries, layer) => {
    for (const entry of entries) {
      if ((path === entry || path.startsWith(`${entry}/`)) && entry.length > length) {
        best = layer
        length = entry.length
      }
    }
  })
  if (best < 0) throw new Error(`src/${path} is in no layer: add it to LAYERS and docs/architecture.md`)
  return best
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2])!)
}

const files = sourceFiles(SRC)
const name = (file: string) => `src/${relative(SRC, file)}`

describe('architecture', () => {
  it('finds the source files', () => {
    expect(files.length).toBeGreaterThan(50)
  })

  it('imports go one way: no module imports a layer above its own', () => {
    const upward: string[] = []
    for (const file of files) {
      const from = layerOf(file)
      for (const spec of importsOf(file)) {
        if (!spec.startsWith('.')) continue
        const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts')
        const to = layerOf(target)
        if (to > from) upward.push(`${name(file)} → ${name(target)}`)
      }
    }
    expect(upward).toEqual([])
  })

  it('only db/ imports the drivers (pg, mysql2, PGlite)', () => {
    const drivers = /^(pg|mysql2|@electric-sql\/pglite)(\/|$)/
    const outside = files.flatMap((file) =>
      name(file).startsWith('src/db/')
        ? []
        : importsOf(file)
            .filter((s) => drivers.test(s))
            .map((s) => `${name(file)} imports ${s}`),
    )
    expect(outside).toEqual([])
  })

  it('scope/, temporal/ and repository/ never import a concrete dialect', () => {
    const concrete = files.flatMap((file) =>
      /^src\/(scope|temporal|repository)\//.test(name(file))
        ? importsOf(file)
            .filter((s) => /dialect\/(postgres|mysql)\//.test(s))
            .map((s) => `${name(file)} imports ${s}`)
        : [],
    )
    expect(concrete).toEqual([])
  })

  it('nothing outside dialect/ reads the SQL family or branches on the engine name', () => {
    const branch = /\.family\b|[!=]==\s*['"](postgres|mysql|pglite|mariadb)['"]|\bctx\.pg\b|\bthis\.pg\b/
    const found = files.flatMap((file) => {
      // db/ maps a URL to its driver, and a driver is for one engine: the engine is their input
      if (/^src\/(dialect|db\/drivers)\/|^src\/db\/connect\.ts$/.test(name(file))) return []
      return readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) => (branch.test(line) ? [`${name(file)}:${i + 1}: ${line.trim()}`] : []))
    })
    expect(found).toEqual([])
  })

  it('every error class extends FFStorageError (only errors.ts extends Error)', () => {
    const found = files.flatMap((file) =>
      name(file) === 'src/errors.ts'
        ? []
        : readFileSync(file, 'utf8')
            .split('\n')
            .flatMap((line, i) =>
              /\bextends (Error|TypeError|RangeError)\b/.test(line) ? [`${name(file)}:${i + 1}`] : [],
            ),
    )
    expect(found).toEqual([])
  })

  it('source files stay short (one concept each)', () => {
    const long = files
      .map((file) => ({ file: name(file), lines: readFileSync(file, 'utf8').split('\n').length }))
      .filter((f) => f.lines > (f.file === 'src/repository/repository.ts' ? 250 : 300))
    // the repository is a thin front over reads, writes and history: at most 250 lines
    expect(long).toEqual([])
  })
})

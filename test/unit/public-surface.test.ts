import { join, resolve } from 'node:path'
import ts from 'typescript'
import { beforeAll, describe, expect, it } from 'vitest'

/**
 * What users see is the published declarations, not the sources: these are emitted here in memory
 * with the build's options (tsconfig.build.json, stripInternal included) and read back the way a
 * user's compiler reads them, starting from the package entry (index.d.ts).
 */
const ROOT = resolve(import.meta.dirname, '../..')
const OUT = join(ROOT, '.public-surface') // never written: emitted files stay in memory

/**
 * `any` where a dependency's type forces it, each with its reason. Anything else in a declaration a
 * user can reach fails the test.
 */
const ALLOWED_ANY = new Map([
  // Kysely's untyped form is `Kysely<any>`: the documented escape hatch (SPEC §5), typed by callers
  ['db/database.d.ts: readonly kysely: Kysely<any>;', 'Kysely untyped builder'],
])

let checker: ts.TypeChecker
let entry: ts.SourceFile
let emitted: Map<string, string>

beforeAll(() => {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, 'tsconfig.build.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'))
      },
    },
  )!
  const options = { ...config.options, outDir: OUT, emitDeclarationOnly: true, declaration: true, noEmit: false }
  const host = ts.createCompilerHost(options)
  const program = ts.createProgram({ rootNames: config.fileNames, options, host })
  emitted = new Map()
  const result = program.emit(undefined, (file, text) => emitted.set(resolve(file), text))
  expect(result.emitSkipped).toBe(false)

  // the same files as a user's compiler sees them: only the emitted declarations, no sources
  const readHost: ts.CompilerHost = {
    ...host,
    fileExists: (f) => emitted.has(resolve(f)) || (!resolve(f).startsWith(join(ROOT, 'src')) && host.fileExists(f)),
    directoryExists: (d) => resolve(d).startsWith(OUT) || ts.sys.directoryExists(d),
    readFile: (f) => emitted.get(resolve(f)) ?? host.readFile(f),
    getSourceFile: (f, v) => {
      const text = emitted.get(resolve(f))
      return text === undefined ? host.getSourceFile(f, v) : ts.createSourceFile(f, text, v, true)
    },
  }
  const index = join(OUT, 'index.d.ts')
  const consumer = ts.createProgram({
    rootNames: [index],
    options: { ...options, noEmit: true, rootDir: OUT, stripInternal: false },
    host: readHost,
    oldProgram: program,
  })
  const problems = ts.getPreEmitDiagnostics(consumer).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '))
  expect(problems).toEqual([])
  checker = consumer.getTypeChecker()
  entry = consumer.getSourceFile(index)!
}, 120_000)

const exported = () => checker.getExportsOfModule(checker.getSymbolAtLocation(entry)!)
const exportNamed = (name: string) => {
  const symbol = exported().find((s) => s.name === name)
  if (!symbol) throw new Error(`index.d.ts does not export ${name}`)
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol
}
const instanceMembers = (name: string) => {
  const cls = exportNamed(name)
  return checker
    .getDeclaredTypeOfSymbol(cls)
    .getProperties()
    .map((p) => p.name)
    .filter((n) => !n.startsWith('#')) // `#private`: the marker of ECMAScript private fields, unreachable
    .sort()
}

/** Every declaration a user can reach from index.d.ts: exports, and the types they mention, transitively. */
function reachable(): Set<ts.Declaration> {
  const seen = new Set<ts.Declaration>()
  const queue: ts.Symbol[] = [...exported()]
  const visit = (node: ts.Node): void => {
    if (ts.isTypeReferenceNode(node) || ts.isExpressionWithTypeArguments(node) || ts.isTypeQueryNode(node)) {
      const name = ts.isTypeReferenceNode(node)
        ? node.typeName
        : ts.isTypeQueryNode(node)
          ? node.exprName
          : node.expression
      const symbol = checker.getSymbolAtLocation(name)
      if (symbol) queue.push(symbol)
    }
    ts.forEachChild(node, visit)
  }
  while (queue.length > 0) {
    let symbol = queue.pop()!
    if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol)
    for (const declaration of symbol.declarations ?? []) {
      if (seen.has(declaration) || !emitted.has(resolve(declaration.getSourceFile().fileName))) continue
      seen.add(declaration)
      visit(declaration)
    }
  }
  return seen
}

describe('public surface (published declarations)', () => {
  it('Database offers the documented API only: no statement running, transaction internals or runtime', () => {
    expect(instanceMembers('Database')).toEqual([
      'close',
      'dialect',
      'execute',
      'health',
      'inTransaction',
      'kysely',
      'metrics',
      'metricsText',
      'poolStats',
      'prepareScoped',
      'query',
      'queryOne',
      'repository',
      'scoped',
      'transaction',
    ])
  })

  it('db.dialect is the engine name, family and capabilities, not the whole dialect', () => {
    const dialect = checker.getDeclaredTypeOfSymbol(exportNamed('Database')).getProperty('dialect')!
    const type = checker.getTypeOfSymbol(dialect)
    expect(
      type
        .getProperties()
        .map((p) => p.name)
        .sort(),
    ).toEqual(['capabilities', 'family', 'name'])
  })

  it('Repository cannot be constructed with a database (only db.repository makes one)', () => {
    const signatures = checker.getTypeOfSymbol(exportNamed('Repository')).getConstructSignatures()
    for (const signature of signatures) expect(signature.getParameters()).toEqual([])
  })

  it('no internal name is reachable from the entry point', () => {
    const names = new Set<string>()
    for (const d of reachable()) {
      const name = ts.getNameOfDeclaration(d)
      if (name) names.add(name.getText())
    }
    for (const internal of ['Runtime', 'Metrics', 'Dialect', 'runAtomic', 'runRead', 'transactionOnce', 'afterCommit'])
      expect(names.has(internal), internal).toBe(false)
    expect([...names].filter((n) => /^(run|runtime)$/.test(n))).toEqual([])
  })

  it('no `any` in a reachable declaration, except where a dependency forces it (listed)', () => {
    const found: string[] = []
    for (const declaration of reachable()) {
      const file = declaration.getSourceFile()
      const visit = (node: ts.Node): void => {
        if (node.kind === ts.SyntaxKind.AnyKeyword) {
          const line = file.text.split('\n')[file.getLineAndCharacterOfPosition(node.getStart()).line]!.trim()
          found.push(`${file.fileName.slice(OUT.length + 1)}: ${line}`)
        }
        ts.forEachChild(node, visit)
      }
      visit(declaration)
    }
    expect([...new Set(found)].filter((f) => !ALLOWED_ANY.has(f))).toEqual([])
  })
})

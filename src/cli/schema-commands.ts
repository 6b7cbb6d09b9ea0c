import { isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { connect } from '../db/connect.js'
import { isModel, type Model } from '../model/define-model.js'
import { SchemaManager } from '../sync/schema-manager.js'
import type { CliIo, Flags } from './run.js'

/** Every model a module exports: named exports, a default export, or arrays of them. */
export async function loadModels(path: string): Promise<Model[]> {
  const url = pathToFileURL(isAbsolute(path) ? path : resolve(process.cwd(), path)).href
  const module = (await import(url)) as Record<string, unknown>
  const found: Model[] = []
  const visit = (value: unknown) => {
    if (isModel(value)) {
      if (!found.includes(value)) found.push(value)
    } else if (Array.isArray(value)) value.forEach(visit)
  }
  for (const value of Object.values(module)) visit(value)
  if (found.length === 0) throw new Error(`${path} exports no models (export the values defineModel returned)`)
  return found
}

/** `ff-storage plan`: exit 0 in sync, 2 when changes are pending. */
export async function planCommand(flags: Flags, io: CliIo): Promise<number> {
  const models = await loadModels(requireModels(flags))
  const db = await connect(flags.url)
  try {
    const plan = await new SchemaManager(db).plan(models)
    io.stdout.write(`${plan.toString({ color: Boolean(io.stdout.isTTY) })}\n`)
    return plan.isEmpty ? 0 : 2
  } finally {
    await db.close()
  }
}

/** `ff-storage apply`: exit 0 when everything is applied, 2 when destructive changes stay pending. */
export async function applyCommand(flags: Flags, io: CliIo): Promise<number> {
  const models = await loadModels(requireModels(flags))
  const db = await connect(flags.url)
  try {
    const result = await new SchemaManager(db).sync(models, { allowDestructive: flags.allowDestructive })
    const color = Boolean(io.stdout.isTTY)
    const paint = (code: number, s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s)
    for (const c of result.applied) io.stdout.write(`  ${paint(32, 'applied')} ${c.description}\n`)
    for (const c of result.pending) io.stdout.write(`  ${paint(31, 'pending')} ${c.description}  [destructive]\n`)
    io.stdout.write(
      result.applied.length === 0 && result.pending.length === 0
        ? 'No changes. The database matches the models.\n'
        : `\nApplied ${result.applied.length} change(s)${result.pending.length ? `; ${result.pending.length} destructive change(s) pending (use --allow-destructive)` : ''}.\n`,
    )
    return result.pending.length > 0 ? 2 : 0
  } finally {
    await db.close()
  }
}

function requireModels(flags: Flags): string {
  if (!flags.models) throw new Error('--models <module> is required (a module exporting your models)')
  return flags.models
}

import { connect } from '../db/connect.js'
import type { Database } from '../db/database.js'
import type { Model } from '../model/define-model.js'
import { SchemaManager } from '../sync/schema-manager.js'
import { painter } from './format.js'
import { loadModels } from './load-models.js'
import { type CliIo, type Flags, UsageError } from './run.js'

/** `ff-storage plan`: exit 0 in sync, 2 when changes are pending. */
export async function planCommand(flags: Flags, io: CliIo): Promise<number> {
  return withModels('plan', flags, async (db, models) => {
    const plan = await new SchemaManager(db).plan(models)
    io.stdout.write(`${plan.toString({ color: flags.color })}\n`)
    if (flags.sql && !plan.isEmpty) {
      const p = painter(flags.color)
      io.stdout.write(`\n${p.dim('-- SQL of the plan, in the order it applies')}\n`)
      for (const change of plan.changes) {
        io.stdout.write(`\n${p.dim(`-- ${change.description}${change.destructive ? ' [destructive]' : ''}`)}\n`)
        for (const statement of change.sql) io.stdout.write(`${statement};\n`)
      }
    }
    return plan.isEmpty ? 0 : 2
  })
}

/** `ff-storage apply`: exit 0 when everything is applied, 2 when destructive changes stay pending. */
export async function applyCommand(flags: Flags, io: CliIo): Promise<number> {
  return withModels('apply', flags, async (db, models) => {
    const result = await new SchemaManager(db).sync(models, { allowDestructive: flags.allowDestructive })
    const p = painter(flags.color)
    for (const c of result.applied) io.stdout.write(`  ${p.green('applied')} ${c.description}\n`)
    for (const c of result.pending) io.stdout.write(`  ${p.red('pending')} ${c.description}  [destructive]\n`)
    io.stdout.write(
      result.applied.length === 0 && result.pending.length === 0
        ? 'No changes. The database matches the models.\n'
        : `\nApplied ${result.applied.length} change(s)${result.pending.length ? `; ${result.pending.length} destructive change(s) pending (use --allow-destructive)` : ''}.\n`,
    )
    return result.pending.length > 0 ? 2 : 0
  })
}

/** The models first (a mistake there needs no database), then the database named by --url or DATABASE_URL. */
async function withModels(
  command: 'plan' | 'apply',
  flags: Flags,
  body: (db: Database, models: Model[]) => Promise<number>,
): Promise<number> {
  if (!flags.models) {
    throw new UsageError(
      `--models <module> is required (a module exporting your models; see ff-storage ${command} --help)`,
    )
  }
  if (!flags.url) {
    throw new UsageError(
      `${command} needs --url <url> or DATABASE_URL: the database to compare with (pglite:<dir> for an embedded one on disk)`,
    )
  }
  const models = await loadModels(flags.models)
  const db = await connect(flags.url)
  try {
    return await body(db, models)
  } finally {
    await db.close()
  }
}

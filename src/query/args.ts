import { type Expression, type OperationNode, ValueNode } from 'kysely'
import { z } from 'zod'
import { ValidationError, type ValidationIssue } from '../errors.js'
import { isObjectLike, ownData } from '../repository/io.js'

/**
 * The named arguments of a prepared scoped query: declared with a Zod schema each, used in the query
 * as expressions whose value node holds an `Arg` (its slot is filled per call), and read per call as
 * own data properties checked by their schemas, one bindable value each, before any SQL.
 */

const invalid = (message: string, path: (string | number)[] = []): never => {
  throw new ValidationError(message, [{ code: 'custom', message, path }])
}

/** A named argument where a value stands in the query's tree: the slot it lands in is filled per call. */
export class Arg {
  constructor(readonly name: string) {}
}

/** `a.customerId` in a prepared query: a bound value of the named argument. */
class ArgExpression<T> implements Expression<T> {
  readonly #name: string
  constructor(name: string) {
    this.#name = name
  }
  get expressionType(): T | undefined {
    return undefined
  }
  toOperationNode(): OperationNode {
    return ValueNode.create(new Arg(this.#name))
  }
}

/** Values an engine binds as one parameter: anything else (objects, arrays) is refused. */
const BINDABLE = new Set(['string', 'number', 'bigint', 'boolean'])
const bindable = (v: unknown) => v === null || v instanceof Date || BINDABLE.has(typeof v)

/** The argument expressions by name; a name that was not declared is refused while the query is built. */
export function argExpressions(names: readonly string[]): Record<string, ArgExpression<unknown>> {
  const exprs: Record<string, ArgExpression<unknown>> = Object.create(null)
  for (const name of names) exprs[name] = new ArgExpression(name)
  return new Proxy(Object.freeze(exprs), {
    get(target, key) {
      if (typeof key === 'string' && !Object.hasOwn(target, key))
        invalid(`argument "${key}" is not declared: declare it with its Zod schema`, ['args', key])
      return Reflect.get(target, key)
    },
  })
}

/** Read the argument schemas: own data properties, each a Zod (v4) schema. */
export function argSchema(args: unknown): { schema: z.ZodType; names: string[] } {
  if (!isObjectLike(args)) return invalid('db.prepareScoped() takes its arguments as { name: zodSchema }', ['args'])
  const issues: ValidationIssue[] = []
  const own = ownData(args, ['args'], issues)
  for (const [name, s] of Object.entries(own)) {
    if (typeof s !== 'object' || s === null || !('_zod' in s))
      issues.push({ code: 'custom', message: `argument "${name}" needs a Zod schema`, path: ['args', name] })
  }
  if (issues.length > 0) throw new ValidationError('Invalid arguments of db.prepareScoped()', issues)
  return { schema: z.strictObject(own as Record<string, z.ZodType>), names: Object.keys(own) }
}

/** The argument values of one call: own data properties, checked by their schemas, one bindable value each. */
export function readArgs(schema: z.ZodType, names: readonly string[], given: unknown): Record<string, unknown> {
  if (given === undefined && names.length === 0) return {}
  if (!isObjectLike(given)) return invalid('The arguments of a prepared scoped query must be an object', ['args'])
  const issues: ValidationIssue[] = []
  const own = ownData(given, ['args'], issues)
  const parsed = schema.safeParse(own)
  if (!parsed.success) issues.push(...parsed.error.issues.map((i) => ({ ...i, path: ['args', ...i.path] })))
  const values = (parsed.data ?? {}) as Record<string, unknown>
  for (const name of names) {
    if (parsed.success && !bindable(values[name])) {
      const message = `argument "${name}" must be one value (string, number, bigint, boolean, Date or null)`
      issues.push({ code: 'custom', message, path: ['args', name] })
    }
  }
  if (issues.length > 0) throw new ValidationError('Invalid arguments of a prepared scoped query', issues)
  return values
}

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
export function argSchema(args: unknown): ArgReader {
  if (!isObjectLike(args)) return invalid('db.prepareScoped() takes its arguments as { name: zodSchema }', ['args'])
  const issues: ValidationIssue[] = []
  const own = ownData(args, ['args'], issues)
  for (const [name, s] of Object.entries(own)) {
    if (typeof s !== 'object' || s === null || !('_zod' in s))
      issues.push({ code: 'custom', message: `argument "${name}" needs a Zod schema`, path: ['args', name] })
  }
  if (issues.length > 0) throw new ValidationError('Invalid arguments of db.prepareScoped()', issues)
  return new ArgReader(own as Record<string, z.ZodType>)
}

/** Reads the argument values of one call: own data properties, checked by their schemas, one bindable value each. */
export class ArgReader {
  readonly names: readonly string[]
  readonly #fields: readonly (readonly [string, z.ZodType])[]
  readonly #schema: z.ZodType

  constructor(fields: Record<string, z.ZodType>) {
    this.names = Object.keys(fields)
    this.#fields = Object.entries(fields)
    this.#schema = z.strictObject(fields)
  }

  read(given: unknown): Record<string, unknown> {
    return this.#quick(given) ?? this.#read(given)
  }

  /**
   * The usual call: a plain object with exactly the declared names as data properties, each value
   * valid. The same values the full read returns; undefined for anything else, which #read then reads
   * (and reports every issue of).
   */
  #quick(given: unknown): Record<string, unknown> | undefined {
    if (typeof given !== 'object' || given === null || Object.getPrototypeOf(given) !== Object.prototype) return
    if (Object.keys(given).length !== this.#fields.length) return
    const values: Record<string, unknown> = Object.create(null)
    for (const [name, schema] of this.#fields) {
      const d = Object.getOwnPropertyDescriptor(given, name)
      if (!d || !('value' in d) || !d.enumerable) return
      const parsed = schema.safeParse(d.value)
      if (!parsed.success || !bindable(parsed.data)) return
      values[name] = parsed.data
    }
    return values
  }

  #read(given: unknown): Record<string, unknown> {
    if (given === undefined && this.names.length === 0) return {}
    if (!isObjectLike(given)) return invalid('The arguments of a prepared scoped query must be an object', ['args'])
    const issues: ValidationIssue[] = []
    const own = ownData(given, ['args'], issues)
    const parsed = this.#schema.safeParse(own)
    if (!parsed.success) issues.push(...parsed.error.issues.map((i) => ({ ...i, path: ['args', ...i.path] })))
    const values = (parsed.data ?? {}) as Record<string, unknown>
    for (const name of this.names) {
      if (parsed.success && !bindable(values[name])) {
        const message = `argument "${name}" must be one value (string, number, bigint, boolean, Date or null)`
        issues.push({ code: 'custom', message, path: ['args', name] })
      }
    }
    if (issues.length > 0) throw new ValidationError('Invalid arguments of a prepared scoped query', issues)
    return values
  }
}

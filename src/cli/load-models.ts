import { existsSync } from 'node:fs'
import { extname, isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { FFStorageError } from '../errors.js'
import { isModel, type Model } from '../model/define-model.js'

/** What users write models in: loaded natively (JavaScript) or through jiti (TypeScript). */
const TYPESCRIPT = new Set(['.ts', '.mts', '.cts', '.tsx'])

/** A problem with the models module itself: the CLI prints it as one line. */
export class ModelsModuleError extends FFStorageError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('MODELS_MODULE', message, options)
  }
}

/**
 * Every model a module exports: named exports, a default export, or arrays of them.
 *
 * JavaScript modules are imported by Node as they are. TypeScript modules go through jiti (a
 * dependency of ff-storage, so the user's project needs no tsx or ts-node): it strips the types,
 * follows the module's own imports (relative `.ts` files, `paths` of the project's tsconfig) and
 * imports packages such as `ff-storage` and `zod` from the user's node_modules.
 */
export async function loadModels(path: string, cwd = process.cwd()): Promise<Model[]> {
  const file = isAbsolute(path) ? path : resolve(cwd, path)
  if (!existsSync(file)) throw new ModelsModuleError(`models module ${path} not found (looked for ${file})`)
  let module: Record<string, unknown>
  try {
    module = TYPESCRIPT.has(extname(file)) ? await importTypeScript(file) : await import(pathToFileURL(file).href)
  } catch (cause) {
    const reason =
      cause instanceof Error ? `${cause.name === 'Error' ? '' : `${cause.name}: `}${cause.message}` : String(cause)
    // one line: parsers put the file position and a code frame on lines of their own
    throw new ModelsModuleError(
      `cannot load models module ${path}: ${reason
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .join(' ')}`,
      {
        cause,
      },
    )
  }
  const found: Model[] = []
  const visit = (value: unknown) => {
    if (isModel(value)) {
      if (!found.includes(value)) found.push(value)
    } else if (Array.isArray(value)) value.forEach(visit)
  }
  for (const [name, value] of Object.entries(module)) {
    // a CommonJS module's `module.exports = { User, … }` arrives as its default export
    if (name === 'default' && isPlainObject(value)) Object.values(value).forEach(visit)
    else visit(value)
  }
  if (found.length === 0) {
    throw new ModelsModuleError(`${path} exports no models (export the values defineModel returned)`)
  }
  return found
}

async function importTypeScript(file: string): Promise<Record<string, unknown>> {
  const { createJiti } = await import('jiti')
  const jiti = createJiti(pathToFileURL(file).href, {
    // the module's packages (ff-storage, zod) load as Node loads them, once: the models it defines
    // are then made by the same ff-storage and zod the rest of the program sees
    nativeModules: ['ff-storage', 'zod'],
    tsconfigPaths: true,
    interopDefault: false,
    fsCache: false,
  })
  return (await jiti.import(file)) as Record<string, unknown>
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype

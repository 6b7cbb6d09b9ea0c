import { createCodec } from '../codec.js'

/** `pg` and PGlite parse json/jsonb and arrays themselves; jsonb reorders keys, doubles come back exact. */
export const postgresCodec = createCodec({
  bindArray: (value) => value,
  arrayProblem: () => undefined,
  json: undefined,
  list: undefined,
  exactText: undefined,
  floatsExact: true,
  jsonExact: false,
})

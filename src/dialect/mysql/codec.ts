import { jsonProblem } from '../../model/storable.js'
import { createCodec } from '../codec.js'

const parseText = (raw: unknown) => (typeof raw === 'string' ? JSON.parse(raw) : raw)

/**
 * MySQL-family JSON arrives as text (MariaDB stores it as text; mysql2 runs with jsonStrings), arrays
 * are JSON columns, and exact text ids are varbinary: the driver returns bytes.
 */
export const mysqlCodec = createCodec({
  bindArray: (value) => JSON.stringify(value),
  arrayProblem: jsonProblem,
  json: parseText,
  list: parseText,
  exactText: (raw) =>
    raw instanceof Uint8Array ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8') : raw,
  floatsExact: false,
  jsonExact: true,
})

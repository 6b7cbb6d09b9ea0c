import { describe, expect, it } from 'vitest'
import { withRetry } from '../../src/db/retry.js'
import { parseTarget, redact } from '../../src/db/url.js'
import { prepareMysqlParameter } from '../../src/dialect/mysql/dialect.js'
import { convertMysqlError } from '../../src/dialect/mysql/errors.js'
import { convertPostgresError } from '../../src/dialect/postgres/errors.js'
import {
  CheckViolationError,
  ConfigurationError,
  ConnectionError,
  ForeignKeyViolationError,
  NotNullViolationError,
  QueryError,
  QueryTimeoutError,
  SerializationError,
  UniqueViolationError,
} from '../../src/errors.js'

describe('parseTarget', () => {
  it.each([
    [undefined, 'pglite', undefined],
    ['pglite:', 'pglite', undefined],
    ['pglite:memory', 'pglite', undefined],
    ['pglite:./.data/app', 'pglite', './.data/app'],
  ])('%s → %s', (url, kind, dataDir) => {
    const t = parseTarget(url)
    expect(t.kind).toBe(kind)
    if (t.kind === 'pglite') expect(t.dataDir).toBe(dataDir)
  })

  it('maps postgres:// and postgresql:// to postgres, mysql:// and mariadb:// to mysql', () => {
    expect(parseTarget('postgres://u@h/db').kind).toBe('postgres')
    expect(parseTarget('postgresql://u@h/db').kind).toBe('postgres')
    expect(parseTarget('mysql://u@h/db')).toMatchObject({ kind: 'mysql', url: 'mysql://u@h/db' })
    expect(parseTarget('mariadb://u@h/db')).toMatchObject({ kind: 'mysql', url: 'mysql://u@h/db' })
  })

  it('rejects unknown schemes and non-URLs', () => {
    expect(() => parseTarget('sqlserver://h/db')).toThrow(ConfigurationError)
    expect(() => parseTarget('hello')).toThrow(/not a database URL/)
  })

  it('redacts passwords, wherever a careless URL puts them', () => {
    expect(redact('postgres://user:pa:ss@host/db')).toBe('postgres://user:***@host/db')
    expect(redact('mysql://root@host/db')).toBe('mysql://root@host/db')
    expect(redact('postgres://postgres:p@ss@127.0.0.1:1/test')).not.toContain('ss@')
    expect(redact('postgres://postgres:pa/ss@127.0.0.1:1/test')).not.toContain('pa')
    expect(redact('postgres://u@h/db?password=TOPSECRET&sslpassword=X')).toBe('postgres://u@h/db?…')
    expect(redact('mysql://u:%25bad@h/db')).not.toContain('bad')
    for (const url of [
      'postgres://postgres:pa/ss@127.0.0.1:1/test',
      'postgres:u:secret@host/db',
      'mysql://u:se%cret@h/db',
      'postgres://u@h/db?password=TOPSECRET',
    ]) {
      const error = (() => {
        try {
          return parseTarget(url)
        } catch (e) {
          return e as Error
        }
      })()
      // what reaches messages and logs: an error's message and cause, or a target's display
      const text = error instanceof Error ? `${error.message} ${String(error.cause ?? '')}` : error.display
      for (const secret of ['ss@', 'secret', 'cret', 'TOPSECRET']) expect(text).not.toContain(secret)
    }
  })

  it('gives one server one identity however the URL spells it (the cache invalidates across spellings)', () => {
    const id = (url: string) => parseTarget(url).identity
    expect(id('postgres://u@127.0.0.1/db')).toBe(id('postgres://u@localhost:5432/db'))
    expect(id('postgres://u@[::1]:5432/db')).toBe(id('postgres://u@LOCALHOST/db'))
    expect(id('mysql://root@127.0.0.1/db')).toBe(id('mysql://root@localhost:3306/db'))
    // PostgreSQL picks the user's name when the URL names no database
    expect(id('postgres://app@h/')).toBe(id('postgres://app@h/app'))
    expect(id('postgres://u@h/db1')).not.toBe(id('postgres://u@h/db2'))
    expect(id('postgres://u@h:5433/db')).not.toBe(id('postgres://u@h/db'))
  })
})

describe('PostgreSQL error conversion by SQLSTATE', () => {
  it.each([
    ['23505', UniqueViolationError],
    ['23503', ForeignKeyViolationError],
    ['23514', CheckViolationError],
    ['23502', NotNullViolationError],
    ['57014', QueryTimeoutError],
    ['40001', SerializationError],
    ['40P01', SerializationError],
    ['08006', ConnectionError],
    ['57P01', ConnectionError],
    ['42P01', QueryError],
    // a protocol violation is the statement's fault, never a lost connection to retry
    ['08P01', QueryError],
  ])('%s → %o', (code, type) => {
    const error = convertPostgresError(
      { code, message: 'boom', constraint: 'c1' },
      { sql: 'select $1', parameters: [1] },
    )
    expect(error).toBeInstanceOf(type)
    expect(error.sql).toBe('select $1')
    expect(error.parameters).toEqual([1])
    expect(error.dbCode).toBe(code)
    expect(error.transient).toBe(type === ConnectionError || type === SerializationError)
  })

  it('marks serialization and connection failures transient, others not', () => {
    expect(convertPostgresError({ code: '40P01' }, {}).transient).toBe(true)
    expect(convertPostgresError({ code: 'ECONNRESET', message: 'read ECONNRESET' }, {}).transient).toBe(true)
    expect(convertPostgresError({ code: '23505' }, {}).transient).toBe(false)
    expect(convertPostgresError(new Error('Connection terminated unexpectedly'), {})).toBeInstanceOf(ConnectionError)
  })
})

describe('MySQL error conversion by errno', () => {
  it.each([
    [1062, UniqueViolationError],
    [1451, ForeignKeyViolationError],
    [1452, ForeignKeyViolationError],
    [3819, CheckViolationError],
    [4025, CheckViolationError],
    [1048, NotNullViolationError],
    [1969, QueryTimeoutError],
    [3024, QueryTimeoutError],
    [1213, SerializationError],
    [1205, SerializationError],
    [2013, ConnectionError],
    [1146, QueryError],
  ])('%s → %o', (errno, type) => {
    expect(convertMysqlError({ errno, sqlMessage: 'boom' }, {})).toBeInstanceOf(type)
  })

  it('reads the constraint name from the message', () => {
    const e = convertMysqlError({ errno: 1062, sqlMessage: "Duplicate entry 'a' for key 'users.users_email_key'" }, {})
    expect(e.constraint).toBe('users_email_key')
    const fk = convertMysqlError(
      {
        errno: 1452,
        sqlMessage:
          'Cannot add or update a child row: a foreign key constraint fails (`db`.`child`, CONSTRAINT `child_parent_fk` FOREIGN KEY (`parent_id`) REFERENCES `parent` (`id`))',
      },
      {},
    )
    expect(fk.constraint).toBe('child_parent_fk')
  })
})

describe('MySQL parameter preparation', () => {
  it('binds objects and arrays as JSON text so mysql2 never expands them into SQL', () => {
    expect(prepareMysqlParameter({ id: 1, 'a` = 1 --': 2 })).toBe('{"id":1,"a` = 1 --":2}')
    expect(prepareMysqlParameter([1, 2])).toBe('[1,2]')
    expect(prepareMysqlParameter(12n)).toBe('12')
    const d = new Date()
    expect(prepareMysqlParameter(d)).toBe(d)
    expect(prepareMysqlParameter(undefined)).toBeNull()
  })
})

describe('withRetry', () => {
  const policy = { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 }

  it('re-runs the whole operation on transient errors, up to the attempt limit', async () => {
    let calls = 0
    const result = await withRetry(policy, async () => {
      calls++
      if (calls < 3) throw new SerializationError('deadlock')
      return 'ok'
    })
    expect(result).toBe('ok')
    expect(calls).toBe(3)
    calls = 0
    await expect(
      withRetry(policy, async () => {
        calls++
        throw new ConnectionError('lost')
      }),
    ).rejects.toBeInstanceOf(ConnectionError)
    expect(calls).toBe(3)
  })

  it('never retries other errors, nor a commit whose outcome is unknown', async () => {
    let calls = 0
    await expect(
      withRetry(policy, async () => {
        calls++
        throw new UniqueViolationError('dup')
      }),
    ).rejects.toBeInstanceOf(UniqueViolationError)
    expect(calls).toBe(1)
    calls = 0
    await expect(
      withRetry(policy, async () => {
        calls++
        throw new ConnectionError('during commit', { transient: false })
      }),
    ).rejects.toBeInstanceOf(ConnectionError)
    expect(calls).toBe(1)
  })
})

describe('MySQL constraint names under ANSI_QUOTES', () => {
  it('reads double-quoted constraint names too', () => {
    const fk = convertMysqlError(
      {
        errno: 1452,
        sqlMessage:
          'a foreign key constraint fails ("db"."child", CONSTRAINT "child_parent_fk" FOREIGN KEY ("parent_id"))',
      },
      {},
    )
    expect(fk.constraint).toBe('child_parent_fk')
    expect(
      convertMysqlError({ errno: 4025, sqlMessage: 'CONSTRAINT "t_a_check" failed for "db"."t"' }, {}).constraint,
    ).toBe('t_a_check')
  })
})

describe('uuidv7', () => {
  it('makes RFC 9562 version-7 ids that increase within a millisecond and across the random pool', async () => {
    const { uuidv7, isUuid } = await import('../../src/ids.js')
    const ids = Array.from({ length: 5_000 }, () => uuidv7(1_700_000_000_000))
    expect(ids.every(isUuid)).toBe(true)
    expect(ids.every((u) => u[14] === '7' && '89ab'.includes(u[19]!))).toBe(true)
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
    expect(Number.parseInt(uuidv7(1_800_000_000_000).slice(0, 13).replace('-', ''), 16)).toBe(1_800_000_000_000)
  })
})

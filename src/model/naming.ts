/** `categoryId` → `category_id`, `userID` → `user_id`, `HTTPCode` → `http_code`. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
}

/** Longest table name each engine family accepts, in bytes. */
export const TABLE_NAME_LIMIT = { postgres: 63, mysql: 64 } as const

/** `categoryId` → `category_id`, `userID` → `user_id`, `HTTPCode` → `http_code`. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
}

/** Longest table name any supported engine accepts, in bytes (`validateModel` checks each engine's own). */
export const TABLE_NAME_BYTES = 64

/** `"name"`, doubling embedded double quotes. */
export const quotePostgresId = (name: string): string => `"${name.replaceAll('"', '""')}"`

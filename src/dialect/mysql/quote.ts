/** `` `name` ``, doubling embedded backticks. */
export const quoteMysqlId = (name: string): string => `\`${name.replaceAll('`', '``')}\``

/** @deprecated moved to io.ts (input validation and row decoding in one module); kept for imports. */
export * from './io.js'

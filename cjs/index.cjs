'use strict'
// ff-storage is an ES module. CommonJS programs get it through require(esm), which Node runs
// without a flag from 20.19 and 22.12 on; where it cannot, this says what to do instead of
// Node's own error.
try {
  module.exports = require('../dist/index.js')
} catch (error) {
  if (error && (error.code === 'ERR_REQUIRE_ESM' || error.code === 'ERR_REQUIRE_ASYNC_MODULE')) {
    const [major, minor] = process.versions.node.split('.').map(Number)
    const capable = major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19)
    const why = capable
      ? `require() of ES modules is turned off in this Node ${process.version} (--no-experimental-require-module?)`
      : `Node ${process.version} cannot require() ES modules`
    throw new Error(
      `ff-storage is an ES module and ${why}: use \`const { connect } = await import('ff-storage')\`, ` +
        "or Node >= 20.19 / >= 22.12 with require(esm) on, where require('ff-storage') works",
      { cause: error },
    )
  }
  throw error
}

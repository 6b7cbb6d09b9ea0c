'use strict'
// ff-storage is an ES module. CommonJS programs get it through require(esm), which Node runs
// without a flag from 20.19 and 22.12 on; on older versions this says what to do instead.
try {
  module.exports = require('../dist/index.js')
} catch (error) {
  if (error && (error.code === 'ERR_REQUIRE_ESM' || error.code === 'ERR_REQUIRE_ASYNC_MODULE')) {
    throw new Error(
      `ff-storage is an ES module, and Node ${process.version} cannot require() ES modules: ` +
        'use `const { connect } = await import("ff-storage")`, or Node >= 20.19 / >= 22.12, where require("ff-storage") works',
      { cause: error },
    )
  }
  throw error
}

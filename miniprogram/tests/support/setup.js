// Loaded before every test file: miniprogram-simulate defines `wx` and
// `Component`; each test gets fresh fakes and must use its recorded exchanges.
require('miniprogram-simulate')
const simulateUtils = require('miniprogram-simulate/src/utils')
const { env, install } = require('./env')

// miniprogram-simulate runs a component's JS with require() and then deletes
// it from require.cache to run it again on the next load; jest's module
// registry ignores require.cache, so a second load of a component (another
// test, or the same component inside a page) would never call Component().
// Each load runs the file in a registry of its own instead.
simulateUtils.runJs = (filePath) => {
  jest.isolateModules(() => {
    require(filePath)
  })
}

beforeEach(() => install())
afterEach(() => env.backend.verify())

// The mini program's tests (tests/): pages and components rendered by
// miniprogram-simulate in jsdom, wx.request answered from the backend's
// recording (tests/fixtures/backend.json, kept true by
// tests/wechat/test_miniprogram_fixtures.py on the Python side).
module.exports = {
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/tests'],
  setupFilesAfterEnv: ['<rootDir>/tests/support/setup.js'],
  snapshotSerializers: ['miniprogram-simulate/jest-snapshot-plugin'],
  // A snapshot that is missing is a failure in CI, not a new file.
  ci: true,
}

// Each test's fakes: the backend and the parts of wx the pages use. WeChat's
// own APIs (login, storage, subscribe, scan, navigation) are fakes that behave
// as the base library documents; the network is the recorded backend.
const { Backend } = require('./backend')

const env = { backend: null, storage: null }

function install() {
  const backend = new Backend()
  const storage = new Map()
  env.backend = backend
  env.storage = storage
  Object.assign(wx, {
    request: jest.fn((options) => backend.request(options)),
    login: jest.fn((options) => setTimeout(() => options.success({ code: backend.nextLoginCode(), errMsg: 'login:ok' }), 0)),
    getStorageSync: (key) => (storage.has(key) ? storage.get(key) : ''),
    setStorageSync: (key, value) => storage.set(key, value),
    removeStorageSync: (key) => storage.delete(key),
    requestSubscribeMessage: jest.fn(),
    scanCode: jest.fn(),
    navigateTo: jest.fn(),
    navigateBack: jest.fn(),
    stopPullDownRefresh: jest.fn(),
  })
  return env
}

module.exports = { env, install }

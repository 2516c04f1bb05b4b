// The backend's mini-program API (/api/wx/…). One session token, kept in
// storage; a 401 (expired, or the server's key rotated) logs in again with
// wx.login and repeats the request once. Every failure is an ApiError that
// utils/errors.js turns into what the citizen reads.
const config = require('../config')

const TOKEN_KEY = 'hcp.session'

class ApiError extends Error {
  // kind: "network" (no answer), "http" (an answer with a 4xx/5xx status).
  constructor(kind, status, code, message) {
    super(message || code)
    this.kind = kind
    this.status = status
    this.code = code
  }
}

function queryString(query) {
  const keys = Object.keys(query || {})
  if (!keys.length) return ''
  return '?' + keys.map((key) => `${encodeURIComponent(key)}=${encodeURIComponent(query[key])}`).join('&')
}

function send(method, path, query, body, token) {
  return new Promise((resolve, reject) => {
    const header = { 'Content-Type': 'application/json' }
    if (token) header.Authorization = `Bearer ${token}`
    wx.request({
      url: config.apiBase + path + queryString(query),
      method,
      header,
      data: body,
      dataType: 'json',
      timeout: config.timeoutMs,
      success: resolve,
      fail: (err) => reject(new ApiError('network', 0, 'network', err && err.errMsg)),
    })
  })
}

// The body of a 2xx answer, else the contract's error as an ApiError.
function unwrap(res) {
  if (res.statusCode >= 200 && res.statusCode < 300) return res.data
  const error = res.data && typeof res.data === 'object' && res.data.error
  if (error && error.code) throw new ApiError('http', res.statusCode, error.code, error.message)
  // Not our JSON (a proxy's page): only the status says anything.
  throw new ApiError('http', res.statusCode, `http_${res.statusCode}`, '')
}

function wxLogin() {
  return new Promise((resolve, reject) => {
    wx.login({
      success: (res) => (res.code ? resolve(res.code) : reject(new ApiError('network', 0, 'wx_login', res.errMsg))),
      fail: (err) => reject(new ApiError('network', 0, 'wx_login', err && err.errMsg)),
    })
  })
}

// Concurrent requests that all need a session share one login.
let pendingLogin = null

function login() {
  if (!pendingLogin) {
    pendingLogin = wxLogin()
      .then((code) => send('POST', '/api/wx/login', null, { code }))
      .then(unwrap)
      .then(
        (body) => {
          pendingLogin = null
          wx.setStorageSync(TOKEN_KEY, body.token)
          return body.token
        },
        (err) => {
          pendingLogin = null
          throw err
        },
      )
  }
  return pendingLogin
}

function call(method, path, query, body) {
  const stored = wx.getStorageSync(TOKEN_KEY)
  return (stored ? Promise.resolve(stored) : login())
    .then((token) => send(method, path, query, body, token))
    .then((res) => {
      if (res.statusCode !== 401) return res
      wx.removeStorageSync(TOKEN_KEY)
      return login().then((token) => send(method, path, query, body, token))
    })
    .then(unwrap)
}

module.exports = {
  ApiError,
  TOKEN_KEY,
  login,
  get: (path, query) => call('GET', path, query),
  post: (path, body) => call('POST', path, null, body),
}

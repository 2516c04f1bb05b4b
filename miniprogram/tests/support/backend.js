// A fake of the backend for wx.request that replays its recorded answers
// (tests/fixtures/backend.json, written by the Python suite from the real
// endpoints). A test says which exchanges it expects, in order; every request
// the mini program sends must equal the recorded request — method, path,
// query, body and session token — or the test fails in afterEach.
const { isDeepStrictEqual } = require('util')
const recording = require('../fixtures/backend.json')
const config = require('../../config')

// A request that gets no answer (no network, a timeout).
const OFFLINE = Symbol('offline')

function exchange(name) {
  const found = recording.exchanges[name]
  if (!found) throw new Error(`no recorded exchange "${name}" in tests/fixtures/backend.json`)
  return found
}

function isLogin(name) {
  return name !== OFFLINE && exchange(name).request.path === '/api/wx/login'
}

function bearer(token) {
  return `Bearer ${token}`
}

function parseUrl(url) {
  if (!url.startsWith(config.apiBase)) return null
  const parsed = new URL(url.slice(config.apiBase.length), 'http://backend.invalid')
  return { path: parsed.pathname, query: Object.fromEntries(parsed.searchParams.entries()) }
}

class Backend {
  constructor() {
    this.queue = []
    this.problems = []
    this.served = []
    // The session token the backend last gave the mini program.
    this.token = null
  }

  expect(...names) {
    names.forEach((name) => name === OFFLINE || exchange(name))
    this.queue.push(...names)
    return this
  }

  // The session token of a recorded exchange (a login's answer, or the token
  // a request carried), as if the mini program had kept it from earlier.
  tokenOf(name) {
    const { request, response } = exchange(name)
    if (request.path === '/api/wx/login') return response.body.token
    return request.headers.Authorization.replace(/^Bearer /, '')
  }

  // wx.login: the code of the login the test expects next.
  nextLoginCode() {
    const name = this.queue.find((queued) => isLogin(queued))
    return name ? exchange(name).request.body.code : 'no-login-expected'
  }

  request(options) {
    const name = this.queue.shift()
    const where = `${options.method} ${options.url}`
    if (name === undefined) {
      this.problems.push(`unexpected request ${where}`)
      setTimeout(() => options.fail({ errMsg: 'request:fail unexpected' }), 0)
      return
    }
    if (name === OFFLINE) {
      this.served.push('(offline)')
      setTimeout(() => options.fail({ errMsg: 'request:fail timeout' }), 0)
      return
    }
    this.served.push(name)
    const { request, response } = exchange(name)
    this.compare(name, request, response, options)
    if (request.path === '/api/wx/login' && response.status === 200) this.token = response.body.token
    // A copy: the page may keep and change what it got.
    const data = JSON.parse(JSON.stringify(response.body))
    setTimeout(() => options.success({ statusCode: response.status, data, header: {}, errMsg: 'request:ok' }), 0)
  }

  compare(name, request, response, options) {
    const url = parseUrl(options.url)
    const mismatch = (what, sent, recorded) =>
      this.problems.push(`${name}: the ${what} sent ${JSON.stringify(sent)} is not the recorded ${JSON.stringify(recorded)}`)
    if (!url) return mismatch('url', options.url, config.apiBase + request.path)
    if (options.method !== request.method) mismatch('method', options.method, request.method)
    if (url.path !== request.path) mismatch('path', url.path, request.path)
    if (!isDeepStrictEqual(url.query, request.query)) mismatch('query', url.query, request.query)
    const body = options.data === undefined ? null : options.data
    if (!isDeepStrictEqual(body, request.body)) mismatch('body', body, request.body)
    const sent = (options.header || {}).Authorization
    const recorded = request.headers.Authorization
    if (!recorded) {
      if (sent) mismatch('Authorization', sent, undefined)
    } else if (response.status === 401) {
      // A refused session: the token must be that very one.
      if (sent !== recorded) mismatch('Authorization', sent, recorded)
    } else if (sent !== bearer(this.token)) {
      // Any accepted session: the token must be the one the backend last gave.
      mismatch('Authorization', sent, bearer(this.token))
    }
    return null
  }

  verify() {
    const left = this.queue.map((name) => (name === OFFLINE ? '(offline)' : name))
    const problems = this.problems.concat(left.length ? [`expected but never requested: ${left.join(', ')}`] : [])
    if (problems.length) throw new Error(`the fake backend saw:\n  ${problems.join('\n  ')}`)
  }
}

module.exports = { Backend, OFFLINE, exchange }

// The session with the backend: wx.login → POST /api/wx/login, the token in
// storage, a 401 answered by one new login and one repeat of the request.
const api = require('../utils/api')
const { env } = require('./support/env')
const { OFFLINE, exchange } = require('./support/backend')
const { settle } = require('./support/render')

const MINE = '/api/wx/ratings/mine'

test('the first request logs in and keeps the token for the next ones', async () => {
  env.backend.expect('login', 'context_good', 'context_bad')
  const first = await api.get('/api/wx/rating-context', { code: 'GQQDCASE2' })
  expect(first).toEqual(exchange('context_good').response.body)
  expect(env.storage.get(api.TOKEN_KEY)).toBe(exchange('login').response.body.token)
  await api.get('/api/wx/rating-context', { code: 'BADCASE23' })
  expect(wx.login).toHaveBeenCalledTimes(1)
})

test('an expired session: one new login, then the same request once more', async () => {
  env.storage.set(api.TOKEN_KEY, env.backend.tokenOf('mine_token_expired'))
  env.backend.expect('mine_token_expired', 'login', 'mine')
  const body = await api.get(MINE)
  expect(body).toEqual(exchange('mine').response.body)
  expect(wx.login).toHaveBeenCalledTimes(1)
  expect(env.storage.get(api.TOKEN_KEY)).toBe(exchange('login').response.body.token)
})

test('requests at the same moment share one login', async () => {
  env.backend.expect('login', 'context_good', 'context_staff')
  const both = Promise.all([api.get('/api/wx/rating-context', { code: 'GQQDCASE2' }), api.get('/api/wx/rating-context', { scene: 's:S001' })])
  await settle()
  const [good, staff] = await both
  expect(good.target.kind).toBe('case')
  expect(staff.target.kind).toBe('staff')
  expect(wx.login).toHaveBeenCalledTimes(1)
})

test("WeChat down at login: the backend's 503 as an error, and no token kept", async () => {
  env.backend.expect('login_wechat_down')
  await expect(api.get(MINE)).rejects.toMatchObject({ kind: 'http', status: 503, code: 'wechat_unavailable' })
  expect(env.storage.has(api.TOKEN_KEY)).toBe(false)
})

test('no network: an error of kind "network"', async () => {
  env.backend.expect('login', OFFLINE)
  await expect(api.get(MINE)).rejects.toMatchObject({ kind: 'network', status: 0 })
})

test('wx.login itself failing is a network error, and nothing is sent', async () => {
  wx.login.mockImplementation((options) => setTimeout(() => options.fail({ errMsg: 'login:fail' }), 0))
  await expect(api.get(MINE)).rejects.toMatchObject({ kind: 'network', code: 'wx_login' })
  expect(wx.request).not.toHaveBeenCalled()
})

test('an answer that is not the contract (a proxy page) keeps its status', async () => {
  env.storage.set(api.TOKEN_KEY, env.backend.tokenOf('login'))
  wx.request.mockImplementationOnce((options) => setTimeout(() => options.success({ statusCode: 502, data: '<html>Bad Gateway</html>' }), 0))
  await expect(api.get(MINE)).rejects.toMatchObject({ kind: 'http', status: 502, code: 'http_502' })
})

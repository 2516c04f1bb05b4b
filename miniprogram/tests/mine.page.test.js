// 我的评价 (pages/mine): each 差评's progress in the citizen's words, the
// department's reply, the 追评 entry, and a session renewed on 401.
const api = require('../utils/api')
const { classes, openPage, tap, text } = require('./support/render')
const { env } = require('./support/env')
const { OFFLINE } = require('./support/backend')

const items = (page) => page.querySelectorAll('.entry')

describe('the list', () => {
  test('newest first: the 追评, then each 差评 with its progress and reply', async () => {
    env.backend.expect('login', 'mine')
    const page = await openPage('mine', {})
    const shown = items(page).map((item) => text(item))
    expect(shown).toHaveLength(5)
    expect(shown[0]).toBe('居民身份证换领追评区公安分局 · 2026年11月26日 10:30评价结果：满意服务态度好“补充：取证也很顺利”')
    expect(shown[1]).toContain('评价结果：非常不满意')
    expect(shown[1]).toContain('处理进度：已办结答复内容：已对窗口人员批评教育并整改。')
    expect(shown[2]).toContain('户籍业务窗口 · 王敏')
    expect(shown[2]).toContain('处理进度：整改中办理时限：2026年12月3日 23:59 前工单号：CP20261126000003')
    expect(shown[3]).toContain('处理进度：已答复答复内容：经核实，当日系统升级导致排队，已增开窗口并向您致歉。')
    expect(shown[3]).toContain('追加评价可在 2026年12月11日 10:10 前追评一次')
    expect(shown[4]).toBe('居民身份证换领区公安分局 · 2026年11月26日 10:05评价结果：非常满意服务态度热情办事效率高“办事很快，态度很好”')
    expect(page.toJSON()).toMatchSnapshot('my ratings')
  })

  test('a fresh 差评 reads 已受理, with its deadline', async () => {
    env.backend.expect('login', 'mine_after_bad')
    const page = await openPage('mine', {})
    expect(text(items(page)[0])).toContain('处理进度：已受理办理时限：2026年12月3日 23:59 前工单号：CP20261126000002')
  })

  test('nothing rated yet', async () => {
    env.backend.expect('login_bob', 'mine_empty')
    const page = await openPage('mine', {})
    expect(text(page)).toContain('您还没有在小程序中评价过。去评价')
    expect(page.toJSON()).toMatchSnapshot('no ratings yet')
    await tap(page, '#rate')
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/rate/index' })
  })

  test('opened from a reply’s subscribe message: that rating stands out', async () => {
    env.backend.expect('login', 'mine')
    const page = await openPage('mine', { ticket: 'CP20261126000002' })
    expect(items(page).map((item) => classes(item.querySelector('.rating')))).toEqual([
      'rating',
      'rating',
      'rating',
      'rating highlight',
      'rating',
    ])
  })
})

test('追加评价 opens the rating page for that case’s 追评', async () => {
  env.backend.expect('login', 'mine')
  const page = await openPage('mine', {})
  await tap(items(page)[3], '.addendum .button')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/rate/index?code=BADCASE23&addendum=1' })
})

test('an expired session is renewed once and the list still shows', async () => {
  env.storage.set(api.TOKEN_KEY, env.backend.tokenOf('mine_token_expired'))
  env.backend.expect('mine_token_expired', 'login', 'mine')
  const page = await openPage('mine', {})
  expect(items(page)).toHaveLength(5)
  expect(wx.login).toHaveBeenCalledTimes(1)
})

test('no network: a retry', async () => {
  env.backend.expect('login', OFFLINE, 'mine')
  const page = await openPage('mine', {})
  expect(text(page.querySelector('#problem'))).toBe('网络连接失败网络不太顺畅，请检查网络后点击“重试”。重试')
  expect(page.toJSON()).toMatchSnapshot('no network')
  await tap(page.querySelector('#problem'), '.button')
  expect(items(page)).toHaveLength(5)
})

test('pulled down, and back from a 追评: the list is fetched again', async () => {
  env.backend.expect('login', 'mine_after_bad', 'mine', 'mine_after_bad')
  const page = await openPage('mine', {})
  expect(items(page)).toHaveLength(2)
  page.instance.onPullDownRefresh()
  await new Promise((resolve) => setTimeout(resolve, 50))
  expect(items(page)).toHaveLength(5)
  expect(wx.stopPullDownRefresh).toHaveBeenCalledTimes(1)
  page.instance.onShow()
  await new Promise((resolve) => setTimeout(resolve, 50))
  expect(items(page)).toHaveLength(2)
})

// 评价 (pages/rate): from a wxacode, a rating code or a scan to the 差评's
// subscribe request, against the backend's recorded answers.
const { classes, openPage, settle, tap, text } = require('./support/render')
const { env } = require('./support/env')
const { OFFLINE } = require('./support/backend')

const levelsOf = (page) => page.querySelector('#levels')

async function choose(page, levelIndex, labelIndexes) {
  await tap(levelsOf(page), '.level', levelIndex)
  for (const index of labelIndexes || []) {
    await tap(page.querySelector('#labels'), '.chip', index)
  }
}

async function write(page, comment) {
  page.querySelector('#comment').dispatchEvent('input', { detail: { value: comment } })
  await settle()
}

const problem = (page) => text(page.querySelector('#problem'))

describe('opened with a rating code', () => {
  test('shows what is rated, the five levels and, once one is chosen, its labels', async () => {
    env.backend.expect('login', 'context_good')
    const page = await openPage('rate', { code: 'GQQDCASE2' })
    expect(text(page)).toContain('请您对本次服务作出评价办理事项居民身份证换领办理部门区公安分局')
    expect(levelsOf(page).querySelectorAll('.level').map((level) => text(level))).toEqual([
      '非常满意',
      '满意',
      '基本满意',
      '不满意',
      '非常不满意',
    ])
    expect(text(page)).toContain('请先选择总体评价。')
    expect(page.querySelector('#labels')).toBeUndefined()
    expect(page.toJSON()).toMatchSnapshot('the form')

    await choose(page, 3)
    expect(text(page.querySelector('#labels'))).toBe('具体评价（可多选）服务态度差办理时间长')
    expect(text(page)).not.toContain('请先选择总体评价。')
    expect(page.toJSON()).toMatchSnapshot('不满意 chosen: its labels')
  })

  test('another level drops the labels of the first', async () => {
    env.backend.expect('login', 'context_good')
    const page = await openPage('rate', { code: 'GQQDCASE2' })
    await choose(page, 3, [0, 1])
    expect(page.instance.data.labels).toEqual(['201', '202'])
    await choose(page, 0)
    expect(page.instance.data.labels).toEqual([])
    expect(text(page.querySelector('#labels'))).toBe('具体评价（可多选）服务态度热情办事效率高')
    expect(page.querySelector('#labels').querySelectorAll('.chip').map(classes)).toEqual(['chip', 'chip'])
  })

  test('a good rating: the contract body, then thanks', async () => {
    env.backend.expect('login', 'context_good', 'rate_good')
    const page = await openPage('rate', { code: 'GQQDCASE2' })
    await choose(page, 0, [0, 1])
    await write(page, '办事很快，态度很好')
    await tap(page, '#submit')
    expect(text(page)).toContain('感谢您的评价您的评价：非常满意您的评价将帮助我们把政务服务做得更好。')
    expect(page.querySelector('#subscribe')).toBeUndefined()
    expect(wx.requestSubscribeMessage).not.toHaveBeenCalled()
    expect(page.toJSON()).toMatchSnapshot('thanks for a good rating')
  })

  test('no level chosen: the H5 message, and nothing is sent', async () => {
    env.backend.expect('login', 'context_good')
    const page = await openPage('rate', { code: 'GQQDCASE2' })
    await tap(page, '#submit')
    expect(problem(page)).toBe('请选择评价等级请先选择一个评价等级（从“非常满意”到“非常不满意”）。')
    expect(wx.request).toHaveBeenCalledTimes(2)
  })
})

describe('a 差评', () => {
  async function rateBadly() {
    const page = await openPage('rate', { code: 'BADCASE23' })
    await choose(page, 3, [0, 1])
    await write(page, '排队两个小时，窗口说系统故障')
    await tap(page, '#submit')
    return page
  }

  test('is handed to the department, and the subscribe request follows on a tap', async () => {
    env.backend.expect('login', 'context_bad', 'rate_bad', 'subscribe_accept')
    const page = await rateBadly()
    expect(text(page)).toContain(
      '感谢您的评价您的评价：不满意很抱歉给您带来了不好的体验。您的意见已转交 区公安分局 核实处理。工单号：CP20261126000002',
    )
    expect(text(page.querySelector('#subscribe'))).toBe('接收处理结果通知')
    expect(page.toJSON()).toMatchSnapshot('thanks for a 差评, asking to notify')

    wx.requestSubscribeMessage.mockImplementation((options) =>
      setTimeout(() => options.success({ errMsg: 'requestSubscribeMessage:ok', 'TPL-reply-0001': 'accept' }), 0),
    )
    await tap(page, '#subscribe')
    expect(wx.requestSubscribeMessage).toHaveBeenCalledTimes(1)
    expect(wx.requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(['TPL-reply-0001'])
    expect(text(page.querySelector('#subscribed'))).toBe(
      '已开启通知：处理结果将通过微信服务通知告诉您，也可在“我的评价”中查看。',
    )
    expect(page.toJSON()).toMatchSnapshot('notifications accepted')
  })

  test('the citizen declines the notifications: told where to look instead', async () => {
    env.backend.expect('login', 'context_bad', 'rate_bad', 'subscribe_reject')
    const page = await rateBadly()
    wx.requestSubscribeMessage.mockImplementation((options) =>
      setTimeout(() => options.success({ errMsg: 'requestSubscribeMessage:ok', 'TPL-reply-0001': 'reject' }), 0),
    )
    await tap(page, '#subscribe')
    expect(text(page.querySelector('#declined'))).toBe('您没有开启通知。处理进度和答复可在“我的评价”中查看。')
  })

  test('subscriptions switched off in WeChat: nothing to report', async () => {
    env.backend.expect('login', 'context_bad', 'rate_bad')
    const page = await rateBadly()
    wx.requestSubscribeMessage.mockImplementation((options) =>
      setTimeout(() => options.fail({ errMsg: 'requestSubscribeMessage:fail', errCode: 20004 }), 0),
    )
    await tap(page, '#subscribe')
    expect(page.querySelector('#declined')).toBeDefined()
  })

  test('the acceptance cannot be reported: retried with the same answer', async () => {
    env.backend.expect('login', 'context_bad', 'rate_bad', OFFLINE, 'subscribe_accept')
    const page = await rateBadly()
    wx.requestSubscribeMessage.mockImplementation((options) =>
      setTimeout(() => options.success({ errMsg: 'requestSubscribeMessage:ok', 'TPL-reply-0001': 'accept' }), 0),
    )
    await tap(page, '#subscribe')
    expect(problem(page)).toBe('网络连接失败网络不太顺畅，请检查网络后点击“重试”。重试')
    await tap(page.querySelector('#problem'), '.button')
    expect(page.querySelector('#subscribed')).toBeDefined()
    expect(wx.requestSubscribeMessage).toHaveBeenCalledTimes(1)
  })
})

describe('opened by a window or staff wxacode', () => {
  test('the URL-encoded scene: the staff member, today’s ratings left, and a 差评', async () => {
    env.backend.expect('login', 'context_staff', 'rate_staff')
    const page = await openPage('rate', { scene: 's%3AS001' })
    expect(text(page)).toContain('办理部门区公安分局服务大厅鄠邑市民之家服务窗口户籍业务窗口工作人员王敏')
    expect(text(page)).not.toContain('办理事项')
    expect(text(page)).toContain('今天您还可以在此窗口评价 3 次。')
    expect(page.toJSON()).toMatchSnapshot('the form for a staff member')
    await choose(page, 4, [0])
    await tap(page, '#submit')
    expect(text(page)).toContain('您的评价：非常不满意很抱歉给您带来了不好的体验。您的意见已转交 区公安分局 核实处理。')
  })

  test('the daily limit reached before the page opens', async () => {
    env.backend.expect('login', 'context_window_limit')
    const page = await openPage('rate', { scene: 'w%3AW05' })
    expect(text(page)).toContain('今日评价次数已满您今天在此窗口的评价次数已达上限，感谢您的参与。')
    expect(page.toJSON()).toMatchSnapshot('429: the daily limit')
  })

  test('the daily limit reached at submit (429)', async () => {
    env.backend.expect('login', 'context_window', 'rate_limit')
    const page = await openPage('rate', { scene: 'w:W05' })
    await choose(page, 0)
    await tap(page, '#submit')
    expect(text(page)).toContain('今日评价次数已满')
    expect(page.querySelector('#submit')).toBeUndefined()
  })

  test('an unknown scene', async () => {
    env.backend.expect('login', 'context_unknown_scene')
    const page = await openPage('rate', { scene: 'w%3ANOPE' })
    expect(text(page)).toContain('二维码无效没有找到这个窗口或工作人员，二维码可能已停用。请向大厅工作人员咨询。')
  })
})

describe('refusals', () => {
  test('409: already rated, at submit', async () => {
    env.backend.expect('login', 'context_good', 'rate_again')
    const page = await openPage('rate', { code: 'GQQDCASE2' })
    await choose(page, 1)
    await tap(page, '#submit')
    expect(text(page)).toContain('该办件已经评价过了一次服务只能评价一次。感谢您的参与！查看我的评价评价其他服务')
    expect(page.toJSON()).toMatchSnapshot('409: already rated')
  })

  test('409: already rated, when the page opens', async () => {
    env.backend.expect('login', 'context_rated')
    const page = await openPage('rate', { code: 'GQQDCASE2' })
    expect(text(page)).toContain('该办件已经评价过了')
  })

  test('410: the rating window closed while the form was open', async () => {
    env.backend.expect('login', 'context_late', 'rate_expired')
    const page = await openPage('rate', { code: 'LATECASE6' })
    await choose(page, 0)
    await tap(page, '#submit')
    expect(text(page)).toContain('评价已过期该办件的评价期限已过，评价通道已关闭。感谢您的关注。')
    expect(page.toJSON()).toMatchSnapshot('410: expired')
  })

  test('410: expired when the page opens', async () => {
    env.backend.expect('login', 'context_expired')
    const page = await openPage('rate', { code: 'XPRDCASE4' })
    expect(text(page)).toContain('评价已过期')
  })

  test('429: too many requests, then the retry goes through', async () => {
    env.backend.expect('login', 'context_bad', 'rate_throttled', 'rate_bad')
    const page = await openPage('rate', { code: 'BADCASE23' })
    await choose(page, 3, [0, 1])
    await write(page, '排队两个小时，窗口说系统故障')
    await tap(page, '#submit')
    expect(problem(page)).toBe('操作过于频繁您的操作过于频繁，请 60 分钟后再试。重试')
    expect(page.toJSON()).toMatchSnapshot('429: too many requests')
    await tap(page.querySelector('#problem'), '.button')
    expect(text(page)).toContain('工单号：CP20261126000002')
  })

  test('no network at submit: the form stays filled, and the retry sends it again', async () => {
    env.backend.expect('login', 'context_good', OFFLINE, 'rate_good')
    const page = await openPage('rate', { code: 'GQQDCASE2' })
    await choose(page, 0, [0, 1])
    await write(page, '办事很快，态度很好')
    await tap(page, '#submit')
    expect(problem(page)).toBe('网络连接失败网络不太顺畅，请检查网络后点击“重试”。重试')
    expect(page.instance.data.labels).toEqual(['501', '502'])
    expect(text(page.querySelector('#submit'))).toBe('提交评价')
    expect(page.toJSON()).toMatchSnapshot('no network')
    await tap(page.querySelector('#problem'), '.button')
    expect(text(page)).toContain('感谢您的评价')
  })

  test('no network when the page opens: a retry loads it', async () => {
    env.backend.expect('login', OFFLINE, 'context_good')
    const page = await openPage('rate', { code: 'GQQDCASE2' })
    expect(problem(page)).toBe('网络连接失败网络不太顺畅，请检查网络后点击“重试”。重试')
    await tap(page.querySelector('#problem'), '.button')
    expect(page.querySelector('#levels')).toBeDefined()
  })

  test('WeChat down at login (503): a retry logs in', async () => {
    env.backend.expect('login_wechat_down', 'login', 'context_good')
    const page = await openPage('rate', { code: 'GQQDCASE2' })
    expect(problem(page)).toBe('服务暂时不可用微信服务暂时不可用，请稍后再试。重试')
    await tap(page.querySelector('#problem'), '.button')
    expect(page.querySelector('#levels')).toBeDefined()
  })

  test('an unknown rating code: say so, and let the citizen type another', async () => {
    env.backend.expect('login', 'context_unknown_code')
    const page = await openPage('rate', { code: 'ZZZZZZZZZ' })
    expect(text(page)).toContain('评价码无效没有找到这个评价码。请核对短信中的评价码是否完整，或向办事窗口咨询。')
    await tap(page, '#restart')
    expect(page.querySelector('#code')).toBeDefined()
  })
})

describe('opened without a code: scan or type', () => {
  test('the entry, in Chinese', async () => {
    const page = await openPage('rate', {})
    expect(text(page)).toContain('请扫描服务窗口的评价二维码，或输入办结短信中的评价码。扫码评价评价码')
    expect(wx.request).not.toHaveBeenCalled()
    expect(page.toJSON()).toMatchSnapshot('the entry')
  })

  test('a typed code, as people type it', async () => {
    env.backend.expect('login', 'context_good')
    const page = await openPage('rate', {})
    page.querySelector('#code').dispatchEvent('input', { detail: { value: ' gqqd case2 ' } })
    await settle()
    await tap(page, '#code-submit')
    expect(page.querySelector('#levels')).toBeDefined()
  })

  test('a code that cannot be one: asked again, nothing sent', async () => {
    const page = await openPage('rate', {})
    page.querySelector('#code').dispatchEvent('input', { detail: { value: '12' } })
    await settle()
    await tap(page, '#code-submit')
    expect(text(page.querySelector('#entry-error'))).toBe('请输入短信中的评价码：链接末尾的字母和数字。')
    expect(wx.request).not.toHaveBeenCalled()
  })

  test('a receipt’s QR code with the SMS link', async () => {
    env.backend.expect('login', 'context_bad')
    wx.scanCode.mockImplementation((options) => setTimeout(() => options.success({ result: 'https://hcp.example.cn/r/BADCASE23' }), 0))
    const page = await openPage('rate', {})
    await tap(page, '#scan')
    expect(wx.scanCode.mock.calls[0][0].scanType).toEqual(['wxCode', 'qrCode', 'barCode'])
    expect(text(page)).toContain('办理事项居民身份证换领')
  })

  test('a window’s wxacode scanned from inside the mini program', async () => {
    env.backend.expect('login', 'context_window')
    wx.scanCode.mockImplementation((options) =>
      setTimeout(() => options.success({ scanType: 'WX_CODE', result: '', path: 'pages/rate/index?scene=w%3AW05' }), 0),
    )
    const page = await openPage('rate', {})
    await tap(page, '#scan')
    expect(text(page)).toContain('服务窗口社保业务窗口')
  })

  test('something else scanned', async () => {
    wx.scanCode.mockImplementation((options) => setTimeout(() => options.success({ result: 'https://example.com/' }), 0))
    const page = await openPage('rate', {})
    await tap(page, '#scan')
    expect(text(page.querySelector('#entry-error'))).toBe('没有识别出评价码或窗口二维码，请重新扫描，或输入短信中的评价码。')
  })
})

describe('追评 (from 我的评价)', () => {
  test('the rated case opens for its 追评, sent with the 追评 flag', async () => {
    env.backend.expect('login', 'context_rated', 'rate_addendum')
    const page = await openPage('rate', { code: 'GQQDCASE2', addendum: '1' })
    expect(text(page)).toContain('请对本次服务追加评价')
    await choose(page, 1, [0])
    await write(page, '补充：取证也很顺利')
    await tap(page, '#submit')
    expect(text(page)).toContain('感谢您的追评您的评价：满意')
    expect(page.toJSON()).toMatchSnapshot('thanks for a 追评')
  })

  test('a second 追评 (409)', async () => {
    env.backend.expect('login', 'context_rated', 'rate_addendum_again')
    const page = await openPage('rate', { code: 'GQQDCASE2', addendum: '1' })
    await choose(page, 1, [0])
    await write(page, '补充：取证也很顺利')
    await tap(page, '#submit')
    expect(text(page)).toContain('该办件已追评过每件办件只能追评一次。感谢您的参与！')
  })

  test('back to 我的评价 rather than another copy of it', async () => {
    env.backend.expect('login', 'context_rated')
    global.getCurrentPages = () => [{ route: 'pages/mine/index' }, { route: 'pages/rate/index' }]
    try {
      const page = await openPage('rate', { code: 'GQQDCASE2', addendum: '1' })
      page.instance.onMine()
      expect(wx.navigateBack).toHaveBeenCalledTimes(1)
      expect(wx.navigateTo).not.toHaveBeenCalled()
    } finally {
      delete global.getCurrentPages
    }
  })
})

test('我的评价 from the thanks page', async () => {
  env.backend.expect('login', 'context_good', 'rate_good')
  const page = await openPage('rate', { code: 'GQQDCASE2' })
  await choose(page, 0, [0, 1])
  await write(page, '办事很快，态度很好')
  await tap(page, '#submit')
  await tap(page, '#mine')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/mine/index' })
})

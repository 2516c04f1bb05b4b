// The small modules behind the pages: where a target comes from, how a
// ticket reads to a citizen, times, the rating body and the error messages.
const { fromOptions, fromScan, fromText, normalizeCode } = require('../utils/target')
const { progress } = require('../utils/progress')
const { formatTime } = require('../utils/time')
const { ADDENDUM_FLAG, ratingBody } = require('../utils/rating')
const { describe: say } = require('../utils/errors')
const { exchange } = require('./support/backend')

describe('what is rated', () => {
  test("a wxacode's scene arrives URL-encoded in the page's options", () => {
    expect(fromOptions({ scene: 's%3AS001' })).toEqual({ scene: 's:S001' })
    expect(fromOptions({ scene: 'w:W04' })).toEqual({ scene: 'w:W04' })
    expect(fromOptions({ scene: 'wi%3A12' })).toEqual({ scene: 'wi:12' })
  })

  test('scenes the backend never issues are refused before any request', () => {
    expect(fromOptions({ scene: 'x%3AW04' })).toBeNull()
    expect(fromOptions({ scene: 'w:' })).toBeNull()
    expect(fromOptions({ scene: `w:${'W'.repeat(40)}` })).toBeNull()
    expect(fromOptions({ scene: '%E4%BD%A0' })).toBeNull()
    expect(fromOptions({})).toBeNull()
  })

  test('a rating code from 我的评价 or typed by hand', () => {
    expect(fromOptions({ code: 'BADCASE23' })).toEqual({ code: 'BADCASE23' })
    expect(normalizeCode(' badc ase-23 ')).toBe('BADCASE23')
    // The backend's alphabet has no 0, 1, O or I.
    expect(normalizeCode('BADCASE10')).toBeNull()
    expect(normalizeCode('ABC')).toBeNull()
    expect(normalizeCode(undefined)).toBeNull()
  })

  test('a plain QR code opened through 扫普通链接二维码打开小程序 (options.q)', () => {
    expect(fromOptions({ q: encodeURIComponent('https://hcp.example.cn/q/w:W04') })).toEqual({ scene: 'w:W04' })
    expect(fromOptions({ q: encodeURIComponent('https://hcp.example.cn/r/GQQDCASE2') })).toEqual({ code: 'GQQDCASE2' })
  })

  test('what wx.scanCode reads: a wxacode, the QR page, an SMS link, a bare code', () => {
    expect(fromScan({ scanType: 'WX_CODE', path: 'pages/rate/index?scene=w%3AW05', result: '' })).toEqual({ scene: 'w:W05' })
    expect(fromScan({ result: 'https://hcp.example.cn/q/s%3AS001' })).toEqual({ scene: 's:S001' })
    expect(fromScan({ result: 'https://hcp.example.cn/r/LATECASE6?from=sms' })).toEqual({ code: 'LATECASE6' })
    expect(fromScan({ result: 'GQQDCASE2' })).toEqual({ code: 'GQQDCASE2' })
    expect(fromScan({ result: 'https://example.com/somewhere' })).toBeNull()
    expect(fromText('')).toBeNull()
    expect(fromScan(null)).toBeNull()
  })
})

describe("a 差评's progress in the citizen's words", () => {
  const stepOf = (state) => progress({ state, state_name: state }).current

  test.each([
    ['new', '已受理'],
    ['verifying', '已受理'],
    ['appeal', '已受理'],
    ['rectifying', '整改中'],
    ['rectified', '整改中'],
    ['explained', '整改中'],
    ['replied', '已答复'],
    ['followed_up', '已答复'],
    ['closed', '已办结'],
  ])('%s is %s', (state, words) => {
    expect(stepOf(state)).toBe(words)
  })

  test('steps up to the current one are done', () => {
    const { steps } = progress({ state: 'replied' })
    expect(steps.map((step) => [step.name, step.done, step.current])).toEqual([
      ['已受理', true, false],
      ['整改中', true, false],
      ['已答复', true, true],
      ['已办结', false, false],
    ])
  })

  test("a state this version does not know shows the backend's name for it", () => {
    const shown = progress({ state: 'escalated', state_name: '督办中' })
    expect(shown.current).toBe('督办中')
    expect(shown.steps.every((step) => !step.done)).toBe(true)
  })
})

test("times are read as the hall's clock, whatever the phone's time zone", () => {
  expect(formatTime('2026-12-03T23:59:59+08:00')).toBe('2026年12月3日 23:59')
  expect(formatTime(null)).toBe('')
})

describe('the body of POST /api/wx/ratings', () => {
  test('is what the recorded requests sent', () => {
    const good = ratingBody({ code: 'GQQDCASE2' }, { level: 5, labels: ['501', '502'], comment: ' 办事很快，态度很好 ' })
    expect(good).toEqual(exchange('rate_good').request.body)
    expect(ratingBody({ scene: 'w:W05' }, { level: 5, labels: [], comment: '   ' })).toEqual(
      exchange('rate_window').request.body,
    )
    const addendum = ratingBody({ code: 'GQQDCASE2' }, { level: 4, labels: ['401'], comment: '补充：取证也很顺利' }, true)
    expect(addendum).toEqual(exchange('rate_addendum').request.body)
  })

  test('marks a 追评 with the one flag the backend accepts', () => {
    expect(Object.keys(exchange('rate_addendum').request.body)).toContain(ADDENDUM_FLAG)
  })
})

describe('what the citizen reads when it fails', () => {
  const answer = (name) => {
    const { status, body } = exchange(name).response
    return { kind: 'http', status, code: body.error.code, message: body.error.message }
  }

  test('no network: try again', () => {
    expect(say({ kind: 'network' })).toMatchObject({ title: '网络连接失败', retry: true, final: false })
  })

  test('409, 410 and the daily limit end the rating, in the H5 pages words', () => {
    expect(say(answer('rate_again'))).toMatchObject({ title: '该办件已经评价过了', text: '一次服务只能评价一次。感谢您的参与！', final: true })
    expect(say(answer('rate_expired'))).toMatchObject({ title: '评价已过期', final: true })
    expect(say(answer('rate_limit'))).toMatchObject({ title: '今日评价次数已满', final: true, retry: false })
    expect(say(answer('rate_addendum_again'))).toMatchObject({ title: '该办件已追评过', final: true })
  })

  test('too many requests: the wait the backend names, and a retry', () => {
    expect(say(answer('rate_throttled'))).toEqual({
      title: '操作过于频繁',
      text: '您的操作过于频繁，请 60 分钟后再试。',
      final: false,
      retry: true,
    })
  })

  test('WeChat or the server down: a retry', () => {
    expect(say(answer('login_wechat_down'))).toMatchObject({
      title: '服务暂时不可用',
      text: '微信服务暂时不可用，请稍后再试。',
      retry: true,
    })
    expect(say({ kind: 'http', status: 502, code: 'http_502', message: '' })).toMatchObject({ retry: true })
  })

  test('an unknown code or scene', () => {
    expect(say(answer('context_unknown_code'))).toMatchObject({ title: '评价码无效', final: true })
    expect(say(answer('context_unknown_scene'))).toMatchObject({ title: '二维码无效', final: true })
  })

  test("any other refusal shows the backend's message", () => {
    expect(say({ kind: 'http', status: 422, code: 'comment_too_long', message: '文字评价不能超过 500 字' })).toEqual({
      title: '提交未成功',
      text: '文字评价不能超过 500 字。',
      final: false,
      retry: false,
    })
  })
})

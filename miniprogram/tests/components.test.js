// The components, each on its own: what they show and what they tell the page.
const { classes, render, settle, text, tap } = require('./support/render')
const { exchange } = require('./support/backend')
const { toView } = require('../utils/my-ratings')

const context = (name) => exchange(name).response.body
const mine = () => exchange('mine').response.body.ratings

describe('target-card', () => {
  test('a case: item, department, hall, window and staff, in the H5 words', () => {
    const card = render('components/target-card/index', { target: context('context_good').target })
    expect(text(card)).toBe('办理事项居民身份证换领办理部门区公安分局服务大厅鄠邑市民之家服务窗口户籍业务窗口工作人员王敏')
  })

  test('a staff member on site: no item row', () => {
    const card = render('components/target-card/index', { target: context('context_staff').target })
    expect(text(card)).toBe('办理部门区公安分局服务大厅鄠邑市民之家服务窗口户籍业务窗口工作人员王敏')
    expect(card.toJSON()).toMatchSnapshot()
  })
})

describe('level-picker', () => {
  test('the five levels, best first, and the chosen one marked', async () => {
    const picker = render('components/level-picker/index', { levels: context('context_good').levels, value: 2 })
    const levels = picker.querySelectorAll('.level')
    expect(levels.map((level) => text(level))).toEqual(['非常满意', '满意', '基本满意', '✓ 不满意', '非常不满意'])
    expect(classes(levels[3])).toBe('level level-2 checked')
    const changes = []
    picker.addEventListener('change', (event) => changes.push(event.detail))
    await tap(picker, '.level', 0)
    await tap(picker, '.level', 3)
    // Tapping the chosen level again changes nothing.
    expect(changes).toEqual([{ level: 5 }])
  })
})

describe('label-picker', () => {
  const labels = context('context_good').levels[3].labels

  test('toggles labels and keeps them in the dictionary order', async () => {
    const picker = render('components/label-picker/index', { labels, selected: [] })
    expect(text(picker)).toBe('具体评价（可多选）服务态度差办理时间长')
    const changes = []
    picker.addEventListener('change', (event) => {
      changes.push(event.detail.selected)
      picker.setData({ selected: event.detail.selected })
    })
    await tap(picker, '.chip', 1)
    await tap(picker, '.chip', 0)
    await tap(picker, '.chip', 1)
    expect(changes).toEqual([['202'], ['201', '202'], ['201']])
    expect(picker.querySelectorAll('.chip').map(classes)).toEqual(['chip on', 'chip'])
  })
})

describe('notice', () => {
  test('a message, and its button when there is something to do', async () => {
    const notice = render('components/notice/index', { title: '网络连接失败', text: '请重试。', action: '重试' })
    let acted = 0
    notice.addEventListener('action', () => {
      acted += 1
    })
    await tap(notice, '.button')
    expect(acted).toBe(1)
    expect(text(notice)).toBe('网络连接失败请重试。重试')
    const quiet = render('components/notice/index', { text: '请输入短信中的评价码。' })
    expect(quiet.querySelector('.button')).toBeUndefined()
  })
})

describe('ticket-progress', () => {
  const progressOf = (index) => render('components/ticket-progress/index', { ticket: toView(mine()[index]).ticket })

  test('an answered 差评: the reply, not the deadline', () => {
    const shown = progressOf(3)
    expect(text(shown)).toBe(
      '已受理整改中已答复已办结处理单位：区公安分局处理进度：已答复答复内容：经核实，当日系统升级导致排队，已增开窗口并向您致歉。' +
        '答复时间：2026年11月28日 10:00工单号：CP20261126000002',
    )
    expect(shown.querySelectorAll('.step').map(classes)).toEqual([
      'step done',
      'step done',
      'step done current',
      'step',
    ])
  })

  test('a 差评 being rectified: the deadline', () => {
    expect(text(progressOf(2))).toContain('处理进度：整改中办理时限：2026年12月3日 23:59 前')
  })
})

describe('rating-item', () => {
  test('a 追评 is marked as one and offers no other', () => {
    const item = render('components/rating-item/index', { rating: toView(mine()[0]) })
    expect(text(item)).toContain('居民身份证换领追评')
    expect(item.querySelector('.addendum')).toBeUndefined()
  })

  test('a first rating offers its 追评 until the backend says', async () => {
    const item = render('components/rating-item/index', { rating: toView(mine()[3]) })
    expect(text(item)).toContain('追加评价可在 2026年12月11日 10:10 前追评一次')
    const asked = []
    item.addEventListener('addendum', (event) => asked.push(event.detail))
    await tap(item, '.addendum .button')
    await settle()
    expect(asked).toEqual([{ code: 'BADCASE23' }])
  })

  test('an on-site rating names the window and the staff member', () => {
    const item = render('components/rating-item/index', { rating: toView(mine()[2]) })
    expect(text(item).startsWith('户籍业务窗口 · 王敏区公安分局 · 2026年11月26日 10:20评价结果：非常不满意服务态度恶劣')).toBe(true)
    expect(item.toJSON()).toMatchSnapshot()
  })
})

// 评价: the one-service-one-rating form. Opened by a window's or staff
// member's wxacode (options.scene), from 我的评价 for a 追评 (options.code and
// addendum=1), or bare: then the citizen scans a code or types the SMS's code.
//
// A page built with Component() (a documented form of WeChat pages), so that
// miniprogram-simulate renders it in the tests; page lifetimes live in methods.
const api = require('../../utils/api')
const { describe } = require('../../utils/errors')
const { fromOptions, fromScan, normalizeCode } = require('../../utils/target')
const { ratingBody } = require('../../utils/rating')
const subscribe = require('../../utils/subscribe')

Component({
  data: {
    // loading | entry | form | done | closed | failed
    phase: 'loading',
    addendum: false,
    codeInput: '',
    entryError: '',
    target: null,
    levels: [],
    left: null,
    level: 0,
    chosen: null,
    labels: [],
    comment: '',
    submitting: false,
    problem: null,
    result: null,
    levelName: '',
    // Why the rating cannot happen: { title, text, code }
    closed: null,
    // The subscribe-message offer after a 差评: offer | asking | accepted | declined | failed
    subscribe: '',
  },

  methods: {
    onLoad(options) {
      this.target = fromOptions(options)
      this.setData({ addendum: Boolean(options && options.addendum === '1') })
      if (this.target) this.loadContext()
      else this.setData({ phase: 'entry' })
    },

    // -- what is rated ------------------------------------------------------

    loadContext() {
      this.setData({ phase: 'loading', problem: null })
      api.get('/api/wx/rating-context', this.target).then(
        (context) => this.showForm(context),
        (err) => this.failed(err, () => this.loadContext()),
      )
    },

    showForm(context) {
      // A 追评 is only for a case already rated; otherwise it is a first rating.
      const addendum = this.data.addendum && context.already_rated
      if (context.expired) {
        this.close('rating_expired')
        return
      }
      if (context.already_rated && !addendum) {
        // On site, "already rated" means today's ratings at this window are used up.
        this.close(context.ratings_left_today === 0 ? 'rating_limit_reached' : 'already_rated')
        return
      }
      this.setData({
        phase: 'form',
        addendum,
        target: context.target,
        levels: context.levels,
        left: context.ratings_left_today === undefined ? null : context.ratings_left_today,
        level: 0,
        chosen: null,
        labels: [],
        comment: '',
      })
    },

    close(code, message) {
      const { title, text } = describe({ kind: 'http', code, message })
      this.setData({ phase: 'closed', closed: { title, text, code }, problem: null, submitting: false })
    },

    // A failure: final ones close the page, the others show with 重试 where it may help.
    failed(err, retry) {
      const said = describe(err)
      if (said.final) {
        this.close(err.code, err.message)
        return
      }
      this.retry = said.retry ? retry : null
      const problem = { title: said.title, text: said.text, action: said.retry ? '重试' : '' }
      if (this.data.phase === 'loading') this.setData({ phase: 'failed', problem })
      else this.setData({ problem, submitting: false })
    },

    onRetry() {
      if (this.retry) this.retry()
    },

    // -- no code yet: scan or type ------------------------------------------

    onScan() {
      wx.scanCode({
        scanType: ['wxCode', 'qrCode', 'barCode'],
        success: (res) => this.start(fromScan(res), '没有识别出评价码或窗口二维码，请重新扫描，或输入短信中的评价码。'),
        // Cancelled by the citizen: the entry stays as it was.
        fail: () => {},
      })
    },

    onCodeInput(event) {
      this.setData({ codeInput: event.detail.value, entryError: '' })
    },

    onCodeSubmit() {
      const code = normalizeCode(this.data.codeInput)
      this.start(code ? { code } : null, '请输入短信中的评价码：链接末尾的字母和数字。')
    },

    start(target, complaint) {
      if (!target) {
        this.setData({ entryError: complaint })
        return
      }
      this.target = target
      this.setData({ entryError: '', addendum: false })
      this.loadContext()
    },

    onRestart() {
      this.target = null
      this.setData({ phase: 'entry', codeInput: '', entryError: '', problem: null, result: null, subscribe: '' })
    },

    // -- the form -----------------------------------------------------------

    onLevel(event) {
      const level = event.detail.level
      const chosen = this.data.levels.find((item) => item.level === level) || null
      // Labels belong to one level: choosing another level drops them.
      this.setData({ level, chosen, labels: [], problem: null })
    },

    onLabels(event) {
      this.setData({ labels: event.detail.selected })
    },

    onComment(event) {
      this.setData({ comment: event.detail.value })
    },

    onSubmit() {
      if (this.data.submitting) return
      if (!this.data.level) {
        this.failed({ kind: 'http', code: 'invalid_level' })
        return
      }
      this.setData({ submitting: true, problem: null })
      const body = ratingBody(this.target, this.data, this.data.addendum)
      api.post('/api/wx/ratings', body).then(
        (result) => this.done(result),
        (err) => this.failed(err, () => this.onSubmit()),
      )
    },

    done(result) {
      const templates = result.subscribe_templates || []
      this.templates = templates
      this.setData({
        phase: 'done',
        submitting: false,
        result,
        levelName: this.data.chosen ? this.data.chosen.name : '',
        subscribe: result.is_bad && templates.length ? 'offer' : '',
      })
    },

    // -- after a 差评: the reply and the 回访 should reach the citizen ---------

    onSubscribe() {
      this.setData({ subscribe: 'asking', problem: null })
      subscribe.request(this.templates).then(
        (answer) => this.reportSubscription(answer),
        // Subscriptions switched off in WeChat's settings, or an old WeChat.
        () => this.setData({ subscribe: 'declined' }),
      )
    },

    reportSubscription(answer) {
      subscribe.report(answer).then(
        () => this.setData({ subscribe: subscribe.accepted(answer, this.templates) ? 'accepted' : 'declined' }),
        (err) => {
          const said = describe(err)
          this.retry = () => this.reportSubscription(answer)
          this.setData({ subscribe: 'failed', problem: { title: said.title, text: said.text, action: '重试' } })
        },
      )
    },

    onMine() {
      // Opened from 我的评价 for a 追评: go back to it rather than stack another.
      const pages = typeof getCurrentPages === 'function' ? getCurrentPages() : []
      const previous = pages[pages.length - 2]
      if (previous && previous.route === 'pages/mine/index') wx.navigateBack()
      else wx.navigateTo({ url: '/pages/mine/index' })
    },
  },
})

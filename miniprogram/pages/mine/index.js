// 我的评价: the citizen's ratings in the mini program, each 差评 with its
// progress and the department's reply, and the 追评 entry while allowed.
// A reply's subscribe message opens it with ?ticket=<ticket_no> (the
// backend's `[wechat.reply_template] page`): that rating is highlighted.
const api = require('../../utils/api')
const { describe } = require('../../utils/errors')
const { toView } = require('../../utils/my-ratings')

Component({
  data: {
    // loading | list | failed
    phase: 'loading',
    ratings: [],
    problem: null,
  },

  methods: {
    onLoad(options) {
      this.highlight = (options && options.ticket) || ''
      this.load()
    },

    // Back from a 追评: show it.
    onShow() {
      if (this.loaded) this.load()
    },

    onPullDownRefresh() {
      this.load().then(() => wx.stopPullDownRefresh())
    },

    load() {
      if (!this.loaded) this.setData({ phase: 'loading' })
      return api.get('/api/wx/ratings/mine').then(
        (body) => {
          this.loaded = true
          this.setData({ phase: 'list', problem: null, ratings: body.ratings.map((r) => toView(r, this.highlight)) })
        },
        (err) => {
          const said = describe(err)
          this.setData({ phase: 'failed', problem: { title: said.title, text: said.text, action: '重试' } })
        },
      )
    },

    onRetry() {
      this.load()
    },

    onAddendum(event) {
      wx.navigateTo({ url: `/pages/rate/index?code=${encodeURIComponent(event.detail.code)}&addendum=1` })
    },

    onRate() {
      wx.navigateTo({ url: '/pages/rate/index' })
    },
  },
})

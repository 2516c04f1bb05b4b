// One rating in 我的评价 (utils/my-ratings.js toView), with its 差评's
// progress and the 追评 entry while one may be added.
Component({
  options: { styleIsolation: 'apply-shared' },
  properties: {
    rating: { type: Object, value: null },
  },
  methods: {
    onAddendum() {
      this.triggerEvent('addendum', { code: this.data.rating.addendumCode })
    },
  },
})

// 总体评价: the five levels, best first, as the backend lists them
// (GET /api/wx/rating-context `levels`); tapping one chooses it.
Component({
  options: { styleIsolation: 'apply-shared' },
  properties: {
    levels: { type: Array, value: [] },
    value: { type: Number, value: 0 },
  },
  methods: {
    onTap(event) {
      const level = Number(event.currentTarget.dataset.level)
      if (level !== this.data.value) this.triggerEvent('change', { level })
    },
  },
})

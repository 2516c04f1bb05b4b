// A message to the citizen (an error, or why the rating cannot happen), with
// an optional button: 重试 where trying again may work.
Component({
  options: { styleIsolation: 'apply-shared' },
  properties: {
    title: { type: String, value: '' },
    text: { type: String, value: '' },
    kind: { type: String, value: 'error' },
    action: { type: String, value: '' },
  },
  methods: {
    onAction() {
      this.triggerEvent('action')
    },
  },
})

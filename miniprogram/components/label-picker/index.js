// 具体评价: the labels of the chosen level, from the dictionary the backend
// returned with the context (its `label_version`); several may be chosen.
Component({
  options: { styleIsolation: 'apply-shared' },
  properties: {
    labels: { type: Array, value: [] },
    selected: { type: Array, value: [] },
  },
  data: { chips: [] },
  observers: {
    'labels, selected'(labels, selected) {
      this.setData({ chips: labels.map((label) => ({ ...label, on: selected.indexOf(label.code) !== -1 })) })
    },
  },
  methods: {
    onTap(event) {
      const code = event.currentTarget.dataset.code
      const selected = this.data.selected.slice()
      const at = selected.indexOf(code)
      if (at === -1) selected.push(code)
      else selected.splice(at, 1)
      // In the dictionary's order, whatever order they were tapped in.
      const order = this.data.labels.map((label) => label.code)
      selected.sort((a, b) => order.indexOf(a) - order.indexOf(b))
      this.triggerEvent('change', { selected })
    },
  },
})

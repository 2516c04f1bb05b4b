// 评价对象: what is being rated, names only (the H5 pages' _target.html).
const ROWS = [
  ['item', '办理事项'],
  ['department', '办理部门'],
  ['hall', '服务大厅'],
  ['window', '服务窗口'],
  ['staff', '工作人员'],
]

Component({
  options: { styleIsolation: 'apply-shared' },
  properties: {
    target: { type: Object, value: null },
  },
  data: { rows: [] },
  observers: {
    target(target) {
      const rows = ROWS.filter(([key]) => target && target[key]).map(([key, name]) => ({ key, name, value: target[key] }))
      this.setData({ rows })
    },
  },
})

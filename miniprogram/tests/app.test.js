// The mini program as WeChat DevTools imports it: every page and component
// whole, the appid and the API base each in one place, the tests left out of
// the upload, and the update prompt at launch.
const fs = require('fs')
const path = require('path')
const { ROOT } = require('./support/render')

const readJson = (file) => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8'))
const exists = (file) => fs.existsSync(path.join(ROOT, file))

const app = readJson('app.json')

function componentsOf(base) {
  const json = readJson(`${base}.json`)
  return Object.values(json.usingComponents || {}).map((used) => used.replace(/^\//, ''))
}

test('the rate page comes first: a bare launch opens it', () => {
  expect(app.pages[0]).toBe('pages/rate/index')
  expect(app.pages).toContain('pages/mine/index')
})

test.each(app.pages)('%s has its four files and is built with Component()', (page) => {
  for (const ext of ['js', 'json', 'wxml', 'wxss']) expect(exists(`${page}.${ext}`)).toBe(true)
  expect(readJson(`${page}.json`).usingComponents).toBeDefined()
  expect(fs.readFileSync(path.join(ROOT, `${page}.js`), 'utf8')).toMatch(/^Component\(\{/m)
})

test('every component a page or component uses exists, whole', () => {
  const seen = new Set()
  const visit = (base) => {
    for (const used of componentsOf(base)) {
      if (seen.has(used)) continue
      seen.add(used)
      for (const ext of ['js', 'json', 'wxml', 'wxss']) expect(exists(`${used}.${ext}`)).toBe(true)
      expect(readJson(`${used}.json`).component).toBe(true)
      visit(used)
    }
  }
  app.pages.forEach(visit)
  const all = fs.readdirSync(path.join(ROOT, 'components')).map((name) => `components/${name}/index`)
  expect([...seen].sort()).toEqual(all.sort())
})

test('project.config.json: the appid in its one place, and no tests or node_modules in the upload', () => {
  const project = readJson('project.config.json')
  expect(project.compileType).toBe('miniprogram')
  expect(typeof project.appid).toBe('string')
  const ignored = project.packOptions.ignore.map((rule) => rule.value)
  expect(ignored).toEqual(expect.arrayContaining(['tests', 'node_modules', 'package.json', 'package-lock.json']))
  // Nothing but config.js names the backend.
  const sources = ['utils', 'pages', 'components'].flatMap((dir) => listJs(path.join(ROOT, dir)))
  for (const file of sources) expect(fs.readFileSync(file, 'utf8')).not.toMatch(/https?:\/\//)
})

function listJs(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return listJs(full)
    return entry.name.endsWith('.js') ? [full] : []
  })
}

test('a new version waiting at launch: the citizen is asked to restart into it', () => {
  let definition = null
  global.App = (options) => {
    definition = options
  }
  const manager = { onUpdateReady: jest.fn(), applyUpdate: jest.fn() }
  wx.getUpdateManager = () => manager
  wx.showModal = jest.fn()
  try {
    jest.isolateModules(() => require('../app'))
    definition.onLaunch()
    manager.onUpdateReady.mock.calls[0][0]()
    const modal = wx.showModal.mock.calls[0][0]
    expect(modal.content).toBe('新版本已经准备好，是否重启小程序？')
    modal.success({ confirm: false })
    expect(manager.applyUpdate).not.toHaveBeenCalled()
    modal.success({ confirm: true })
    expect(manager.applyUpdate).toHaveBeenCalledTimes(1)
  } finally {
    delete global.App
  }
})

// Rendering pages and components with miniprogram-simulate, and acting on
// them as a citizen would.
const path = require('path')
const simulate = require('miniprogram-simulate')

const ROOT = path.resolve(__dirname, '../..')

function render(file, properties) {
  // The official WXML compiler, over the whole mini program (absolute
  // component paths resolve from its root), as WeChat DevTools compiles it.
  const id = simulate.load(path.join(ROOT, file), { rootPath: ROOT })
  const comp = simulate.render(id, properties)
  comp.attach(document.createElement('parent-wrapper'))
  return comp
}

// Let the fake network and the promise chains behind it run to the end.
async function settle() {
  for (let turn = 0; turn < 30; turn += 1) {
    await new Promise((resolve) => setTimeout(resolve, 0))
  }
}

// A page built with Component(): WeChat calls onLoad with the page's query.
async function openPage(name, options) {
  const page = render(`pages/${name}/index`)
  page.instance.onLoad(options || {})
  await settle()
  return page
}

function text(comp) {
  return comp.dom.textContent.replace(/\s+/g, ' ').trim()
}

// A node's classes as written in the WXML (miniprogram-simulate prefixes them
// with the component's tag name to scope its styles).
function classes(node) {
  return node.dom.className
    .split(/\s+/)
    .filter(Boolean)
    .map((name) => name.replace(/^[\w-]+?--/, ''))
    .join(' ')
}

async function tap(comp, selector, index) {
  const found = index === undefined ? comp.querySelector(selector) : comp.querySelectorAll(selector)[index]
  if (!found) throw new Error(`nothing matches ${selector}`)
  found.dispatchEvent('tap')
  await settle()
}

module.exports = { ROOT, render, openPage, settle, text, tap, classes }

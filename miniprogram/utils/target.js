// What is to be rated, from whatever the citizen brought:
//   { code }  a case's rating code (the SMS link's last part, or a receipt);
//   { scene } a window's or staff member's scene ("w:W04", "s:S001", "wi:12", "si:3"),
//             the same as the H5 page /q/<scene> (wechat/scenes.py).
//
// Sources: the page's options (a wxacode's `scene`, URL-encoded by WeChat; a
// `code` from 我的评价; `q`, a plain QR code's URL when the district has set
// 扫普通链接二维码打开小程序), what wx.scanCode read, or what was typed.

// cases/codes.py: no 0/O or 1/I, so a code survives being read aloud and typed.
const CODE = /^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{4,16}$/
// WeChat's scene alphabet (wxacode.getUnlimited), with the backend's "kind:key" shape.
const SCENE = /^(w|s|wi|si):[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,29}$/

function decode(value) {
  try {
    return decodeURIComponent(value)
  } catch (err) {
    return value
  }
}

function normalizeCode(raw) {
  if (typeof raw !== 'string') return null
  const code = raw.replace(/[\s-]/g, '').toUpperCase()
  return CODE.test(code) ? code : null
}

function sceneTarget(raw) {
  const scene = typeof raw === 'string' ? decode(raw).trim() : ''
  return SCENE.test(scene) && scene.length <= 32 ? { scene } : null
}

function queryParam(text, name) {
  const match = new RegExp(`[?&]${name}=([^&#]*)`).exec(text)
  return match ? match[1] : null
}

// A scanned or typed text: an SMS/H5 link (…/r/<code>, …/q/<scene>), a
// mini-program path (pages/rate/index?scene=…), or a bare rating code.
function fromText(raw) {
  const text = typeof raw === 'string' ? raw.trim() : ''
  if (!text) return null
  const rated = /\/r\/([^/?#]+)/.exec(text)
  if (rated) {
    const code = normalizeCode(decode(rated[1]))
    return code ? { code } : null
  }
  const onsite = /\/q\/([^/?#]+)/.exec(text)
  if (onsite) return sceneTarget(onsite[1])
  const scene = queryParam(text, 'scene')
  if (scene !== null) return sceneTarget(scene)
  const code = queryParam(text, 'code')
  if (code !== null) {
    const normalized = normalizeCode(decode(code))
    return normalized ? { code: normalized } : null
  }
  const bare = normalizeCode(text)
  return bare ? { code: bare } : null
}

function fromOptions(options) {
  const opts = options || {}
  if (opts.scene) return sceneTarget(opts.scene)
  if (opts.code) {
    const code = normalizeCode(decode(opts.code))
    return code ? { code } : null
  }
  if (opts.q) return fromText(decode(opts.q))
  return null
}

// wx.scanCode: a wxacode gives `path` (with its scene); anything else `result`.
function fromScan(res) {
  if (!res) return null
  return (res.path && fromText(res.path)) || fromText(res.result)
}

module.exports = { fromOptions, fromScan, fromText, normalizeCode }

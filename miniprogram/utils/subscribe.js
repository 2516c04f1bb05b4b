// After a 差评: ask the citizen to allow the subscribe messages that carry the
// department's reply (wx.requestSubscribeMessage, which WeChat only allows
// from a tap), then report the answer to the backend unchanged, which counts
// one message per acceptance (wechat/subscriptions.py).
const api = require('./api')

function request(tmplIds) {
  return new Promise((resolve, reject) => {
    wx.requestSubscribeMessage({ tmplIds, success: resolve, fail: reject })
  })
}

// The answer as WeChat gave it: { "<tmplId>": "accept" | "reject" | "ban" | "filter", errMsg }.
function accepted(result, tmplIds) {
  return tmplIds.some((id) => result[id] === 'accept')
}

function report(result) {
  return api.post('/api/wx/subscriptions', result)
}

module.exports = { request, report, accepted }

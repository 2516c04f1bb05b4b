// What a citizen reads when something goes wrong, in the H5 pages' words
// (web/templates/web/rate/) where they have them.
//
// describe(err) → { title, text, final, retry }:
//   final: the rating cannot happen (rated, expired, limit reached, unknown
//          code): the page shows the message instead of the form;
//   retry: trying again may work (no network, too many requests, the server
//          or WeChat briefly down): the page offers 重试.

const FINAL = {
  already_rated: { title: '该办件已经评价过了', text: '一次服务只能评价一次。感谢您的参与！' },
  rating_expired: { title: '评价已过期', text: '该办件的评价期限已过，评价通道已关闭。感谢您的关注。' },
  rating_limit_reached: {
    title: '今日评价次数已满',
    text: '您今天在此窗口的评价次数已达上限，感谢您的参与。',
  },
  unknown_code: {
    title: '评价码无效',
    text: '没有找到这个评价码。请核对短信中的评价码是否完整，或向办事窗口咨询。',
  },
  unknown_scene: {
    title: '二维码无效',
    text: '没有找到这个窗口或工作人员，二维码可能已停用。请向大厅工作人员咨询。',
  },
  already_has_addendum: { title: '该办件已追评过', text: '每件办件只能追评一次。感谢您的参与！' },
  addendum_closed: { title: '追评已截止', text: null },
  not_rated_yet: { title: '尚未评价', text: '该办件还没有评价，请先作出评价。' },
}

const NETWORK = {
  title: '网络连接失败',
  text: '网络不太顺畅，请检查网络后点击“重试”。',
  final: false,
  retry: true,
}

function sentence(text) {
  return /[。！？]$/.test(text) ? text : `${text}。`
}

function describe(err) {
  if (!err || err.kind === 'network') return NETWORK
  const known = FINAL[err.code]
  if (known) return { title: known.title, text: known.text || sentence(err.message), final: true, retry: false }
  if (err.code === 'too_many_requests') {
    // The backend's words, addressed to the citizen as the H5 page does.
    const text = sentence((err.message || '操作过于频繁，请稍后再试').replace('操作过于频繁', '您的操作过于频繁'))
    return { title: '操作过于频繁', text, final: false, retry: true }
  }
  if (err.code === 'invalid_level') {
    return {
      title: '请选择评价等级',
      text: '请先选择一个评价等级（从“非常满意”到“非常不满意”）。',
      final: false,
      retry: false,
    }
  }
  if (err.status === 401) {
    // Still refused after logging in again (utils/api.js): the session service is at fault.
    return { title: '登录未成功', text: '暂时无法登录，请稍后点击“重试”。', final: false, retry: true }
  }
  if (err.status >= 500) {
    return {
      title: '服务暂时不可用',
      text: err.message ? sentence(err.message) : '服务暂时不可用，请稍后点击“重试”。',
      final: false,
      retry: true,
    }
  }
  return {
    title: '提交未成功',
    text: err.message ? sentence(err.message) : '请求未成功，请稍后再试。',
    final: false,
    retry: false,
  }
}

module.exports = { describe }

// Where the backend is: the one setting a district changes besides the appid
// (project.config.json). Published versions need the https origin of the
// backend's `[app] base_url`, listed as the request合法域名 in the mini-program
// console; the default is `bin/serve` on this machine, for WeChat DevTools with
// "不校验合法域名" ticked.
module.exports = {
  apiBase: 'http://127.0.0.1:5000',
  // A citizen at a window on a weak signal should see the retry, not a spinner.
  timeoutMs: 10000,
}

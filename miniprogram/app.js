// Nothing happens at launch: the pages log in on their first request
// (utils/api.js), so a wxacode opens the rating form without a detour.
App({
  onLaunch() {
    // A citizen who scans a window's code weeks after the last visit should
    // get the current version (new wording, new label dictionary handling).
    if (!wx.getUpdateManager) return
    const manager = wx.getUpdateManager()
    manager.onUpdateReady(() => {
      wx.showModal({
        title: '更新提示',
        content: '新版本已经准备好，是否重启小程序？',
        success(res) {
          if (res.confirm) manager.applyUpdate()
        },
      })
    })
  },
})

// The backend's times are Beijing time with their offset ("2026-11-26T10:05:00+08:00").
// They are shown as written, never through the phone's time zone: a citizen
// abroad still reads the hall's clock.
const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/

function formatTime(iso) {
  const match = ISO.exec(iso || '')
  if (!match) return ''
  const [, year, month, day, hour, minute] = match
  return `${year}年${Number(month)}月${Number(day)}日 ${hour}:${minute}`
}

module.exports = { formatTime }

// GET /api/wx/ratings/mine as 我的评价 shows it.
const { formatTime } = require('./time')
const { progress } = require('./progress')
const { isAddendum } = require('./rating')

function subject(target) {
  if (target.item) return target.item
  const place = [target.window, target.staff].filter(Boolean).join(' · ')
  return place || target.department
}

function ticketView(ticket) {
  const steps = progress(ticket)
  return {
    no: ticket.ticket_no,
    department: ticket.department,
    current: steps.current,
    steps: steps.steps,
    due: formatTime(ticket.due_at),
    reply: ticket.reply ? { text: ticket.reply.text, time: formatTime(ticket.reply.replied_at) } : null,
  }
}

// highlight: the ticket number a subscribe message opened the page with.
function toView(rating, highlight) {
  return {
    id: rating.rating_id,
    level: rating.level,
    levelName: rating.level_name,
    isBad: rating.is_bad,
    addendum: isAddendum(rating),
    subject: subject(rating.target),
    department: rating.target.department,
    time: formatTime(rating.created_at),
    labels: rating.labels.map((label) => label.text),
    comment: rating.comment || '',
    ticket: rating.ticket ? ticketView(rating.ticket) : null,
    // The 追评 entry, while the backend still accepts one.
    addendumCode: rating.addendum_until && rating.code ? rating.code : null,
    addendumUntil: rating.addendum_until ? formatTime(rating.addendum_until) : '',
    highlight: Boolean(highlight && rating.ticket && rating.ticket.ticket_no === highlight),
  }
}

module.exports = { toView }

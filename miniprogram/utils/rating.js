// The body of POST /api/wx/ratings, and how 我的评价 marks a 追评.

// The flag of a 追评 (an addendum to the first rating) in the body; the backend
// still reads "followup", its deprecated old name, from older clients.
const ADDENDUM_FLAG = 'addendum'

// target: { code } or { scene } (utils/target.js); the form: level, labels, comment.
function ratingBody(target, form, addendum) {
  const body = target.code ? { code: target.code } : { scene: target.scene }
  body.level = form.level
  if (form.labels && form.labels.length) body.labels = form.labels.slice()
  const comment = (form.comment || '').trim()
  if (comment) body.comment = comment
  if (addendum) body[ADDENDUM_FLAG] = true
  return body
}

// A rating of GET /api/wx/ratings/mine that is itself a 追评.
function isAddendum(rating) {
  return rating.addendum === true
}

module.exports = { ADDENDUM_FLAG, ratingBody, isAddendum }

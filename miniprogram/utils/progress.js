// A bad review's ticket (models/ticket.py TICKET_STATES) in the citizen's
// words: four steps, whatever the department's workflow in between.
const STEPS = ['已受理', '整改中', '已答复', '已办结']

const STEP_OF_STATE = {
  new: 0, // 待核实
  verifying: 0, // 核实中
  appeal: 0, // 申诉审核中: still being verified, from the citizen's side
  rectifying: 1, // 整改中
  rectified: 1, // 已整改, the answer not yet sent
  explained: 1, // 已解释说明, the answer not yet sent
  replied: 2, // 已反馈
  followed_up: 2, // 已回访
  closed: 3, // 已销号
}

// { current, steps: [{ name, done, current }] }; a state this version does not
// know shows the backend's own name for it and no step.
function progress(ticket) {
  const at = STEP_OF_STATE[ticket.state]
  if (at === undefined) {
    return { current: ticket.state_name || ticket.state, steps: STEPS.map((name) => ({ name, done: false, current: false })) }
  }
  return {
    current: STEPS[at],
    steps: STEPS.map((name, index) => ({ name, done: index <= at, current: index === at })),
  }
}

module.exports = { STEPS, progress }

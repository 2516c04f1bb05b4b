// A 差评's progress for the citizen (utils/my-ratings.js ticketView): the four
// steps, the department, and its reply once sent, else the deadline.
Component({
  options: { styleIsolation: 'apply-shared' },
  properties: {
    ticket: { type: Object, value: null },
  },
})

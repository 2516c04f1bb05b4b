"""The rating core (one function every channel calls) and the bad-review rules."""

"""The rating core: one function every channel calls, and the fraud screen.

core.py         submit_rating(): validate, store, open the ticket for a 差评 (rectification/)
batch.py        submit_case_ratings(): the same for many first ratings of cases, set-based (SMS chunks)
fraud.py        the flags that keep coerced or stuffed ratings out of the figures
context.py      what is being rated, as a citizen sees it (rating code or QR scene)
scenes.py       the QR scene of a window or staff member, and back
"""

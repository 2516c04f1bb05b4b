"""What a reply does, by the conversation it answers (the router picks one).

rating.py     the invitation to rate: a level rates the case; several open cases
              are asked back with lettered choices; after a 差评 the next text is its reason
followup.py   the 回访 question about a rectification
opt_out.py    TD/退订: no further invitation to this phone
"""

"""The request edge that every channel shares: how a body is decoded, who the
client is (its address behind the proxies), the signed tokens the pages and the
mini program hand out, and the shared rate-limit counters a channel may bump.

Nothing here knows a channel; the channels (api, sms, wechat, web) import it,
and the rate-limit table itself is wired in `ops/limits.py`.
"""

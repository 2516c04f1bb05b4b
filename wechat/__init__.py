"""The mini-program API, the wechatpy client wrapper, wxacode QR codes, subscribe messages."""

"""The city 好差评 system: field-mapping profiles, signed pushes, a local simulator.

    profile.py    a rating → one record of the city's format (config `[upstream]`)
    signing.py    HMAC-SHA256 (default), HMAC-SM3, SM2 signatures, SM4 bodies
    client.py     signed HTTP batches, retries with backoff and jitter
    push.py       the `upstream.push` job: outbox rows → records → per-rating state
    reconcile.py  the nightly `upstream.reconcile` job: 对账 and 补报
    status.py     what staff see: backlog, rejected ratings, reconciliations
    simulator.py  a local city system for tests and the demo

A local demo with all three processes (config.toml in the working directory):

    [upstream]
    enabled = true
    url = "http://127.0.0.1:8700/push"
    query_url = "http://127.0.0.1:8700/query"
    app_id = "huyi"
    app_secret = "demo-secret"
    data_source = "133"

    python -m upstream.simulator --port 8700 --fail-rate 0.3 --delay 0.5   # the city
    python app.py                                                          # the product
    flask --app app jobs run                                               # the scheduler
    flask --app app upstream status                                        # the queue
    curl http://127.0.0.1:8700/_sim/records                                # what the city holds
"""

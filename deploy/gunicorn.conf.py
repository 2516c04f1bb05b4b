"""gunicorn settings for hcp-web.service (gunicorn --config deploy/gunicorn.conf.py 'app:create_app()')."""

import multiprocessing
import os

bind = os.environ.get("HCP_BIND", "127.0.0.1:8000")  # nginx in front; never exposed directly
workers = int(os.environ.get("HCP_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 9)))
threads = 1
timeout = 30
graceful_timeout = 25
max_requests = 5000  # recycle workers now and then
max_requests_jitter = 500
forwarded_allow_ips = "127.0.0.1"  # trust X-Forwarded-Proto/For from the local nginx only
accesslog = "-"
errorlog = "-"
# Access log without rating codes, callback tokens or query strings (ops/logs.py).
logger_class = "ops.logs.GunicornLogger"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(L)ss'

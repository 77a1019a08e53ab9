"""gunicorn settings for one web server of a centre (see README, "Running it for real").

    gunicorn -c deploy/gunicorn.conf.py 'portfolio:create_app()'

Every setting can be overridden on the command line or by GUNICORN_CMD_ARGS.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
# Page requests are short (exports, packs and emails go to `flask worker` with REDIS_URL):
# two processes per core, each with a few threads for requests waiting on the database.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("WEB_THREADS", 4))
worker_class = "gthread"
# An upload of MAX_UPLOAD_MB over a slow phone connection must not be cut off.
timeout = 120
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (with jitter, so not all at once): a slow
# leak in a library never grows without end. Only with the job queue: without REDIS_URL an
# export runs in a thread of a web worker, and replacing that worker would end it.
max_requests = 2000 if os.environ.get("REDIS_URL") else 0
max_requests_jitter = 200
# Access log on stdout; the app's own log (LOG_FORMAT=json: one JSON object a line, with the
# request id) on stderr.
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'
errorlog = "-"
# No control socket: nothing listens but the port above.
control_socket_disable = True

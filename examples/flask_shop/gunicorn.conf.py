# Production settings for the shop; `gunicorn -c gunicorn.conf.py "shop:create_app()"`.
bind = "0.0.0.0:8000"
workers = 4
threads = 2
timeout = 30
accesslog = "-"

#!/usr/bin/env bash
# One release, run once (from any one machine) before the new code takes traffic:
# install, migrate (an advisory lock makes a second concurrent run wait, then find nothing to
# do), check the unit specs. Then reload each web server and restart each worker.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pip install --quiet -r requirements.txt
.venv/bin/flask --app app init-db
.venv/bin/flask --app app specs validate
echo "Now on each server: systemctl reload portfolio-web; systemctl restart portfolio-worker"

# SPDX-License-Identifier: ISC
"""A stand-in for the staging API of the agent example (tests/docs/examples.sh).

    api-server.py ADDR PORT DIR SECONDS

GET /task.json serves DIR/task.json; POST /results?status=S stores the body
in DIR/result-S.log and answers "ok".  Exits after SECONDS.
"""
import http.server
import os
import sys
import threading
import urllib.parse

addr, port, root, secs = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])


class Handler(http.server.BaseHTTPRequestHandler):
    def reply(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path != "/task.json":
            return self.reply(404, b"no such thing\n")
        with open(os.path.join(root, "task.json"), "rb") as f:
            self.reply(200, f.read())

    def do_POST(self):
        u = urllib.parse.urlparse(self.path)
        status = urllib.parse.parse_qs(u.query).get("status", ["none"])[0]
        if u.path != "/results" or status not in ("pass", "fail"):
            return self.reply(400, b"bad request\n")
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(os.path.join(root, "result-%s.log" % status), "wb") as f:
            f.write(body)
        self.reply(200, b"ok\n")

    def log_message(self, *args):
        pass


srv = http.server.HTTPServer((addr, port), Handler)
threading.Timer(secs, srv.shutdown).start()
srv.serve_forever()

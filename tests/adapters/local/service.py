"""A tiny release for the local target: `python service.py --port N --version V`."""

from __future__ import annotations

import argparse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--version", default="0")
    args = parser.parse_args()
    served = 0

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body leave at once, no 40 ms delayed ACK
        wbufsize = 64 * 1024

        def log_message(self, *a: object) -> None:
            pass

        def do_GET(self) -> None:
            nonlocal served
            served += 1
            if self.path == "/metrics":
                body = f'http_requests_total{{code="200"}} {served}\n'.encode()
            else:
                body = f"version {args.version}\n".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.serve_forever(poll_interval=0.05)


if __name__ == "__main__":
    main()

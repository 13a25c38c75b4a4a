"""A small SMTP server for tests: keeps every message it accepts. It can hold the Nth message, so a test can
kill the sender while that message is in flight: before the server has accepted it, or after it has accepted
it and before the sender has heard so."""

import socketserver
import threading
from email.parser import BytesParser


class SmtpSink(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, *, hold_at: int | None = None, hold_after_accept: bool = False):
        self.messages: list[bytes] = []
        self.hold_at, self.hold_after_accept = hold_at, hold_after_accept
        self.seen = 0
        self.lock = threading.Lock()
        self.holding, self.release = threading.Event(), threading.Event()
        super().__init__(("127.0.0.1", 0), SmtpHandler)

    def start(self) -> "SmtpSink":
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.release.set()
        self.shutdown()
        self.server_close()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def message_ids(self) -> list[str]:
        return [BytesParser().parsebytes(data, headersonly=True)["Message-ID"] for data in self.messages]


class SmtpHandler(socketserver.StreamRequestHandler):
    def handle(self):
        server = self.server
        self.wfile.write(b"220 localhost test SMTP\r\n")
        while line := self.rfile.readline():
            command = line.strip().upper()
            if command.startswith((b"EHLO", b"HELO")):
                self.wfile.write(b"250 localhost\r\n")
            elif command == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                with server.lock:
                    server.seen += 1
                    hold = server.seen == server.hold_at
                if hold and not server.hold_after_accept:
                    server.holding.set()
                    server.release.wait(120)
                    return  # never accepted
                server.messages.append(data)
                if hold:
                    server.holding.set()
                    server.release.wait(120)
                    return  # accepted, but the sender never hears so
                self.wfile.write(b"250 queued\r\n")
            elif command == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:  # MAIL FROM, RCPT TO, RSET, NOOP
                self.wfile.write(b"250 ok\r\n")

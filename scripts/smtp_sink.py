#!/usr/bin/env python3
"""A real SMTP server for tests that stores every message it receives as files.

For each accepted message it writes, into MAILDIR:

    <timestamp>-<uuid>.json   envelope: mail_from, rcpt_tos, auth_login, peer, received_at, eml
    <timestamp>-<uuid>.eml    the raw RFC 5322 message bytes exactly as received

<timestamp> is UTC, e.g. 20261125T185608.123456Z, so names sort in arrival order. Both files are
written to a temporary name and renamed into place, the .json first: once a .eml is visible it is
complete and its .json exists. Dot-files (.tmp-*) are incomplete writes and must be ignored.

AUTH PLAIN/LOGIN is offered without TLS and any user name/password is accepted (the login is
recorded in the .json). STARTTLS is not offered.

Like a real server that knows its mailboxes, it refuses some recipients at RCPT TO (nothing is
stored for them): a local part starting with `bounce-` (e.g. bounce-ada@example.com) gets
`550 5.1.1 mailbox unavailable`, a permanent failure a sender must not retry. Every other
recipient is accepted. Change the pattern with --refuse REGEX (matched against the whole
address, case-insensitively; an empty REGEX refuses nothing).

Usage: smtp_sink.py --port PORT --maildir DIR [--host 127.0.0.1] [--refuse REGEX]
Stops on SIGTERM/SIGINT.
"""

import argparse
import datetime
import json
import os
import re
import signal
import sys
import threading
import uuid

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def _decode(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _write_atomic(directory, name, data):
    tmp = os.path.join(directory, ".tmp-" + name)
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, os.path.join(directory, name))


DEFAULT_REFUSE = r"bounce-[^@]*@.*"


class MaildirHandler:
    def __init__(self, maildir, refuse=None):
        self.maildir = maildir
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse is not None and self.refuse.fullmatch(_decode(address)):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        now = datetime.datetime.now(datetime.timezone.utc)
        base = "{}-{}".format(now.strftime("%Y%m%dT%H%M%S.%fZ"), uuid.uuid4())
        raw = envelope.original_content
        if raw is None:
            raw = envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        login = None
        if session.auth_data is not None:
            login = _decode(getattr(session.auth_data, "login", None))
        meta = {
            "mail_from": _decode(envelope.mail_from),
            "rcpt_tos": [_decode(r) for r in envelope.rcpt_tos],
            "auth_login": login,
            "peer": list(session.peer) if isinstance(session.peer, tuple) else session.peer,
            "received_at": now.isoformat(),
            "eml": base + ".eml",
        }
        _write_atomic(self.maildir, base + ".json", json.dumps(meta, indent=2).encode("utf-8"))
        _write_atomic(self.maildir, base + ".eml", raw)
        return "250 OK stored as " + base


def accept_any_login(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=True, auth_data=auth_data)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--refuse", default=DEFAULT_REFUSE, help="recipients to refuse with 550 (regex)")
    args = parser.parse_args()
    refuse = re.compile(args.refuse, re.IGNORECASE) if args.refuse else None

    os.makedirs(args.maildir, exist_ok=True)
    controller = Controller(
        MaildirHandler(args.maildir, refuse),
        hostname=args.host,
        port=args.port,
        ready_timeout=30,
        # SMTP server options:
        enable_SMTPUTF8=True,
        authenticator=accept_any_login,
        auth_require_tls=False,
        data_size_limit=64 * 1024 * 1024,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    controller.start()
    print("smtp_sink listening on {}:{}, maildir {}".format(args.host, args.port, args.maildir), flush=True)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m wa_crm.testing.waha_simulator [--host H] [--port P]`, configured by WAHA env vars."""

from __future__ import annotations

import argparse

from .server import run


def main() -> None:
    parser = argparse.ArgumentParser(description="WAHA simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="default: WHATSAPP_API_PORT or 3000")
    args = parser.parse_args()
    run(host=args.host, port=args.port)


if __name__ == "__main__":
    main()

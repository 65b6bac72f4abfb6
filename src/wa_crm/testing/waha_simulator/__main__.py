"""`python -m wa_crm.testing.waha_simulator [--host H] [--port P] [--tier T] [--version V]`,
otherwise configured by WAHA's env vars."""

from __future__ import annotations

import argparse
import os

from .config import SimulatorConfig
from .server import run


def main() -> None:
    parser = argparse.ArgumentParser(description="WAHA simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="default: WHATSAPP_API_PORT or 3000")
    parser.add_argument("--tier", choices=("core", "plus"), help="default: plus")
    parser.add_argument("--version", dest="waha_version", help="default: 2026.9.2")
    args = parser.parse_args()
    config = SimulatorConfig.from_env(os.environ)
    if args.tier:
        config = config.replace(tier=args.tier.upper())
    if args.waha_version:
        config = config.replace(version=args.waha_version)
    run(host=args.host, port=args.port, config=config)


if __name__ == "__main__":
    main()

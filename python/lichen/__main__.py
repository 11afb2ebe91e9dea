"""Command line: ``python -m lichen provide|unprovide|status|version``."""

import argparse
import sys

from lichen import _provider


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lichen", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("provide", help="serve hpy.universal from Lichen in this environment")
    sub.add_parser("unprovide", help="give hpy.universal back to the hpy package")
    sub.add_parser("status", help="say who serves hpy.universal here")
    sub.add_parser("version", help="print the Lichen and HPy ABI versions")
    args = parser.parse_args(argv)
    if args.command == "provide":
        print(f"Lichen now provides hpy.universal ({_provider.enable()})")
    elif args.command == "unprovide":
        path = _provider.disable()
        print(f"removed {path}" if path else "Lichen was not providing hpy.universal")
    elif args.command == "status":
        print("lichen" if _provider.is_enabled() else "hpy")
    else:
        import lichen

        print(f"lichen {lichen.__version__} (HPy ABI {lichen.HPY_VERSION})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

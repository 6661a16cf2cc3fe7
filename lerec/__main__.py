import sys

try:
    from lerec.cli import main
except KeyboardInterrupt:  # Ctrl-C while the command is still starting (imports take a second)
    print("lerec: interrupted", file=sys.stderr)
    sys.exit(130)

sys.exit(main())

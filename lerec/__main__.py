import sys

from lerec.cli import main

sys.exit(main())

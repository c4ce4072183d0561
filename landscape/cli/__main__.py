import sys

from landscape.cli import main

sys.exit(main())

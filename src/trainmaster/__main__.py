import sys

from trainmaster.cli import main

sys.exit(main())

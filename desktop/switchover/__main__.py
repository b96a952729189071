"""`python -m switchover` behaves exactly like the `switchover` command."""

import sys

from switchover.main import main

sys.exit(main())

from autan.cli import main

raise SystemExit(main())

from lrtui.cli.main import main

raise SystemExit(main())

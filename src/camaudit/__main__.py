from camaudit.cli import main

raise SystemExit(main())

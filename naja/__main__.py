from naja.cli.main import main

raise SystemExit(main())

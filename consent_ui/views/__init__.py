"""One blueprint per surface: ``api`` (JSON), ``embed`` (what other pages load),
``pages`` (server-rendered consent pages and forms), ``demo`` (the standalone app's
demo site). Views depend on the domain, never the other way round."""

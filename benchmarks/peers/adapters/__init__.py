"""One adapter per peer framework; import as ``adapters.<peer>`` with ``benchmarks/peers`` on
``sys.path`` (never ``adapters/`` itself: the modules are named after the packages they wrap)."""

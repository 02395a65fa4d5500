"""How tools are shown to a model and how its output becomes calls."""

"""One string selects a backend: ``local`` or ``gguf:/path/model.gguf``."""

from __future__ import annotations

from autan.errors import ModelSpecError
from autan.models.base import Model

ACCEPTED_FORMS = "local, gguf:/path/to/model.gguf"


def load_model(spec: str) -> Model:
    """The backend a spec names. The model file is checked now and loaded on first use."""
    from autan.models.embedded import check_gguf, default_gguf_path
    from autan.models.llama import LlamaModel

    text = spec.strip()
    if text == "local":
        return LlamaModel(default_gguf_path(), name="local")
    if text.startswith("gguf:") and text[5:]:
        return LlamaModel(check_gguf(text[5:]), name=text)
    raise ModelSpecError(f"unknown model spec {spec!r}; accepted forms: {ACCEPTED_FORMS}")

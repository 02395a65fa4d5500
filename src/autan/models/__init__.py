"""Model backends behind one interface, selected by a spec string."""

from autan.models.base import Model
from autan.models.spec import ACCEPTED_FORMS, load_model

__all__ = ["ACCEPTED_FORMS", "Model", "load_model"]

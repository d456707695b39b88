"""No-show prediction (docs/noshow.md): the model file, predictions stored on bookings, the model card's figures.
Training and judging (scikit-learn) live in ``training``; it is imported only by the commands that train, so the
portal starts without scikit-learn until a model is configured."""
from app.scheduling.noshow_features import NoShowDataError
from app.services.noshow import predictions, subscriptions  # noqa: F401  (modules of the public face)
from app.services.noshow.card import ModelCard, model_card
from app.services.noshow.modelfile import ModelFileError, load, read_metrics, save
from app.services.noshow.rates import noshow_rates

__all__ = ["ModelCard", "ModelFileError", "NoShowDataError", "load", "model_card", "noshow_rates", "predictions",
           "read_metrics", "save", "subscriptions"]

"""No-show prediction: train, choose and judge a model on the data set's layout (docs/noshow.md)."""
from app.scheduling.noshow_features import NoShowDataError
from app.services.noshow.modelfile import ModelFileError, load, save
from app.services.noshow.models import Scores
from app.services.noshow.training import ModelRecord, evaluate, load_csv, train

__all__ = ["ModelFileError", "ModelRecord", "NoShowDataError", "Scores", "evaluate", "load", "load_csv", "save",
           "train"]

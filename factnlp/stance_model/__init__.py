"""Trained multilingual stance classifier: features, model, training, evaluation and corpora loaders."""

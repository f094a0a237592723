"""Django-free text pipeline of the claim tracker.

Language, segmentation, normalisation, embeddings, retrieval, stance and
deadline proposals: pure functions on strings and arrays, so they can be
tested, benchmarked and replaced without the web service.
"""

"""The domain: the model (`domain.model`) and the use cases (`domain.usecases`)."""

"""The domain: the model (``wa_crm.domain.model``) and the use cases (``wa_crm.domain.usecases``)."""

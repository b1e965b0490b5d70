"""The maintenance fund (公共维修资金), a sub-domain of fees.

Its tables live with the app's other models in ``fees/models.py`` and its entries in the
app's ledger (``fees.ledger``, the ``fund`` book); here are its own layers: ``services``
(every change), ``selectors`` (every read), ``views``, ``forms``, ``pdf`` and ``demo``.
"""

"""The in-process runtime: loading a model, carrying out a request on it, and what a generation needs.

``loading`` checks ``Llama``'s arguments and loads the model and its context;
``completion`` carries out a :class:`~llama_native.request.CompletionRequest`
(the chat layer's too); ``low_level`` is llama-cpp-python's ``eval``/``sample``/
``generate``.
"""

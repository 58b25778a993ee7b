"""The compatibility knowledge base: driver, CUDA, cuDNN, PyTorch, TensorFlow, Keras, GPU facts.

Data lives in data/*.json (each row with its source URL); tables.py loads it, queries.py asks it.
"""

from __future__ import annotations

from dlenv.kb.tables import KnowledgeBase, load

__all__ = ["KnowledgeBase", "load"]

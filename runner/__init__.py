"""The code runner: an HTTP service that runs one program in a bubblewrap sandbox and judges it.

Self-contained on purpose: it is deployed as its own Cloud Run container, so it imports nothing
from ``common/`` (which would drag Firestore, Pub/Sub and Firebase into the image).
"""

"""`invoke validate`: Studio's known failure classes, checked on the built image before any deploy."""

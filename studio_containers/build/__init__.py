"""Build stage: the Docker engine, the trusted base image, `docker build`, content-hash tags."""

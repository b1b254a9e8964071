"""The local AWS server process, and what every service it serves shares.

`python -m studio_containers.localaws.server` runs it (__main__.py, app.py: the WSGI app, one
request at a time, state saved after each change); sigv4.py checks signatures, persistence.py
keeps the state file, errors.py words the errors it answers itself, patches.py installs every
change to moto, walker.py walks a request along botocore's model; unreadable.py and
unimplemented.py answer what moto would fail on with a 500. This file imports nothing: moto may
be imported only once app.main() has set the environment it reads.
"""

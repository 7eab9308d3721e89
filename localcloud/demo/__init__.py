"""The demo app ``localcloud up`` deploys when tasks run as Docker containers.

- ``image``: build the demo image (no internet: ``FROM scratch`` + static busybox) and push it;
- ``step``: the ``up`` step that builds it before the deploy and pushes it to the stack's own
  ECR repository as soon as the deploy creates it (before any task can pull it).
"""

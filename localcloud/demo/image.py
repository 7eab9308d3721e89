"""The demo app's image: built from ``localcloud/demo/context`` with the machine's static
busybox (copied in at build time, never committed), pushed with the Docker Engine API.

It needs no internet: ``FROM scratch``, busybox ``httpd`` on port 80 serving ``/`` (a CGI page
naming the task container that answered) and ``/health`` (``ok``).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from localcloud.errors import LocalCloudError

#: The build context in the repository (Dockerfile and www/).
CONTEXT = Path(__file__).with_name("context")
#: Debian's static busybox (``busybox-static``): the whole userland of the image.
BUSYBOX = "/bin/busybox"
#: The local name of the built image.
IMAGE = "localcloud-demo:latest"
#: Label on the demo image, so it is found (and removed) by label.
LABEL = "localcloud.demo"
#: The port the demo serves on inside the container.
PORT = 80
#: The paths that answer 200: the page and the health check.
PAGE_PATH = "/"
HEALTH_PATH = "/health"


def build(client: Any, tag: str = IMAGE, busybox: str = BUSYBOX) -> Any:
    """Build the demo image as *tag* (seconds; cached after the first build); the image."""
    if not Path(busybox).is_file():
        raise LocalCloudError(
            f"the demo image needs a static busybox at {busybox} (apt-get install busybox-static)"
        )
    import docker

    with tempfile.TemporaryDirectory(prefix="localcloud-demo-") as workdir:
        context = Path(workdir) / "context"
        shutil.copytree(CONTEXT, context)
        shutil.copy2(busybox, context / "busybox")
        for script in (context / "www" / "cgi-bin").iterdir():
            script.chmod(0o755)  # CGI scripts run only when executable (wheels drop the mode)
        try:
            image, _log = client.images.build(
                path=str(context), tag=tag, labels={LABEL: "1"}, rm=True, forcerm=True
            )
        except docker.errors.BuildError as exc:
            raise LocalCloudError(f"building the demo image failed: {exc.msg}") from None
    return image


def push(client: Any, image: Any, repository_uri: str, tag: str) -> str:
    """Push *image* as ``repository_uri:tag``; the pushed digest (``LocalCloudError`` with the
    registry's message when the push fails, e.g. an existing tag of an IMMUTABLE repository)."""
    image.tag(repository_uri, tag)
    try:
        digest = ""
        for event in client.images.push(repository_uri, tag=tag, stream=True, decode=True):
            if "error" in event:
                raise LocalCloudError(
                    f"pushing {repository_uri}:{tag} failed: {event['error'].strip()}"
                )
            digest = event.get("aux", {}).get("Digest", digest)
        return digest
    finally:
        client.images.remove(f"{repository_uri}:{tag}", noprune=True)

"""A real Orthanc for the network tests: free loopback ports, a temp storage folder, a generated config."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ORTHANC_AET = "ORTHANC"
OUR_AET = "CARDIOVIEW"
LISTENER_AET = "LISTENER"
DICOMWEB_PLUGIN_PATHS = ("/usr/share/orthanc/plugins/libOrthancDicomWeb.so",)  # dpkg -L orthanc-dicomweb


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def orthanc_binary() -> str | None:
    return shutil.which("Orthanc") or next((p for p in ("/usr/sbin/Orthanc",) if Path(p).exists()), None)


class Orthanc:
    """One running Orthanc. ``modalities``: name -> (AE, port) of our SCPs on 127.0.0.1."""

    def __init__(self, root: Path, modalities: dict[str, tuple[str, int]]):
        self.root = root
        self.http_port, self.dicom_port = free_port(), free_port()
        plugin = next((p for p in DICOMWEB_PLUGIN_PATHS if Path(p).exists()), None)
        config = {
            "Name": "cardioview-test",
            "StorageDirectory": str(root / "db"),
            "IndexDirectory": str(root / "db"),
            "HttpPort": self.http_port,
            "DicomPort": self.dicom_port,
            "DicomAet": ORTHANC_AET,
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": False,
            "HttpServerEnabled": True,
            "DicomCheckCalledAet": True,
            "DicomCheckModalityHost": False,
            "DicomAlwaysAllowEcho": True,
            "DicomAlwaysAllowStore": True,
            "DicomAlwaysAllowFind": True,
            "DicomAlwaysAllowGet": True,
            "DicomAlwaysAllowMove": True,
            "UnknownSopClassAccepted": True,
            "DicomModalities": {name: [aet, "127.0.0.1", port] for name, (aet, port) in modalities.items()},
            "Plugins": [plugin] if plugin else [],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "EnableWado": True},
            "StableAge": 1,
            "HttpTimeout": 30,
            "DicomScuTimeout": 30,
        }
        self.has_dicomweb = plugin is not None
        (root / "db").mkdir(parents=True, exist_ok=True)
        self.config_path = root / "orthanc.json"
        self.config_path.write_text(json.dumps(config))
        self.log = open(root / "orthanc.log", "wb")
        self.process = subprocess.Popen(
            [orthanc_binary(), str(self.config_path)], stdout=self.log, stderr=subprocess.STDOUT
        )
        self._wait_ready()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def dicomweb_url(self) -> str:
        return f"{self.url}/dicom-web"

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Orthanc exited ({self.process.returncode}); see {self.root / 'orthanc.log'}")
            try:
                self.rest("/system")
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("Orthanc did not start within a minute")

    def rest(self, path: str, body: bytes | dict | None = None, method: str | None = None):
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        request = urllib.request.Request(self.url + path, data=data, method=method)
        with urllib.request.urlopen(request, timeout=120) as response:
            payload = response.read()
        return json.loads(payload) if payload else None

    def upload(self, path: Path) -> dict:
        return self.rest("/instances", Path(path).read_bytes(), method="POST")

    def clear(self) -> None:
        for patient in self.rest("/patients"):
            self.rest(f"/patients/{patient}", method="DELETE")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()

"""`[[udp]]`: one UDP listener writing line protocol into a database and retention policy."""

from __future__ import annotations

from dataclasses import dataclass

from kapacitrio.config import host_port, section

#: Datagrams queued between the socket reader and the writer (Kapacitor's default).
DEFAULT_BUFFER = 1000


@section("udp", many=True)
@dataclass
class UDPConfig:
    """`[[udp]]`: `bind-address`, `database`, `retention-policy`, `buffer`, `read-buffer`."""

    enabled: bool = False
    bind_address: str = ""
    database: str = ""
    retention_policy: str = ""
    #: Datagrams held while the engine is busy; the socket's own buffer takes the overflow.
    buffer: int = DEFAULT_BUFFER
    #: The OS receive buffer of the socket in bytes (`SO_RCVBUF`); 0 keeps the OS default.
    read_buffer: int = 0

    def validate(self) -> None:
        if not self.enabled:
            return
        if not self.bind_address:
            raise ValueError("bind address has to be specified in config")
        host_port(self.bind_address)
        if not self.database:
            raise ValueError("database has to be specified in config")
        if self.buffer < 0 or self.read_buffer < 0:
            raise ValueError("buffer and read-buffer must not be negative")

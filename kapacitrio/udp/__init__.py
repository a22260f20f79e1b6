"""`[[udp]]` inputs: line protocol datagrams written into one database and retention policy."""

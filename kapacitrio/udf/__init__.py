"""User-defined functions: Kapacitor's UDF protocol to agent processes and unix sockets."""

"""Queueing and calling (排队叫号): halls, services, counters, tickets, the calling policy."""

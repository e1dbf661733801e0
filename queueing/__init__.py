"""Queueing and calling (排队叫号): halls, services, counters, tickets, the calling policy.

Other domains use only these names (ARCHITECTURE.md: domains talk through events and public
names)."""

from queueing.api import HALLS, QUEUE
from queueing.models import Appointment as TicketAppointment
from queueing.models import Channel as TicketChannel
from queueing.models import CitizenIn, Ticket
from queueing.service import HallConfig, QueueingService

__all__ = [
    "HALLS",
    "QUEUE",
    "CitizenIn",
    "HallConfig",
    "QueueingService",
    "Ticket",
    "TicketAppointment",
    "TicketChannel",
]

"""Queueing and calling (排队叫号): halls, services, counters, tickets, the calling policy.

Other domains use only these names (ARCHITECTURE.md: domains talk through events and published
service methods), and of `QueueingService` only these methods:

- `config(hall_id)`: a hall with its services and counters (`HallConfig`);
- `take_ticket(...)`, `ticket(ticket_id)`: a booking checked in gets a ticket;
- `arrivals(hall_id, day)`: when each ticket of a day was issued, for which service (`Arrival`);
- `add_gate(...)`, `add_capacity_source(...)`: hooks on taking a ticket.

Its stores are its own: nothing outside `queueing` reads them.
"""

from queueing.api import HALLS, QUEUE
from queueing.models import Appointment as TicketAppointment
from queueing.models import Arrival, CitizenIn, Ticket
from queueing.models import Channel as TicketChannel
from queueing.service import HallConfig, QueueingService

__all__ = [
    "HALLS",
    "QUEUE",
    "Arrival",
    "CitizenIn",
    "HallConfig",
    "QueueingService",
    "Ticket",
    "TicketAppointment",
    "TicketChannel",
]

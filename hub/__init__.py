"""HallHub's transport layer: the aiohttp app, Socket.IO gateway, auth, event log and replay,
REST routing, CLI, settings and storage connections. It knows no business rules."""

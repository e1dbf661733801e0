"""The Socket.IO gateway: WebSocket-only connections, auth at connect, commands with acks,
topic subscriptions with replay, and the encode-once fan-out."""

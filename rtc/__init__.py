"""Video customer service (视频客服): consultation queue, agent routing, WebRTC signaling,
in-call chat and recording."""

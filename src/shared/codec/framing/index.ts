// UDP over a TCP transport, transparent mode (PT 2.0 §3.3.5): 2-byte big-endian length framing.
export * from "./udp-frame.js";

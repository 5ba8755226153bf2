// A small client for the ASP.NET Core SignalR JSON hub protocol over a WebSocket (no negotiation round trip):
// handshake, invocations from the server, keep-alive pings, and reconnection with back-off. The page only
// receives on the hub; actions go over HTTP where the server checks the user's permission.
const RECORD_SEPARATOR = "\u001e";
const PING_INTERVAL_MS = 15000; // the server drops a client silent for 30 s (ClientTimeoutInterval)

export class HubClient {
  /** onInvoke(target, args); onState("connected" | "disconnected" | "connecting"). */
  constructor(path, { token, onInvoke, onState }) {
    this.path = path;
    this.token = token;
    this.onInvoke = onInvoke;
    this.onState = onState;
    this.retry = 0;
    this.stopped = false;
  }

  start() {
    this.stopped = false;
    this.open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.socket?.close();
  }

  open() {
    const url = new URL(this.path, location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const token = this.token();
    if (token) url.searchParams.set("access_token", token);
    this.onState("connecting");
    let handshaken = false;
    let buffer = "";
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => socket.send(JSON.stringify({ protocol: "json", version: 1 }) + RECORD_SEPARATOR);
    socket.onmessage = (event) => {
      buffer += event.data;
      let end;
      while ((end = buffer.indexOf(RECORD_SEPARATOR)) >= 0) {
        const record = JSON.parse(buffer.slice(0, end));
        buffer = buffer.slice(end + 1);
        if (!handshaken) {
          if (record.error) { socket.close(); return; }
          handshaken = true;
          this.retry = 0;
          this.pinger = setInterval(() => socket.readyState === WebSocket.OPEN && socket.send('{"type":6}' + RECORD_SEPARATOR), PING_INTERVAL_MS);
          this.onState("connected");
          continue;
        }
        if (record.type === 1) this.onInvoke(record.target, record.arguments ?? []);
        else if (record.type === 7) socket.close();
      }
    };
    socket.onclose = () => {
      clearInterval(this.pinger);
      if (this.socket !== socket) return;
      this.onState("disconnected");
      if (this.stopped) return;
      // 0.5 s, 1 s, 2 s, then every 3 s: quick after a blip, gentle on a server that is down for long.
      const delay = [500, 1000, 2000][this.retry] ?? 3000;
      this.retry++;
      this.reconnectTimer = setTimeout(() => this.open(), delay);
    };
  }
}

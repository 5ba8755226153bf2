// Live updates over the comms hub (SignalR, /tmp comms contract): hub method "comms" delivers [{topic, data}] batches.
import { HubConnection, HubConnectionBuilder, HubConnectionState, LogLevel } from "@microsoft/signalr";
import type { AdminApi } from "../api/client";

export interface CommsMessage { topic: string; data: unknown }
export type ConnectionState = "connected" | "connecting" | "disconnected";

export class Comms {
  private connection: HubConnection | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  state: ConnectionState = "disconnected";

  constructor(private readonly api: AdminApi, private readonly onMessage: (message: CommsMessage) => void,
    private readonly onState: (state: ConnectionState) => void) {}

  async start(): Promise<void> {
    this.setState("connecting");
    const connection = new HubConnectionBuilder()
      .withUrl(this.api.url("comms"), { accessTokenFactory: () => this.api.token ?? "" })
      .withAutomaticReconnect([0, 2000, 5000, 10000, 10000, 30000])
      .configureLogging(LogLevel.None)
      .build();
    connection.on("comms", (items: CommsMessage[]) => {
      for (const item of Array.isArray(items) ? items : [items]) this.onMessage(item);
    });
    connection.onreconnecting(() => this.setState("connecting"));
    connection.onreconnected(() => { this.setState("connected"); void this.subscribe(); });
    connection.onclose(() => { this.setState("disconnected"); this.scheduleRetry(); });
    this.connection = connection;
    try {
      await connection.start();
      this.setState("connected");
      await this.subscribe();
    } catch {
      // No hub yet, or the server is down: the editor works without live updates and tries again later.
      this.setState("disconnected");
      this.scheduleRetry();
    }
  }

  private async subscribe(): Promise<void> {
    if (this.connection?.state !== HubConnectionState.Connected) return;
    for (const topic of ["status/#", "notification/#"]) {
      try { await this.connection.invoke("Subscribe", topic); } catch { /* an old hub without Subscribe: live messages still arrive */ }
    }
  }

  private scheduleRetry(): void {
    if (this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      if (this.connection?.state === HubConnectionState.Disconnected) void this.start();
    }, 10000);
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    this.onState(state);
  }
}

import pg from 'pg';

/** The channel certificate status changes are announced on, between servers sharing one PostgreSQL database. */
export const STATUS_CHANNEL = 'trustplane_certificate_status';

/** NOTIFY payloads are at most 8000 bytes: serials (32 hex digits) go in groups. */
export const SERIALS_PER_NOTIFICATION = 200;

export interface StatusChangeFeed {
  close(): Promise<void>;
}

export interface StatusChangeHandlers {
  /** serials another server changed the status of (committed) */
  changed(serials: string[]): void;
  /** listening (again): what was kept in memory before may have missed changes */
  up(): void;
  /** not listening: nothing may be kept in memory until `up` */
  down(cause: unknown): void;
}

/** NOTIFY's payload: the sender, then the serials; a server skips its own (it told itself already). */
export function statusPayload(sender: string, serials: readonly string[]): string {
  return `${sender}:${serials.join(',')}`;
}

/**
 * Listens for the status changes other servers on the same PostgreSQL database commit (each unit
 * of work that changes a certificate's status sends NOTIFY in its transaction; PostgreSQL delivers
 * it at commit). While the listening connection is down, nothing can be known: `down` is called
 * (keep nothing in memory) and the connection is made again, every second until it is.
 */
export function listenForStatusChanges(url: string, self: string, on: StatusChangeHandlers): StatusChangeFeed {
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url });
    const dropped = (cause: unknown): void => {
      if (client !== c) return;
      client = undefined;
      on.down(cause);
      void c.end().catch(() => undefined);
      if (!closed) retry = setTimeout(() => void connect(), 1000);
    };
    c.on('error', dropped);
    c.on('end', () => dropped(new Error('the status notification connection ended')));
    c.on('notification', (n) => {
      const payload = n.payload ?? '';
      const at = payload.indexOf(':');
      if (n.channel === STATUS_CHANNEL && at > 0 && payload.slice(0, at) !== self) on.changed(payload.slice(at + 1).split(','));
    });
    try {
      await c.connect();
      await c.query(`listen ${STATUS_CHANNEL}`);
      if (closed) {
        await c.end();
        return;
      }
      client = c;
      on.up();
    } catch (cause) {
      await c.end().catch(() => undefined);
      if (!closed) retry = setTimeout(() => void connect(), 1000);
      on.down(cause);
    }
  };
  const started = connect();

  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      await started;
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}

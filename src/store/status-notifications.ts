import pg from 'pg';

/** The channel certificate status changes are announced on, between servers sharing one PostgreSQL database. */
export const STATUS_CHANNEL = 'trustplane_certificate_status';

/** NOTIFY payloads are at most 8000 bytes: serials (32 hex digits) go in groups. */
export const SERIALS_PER_NOTIFICATION = 200;

export interface StatusChangeFeed {
  close(): Promise<void>;
}

/**
 * Listens for the status changes other servers on the same PostgreSQL database commit (each unit
 * of work that changes a certificate's status sends NOTIFY in its transaction; PostgreSQL delivers
 * it at commit). While the listening connection is down, nothing can be known: `lost` is called
 * (forget everything kept in memory) and the connection is made again, every second until it is.
 */
export function listenForStatusChanges(url: string, changed: (serials: string[]) => void, lost: (cause: unknown) => void): StatusChangeFeed {
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url });
    const dropped = (cause: unknown): void => {
      if (client !== c) return;
      client = undefined;
      lost(cause);
      void c.end().catch(() => undefined);
      if (!closed) retry = setTimeout(() => void connect(), 1000);
    };
    c.on('error', dropped);
    c.on('end', () => dropped(new Error('the status notification connection ended')));
    c.on('notification', (n) => {
      if (n.channel === STATUS_CHANNEL && n.payload) changed(n.payload.split(','));
    });
    try {
      await c.connect();
      await c.query(`listen ${STATUS_CHANNEL}`);
      if (closed) {
        await c.end();
        return;
      }
      client = c;
      // Anything committed while no connection listened is unknown: start from nothing.
      lost(new Error('the status notification connection (re)started'));
    } catch (cause) {
      await c.end().catch(() => undefined);
      if (!closed) retry = setTimeout(() => void connect(), 1000);
      lost(cause);
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

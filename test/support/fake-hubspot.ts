// A stateful stand-in for HubSpot's contacts batch upsert, for the real @hubspot/api-client.
import { randomBytes } from 'node:crypto';
import { listen, sendJson } from './http-server.ts';

interface Contact {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export class FakeHubSpot {
  readonly contacts = new Map<string, Contact>();
  upserts = 0;
  private failures: number[] = [];
  private closeServer: (() => Promise<void>) | null = null;
  url = '';

  async start(): Promise<this> {
    const { url, close } = await listen((req, body, res) => {
      if (req.headers.authorization !== 'Bearer hubspot-test-token')
        return sendJson(res, 401, { status: 'error', message: 'Authentication credentials not found', category: 'INVALID_AUTHENTICATION' });
      if (req.method !== 'POST' || req.url !== '/crm/v3/objects/contacts/batch/upsert') return sendJson(res, 404, { status: 'error', message: 'not found' });
      const failure = this.failures.shift();
      if (failure) return sendJson(res, failure, { status: 'error', message: 'injected failure', category: 'TEST' });
      const { inputs } = JSON.parse(body) as { inputs: { idProperty: string; id: string; properties: Record<string, string> }[] };
      const now = new Date().toISOString();
      const results = inputs.map((input) => {
        const existing = this.contacts.get(input.id);
        const contact = existing
          ? { ...existing, properties: { ...existing.properties, ...input.properties }, updatedAt: now }
          : { id: randomBytes(6).toString('hex'), properties: { email: input.id, ...input.properties }, createdAt: now, updatedAt: now };
        this.contacts.set(input.id, contact);
        return { ...contact, archived: false, new: !existing };
      });
      this.upserts += 1;
      sendJson(res, 200, { status: 'COMPLETE', results, startedAt: now, completedAt: now });
    });
    this.url = url;
    this.closeServer = close;
    return this;
  }

  failNext(status: number, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push(status);
  }

  close(): Promise<void> {
    return this.closeServer?.() ?? Promise.resolve();
  }
}

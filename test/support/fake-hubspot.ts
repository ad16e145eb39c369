// A stateful stand-in for the parts of HubSpot the engine uses, for the real @hubspot/api-client:
// contact and note properties (and their groups), the contacts batch upsert, notes with their
// associations (batch create and search). Like HubSpot it refuses a property that does not exist. It
// can answer 429 with Retry-After, fail a request, or do a request's work and lose the answer.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { listen, sendJson } from './http-server.ts';

interface CrmObject {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export interface FakeNote extends CrmObject {
  /** The contact ids it is associated with. */
  contacts: string[];
}

interface Property {
  name: string;
  label: string;
  type: string;
  fieldType: string;
  groupName: string;
  description?: string;
}

type ObjectType = 'contacts' | 'notes';

/** HubSpot's own properties that the engine writes. */
const builtIn: Record<ObjectType, string[]> = {
  contacts: ['email', 'firstname', 'lastname', 'hs_object_id'],
  notes: ['hs_note_body', 'hs_timestamp', 'hubspot_owner_id', 'hs_object_id'],
};

type Answer = [status: number, json: unknown];

type Fault = { kind: 'rateLimit'; retryAfter: string } | { kind: 'status'; status: number } | { kind: 'loseAnswer' };

/** Which requests a fault applies to. */
export type Route = 'contacts.upsert' | 'notes.create' | 'notes.search' | 'properties';

function route(method: string, path: string): Route | null {
  if (method === 'POST' && path === '/crm/v3/objects/contacts/batch/upsert') return 'contacts.upsert';
  if (method === 'POST' && path === '/crm/v3/objects/notes/batch/create') return 'notes.create';
  if (method === 'POST' && path === '/crm/v3/objects/notes/search') return 'notes.search';
  if (path.startsWith('/crm/v3/properties/')) return 'properties';
  return null;
}

const newId = () => String(Number.parseInt(randomBytes(5).toString('hex'), 16));

export class FakeHubSpot {
  /** Contacts by lowercase email. */
  readonly contacts = new Map<string, CrmObject>();
  readonly notes: FakeNote[] = [];
  readonly properties: Record<ObjectType, Map<string, Property>> = { contacts: new Map(), notes: new Map() };
  readonly groups: Record<ObjectType, Set<string>> = { contacts: new Set(), notes: new Set() };
  /** Every request as HubSpot answered it, in order. */
  readonly requests: { route: Route | null; status: number }[] = [];
  upserts = 0;
  /** Emails HubSpot refuses, as it refuses an address it finds invalid: the whole batch is answered 400. */
  readonly refusedEmails = new Set<string>();
  private readonly faults: Record<Route, Fault[]> = { 'contacts.upsert': [], 'notes.create': [], 'notes.search': [], properties: [] };
  private closeServer: (() => Promise<void>) | null = null;
  url = '';

  async start(): Promise<this> {
    const { url, close } = await listen((req, body, res) => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      const method = req.method ?? 'GET';
      const at = route(method, path);
      const answer = (status: number, json: unknown, headers: Record<string, string> = {}) => {
        this.requests.push({ route: at, status });
        sendJson(res, status, json, headers);
      };
      if (req.headers.authorization !== 'Bearer hubspot-test-token')
        return answer(401, { status: 'error', message: 'Authentication credentials not found', category: 'INVALID_AUTHENTICATION' });
      if (!at) return answer(404, { status: 'error', message: `no route ${method} ${path}`, category: 'OBJECT_NOT_FOUND' });
      const fault = this.faults[at].shift();
      if (fault?.kind === 'rateLimit') {
        return answer(
          429,
          { status: 'error', message: 'You have reached your ten_secondly_rolling limit.', errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING' },
          { 'retry-after': fault.retryAfter },
        );
      }
      if (fault?.kind === 'status') return answer(fault.status, { status: 'error', message: 'injected failure', category: 'TEST' });
      const input = body ? (JSON.parse(body) as unknown) : null;
      const [status, json] = this.handle(at, method, path, input);
      if (fault?.kind !== 'loseAnswer') return answer(status, json);
      this.requests.push({ route: at, status: 0 });
      lose(res);
    });
    this.url = url;
    this.closeServer = close;
    return this;
  }

  private handle(at: Route, method: string, path: string, input: unknown): Answer {
    const now = new Date().toISOString();
    if (at === 'properties') return this.handleProperties(method, path, input);
    if (at === 'contacts.upsert') {
      const { inputs } = input as { inputs: { idProperty: string; id: string; properties: Record<string, string> }[] };
      const unknown = this.unknownProperties('contacts', inputs);
      if (unknown) return [400, unknown];
      const refused = inputs.find((upsert) => this.refusedEmails.has(upsert.id.toLowerCase()));
      if (refused) return [400, { status: 'error', message: `Property values were not valid: email "${refused.id}" is invalid`, category: 'VALIDATION_ERROR' }];
      const results = inputs.map((upsert) => {
        const email = upsert.id.toLowerCase();
        const existing = this.contacts.get(email);
        const contact = existing
          ? { ...existing, properties: { ...existing.properties, ...upsert.properties }, updatedAt: now }
          : { id: newId(), properties: { email, ...upsert.properties }, createdAt: now, updatedAt: now };
        this.contacts.set(email, contact);
        return { ...contact, archived: false, new: !existing };
      });
      this.upserts += 1;
      return [200, { status: 'COMPLETE', results, startedAt: now, completedAt: now }];
    }
    if (at === 'notes.create') {
      const { inputs } = input as { inputs: { properties: Record<string, string>; associations?: { to: { id: string } }[] }[] };
      const unknown = this.unknownProperties('notes', inputs);
      if (unknown) return [400, unknown];
      const contactIds = new Set([...this.contacts.values()].map((contact) => contact.id));
      const missing = inputs.flatMap((note) => (note.associations ?? []).map((association) => association.to.id)).find((id) => !contactIds.has(id));
      if (missing) return [400, { status: 'error', message: `no contact ${missing} to associate the note with`, category: 'VALIDATION_ERROR' }];
      const results = inputs.map((note) => {
        const created: FakeNote = {
          id: newId(),
          properties: note.properties,
          contacts: (note.associations ?? []).map((association) => association.to.id),
          createdAt: now,
          updatedAt: now,
        };
        this.notes.push(created);
        return { id: created.id, properties: created.properties, createdAt: now, updatedAt: now, archived: false };
      });
      return [201, { status: 'COMPLETE', results, startedAt: now, completedAt: now }];
    }
    const { filterGroups } = input as { filterGroups: { filters: { propertyName: string; operator: string; values?: string[]; value?: string }[] }[] };
    const matches = this.notes.filter((note) =>
      filterGroups.some((group) =>
        group.filters.every((filter) => {
          const value = note.properties[filter.propertyName];
          return filter.operator === 'IN' ? filter.values?.includes(value ?? '') : value === filter.value;
        }),
      ),
    );
    return [200, { total: matches.length, results: matches.map(({ contacts: _, ...note }) => ({ ...note, archived: false })) }];
  }

  private unknownProperties(type: ObjectType, inputs: { properties: Record<string, string> }[]): unknown {
    const names = new Set(inputs.flatMap((input) => Object.keys(input.properties)));
    const unknown = [...names].filter((name) => !builtIn[type].includes(name) && !this.properties[type].has(name));
    if (unknown.length === 0) return null;
    return {
      status: 'error',
      message: `Property values were not valid: ${unknown.map((name) => `Property "${name}" does not exist`).join(', ')}`,
      category: 'VALIDATION_ERROR',
    };
  }

  private handleProperties(method: string, path: string, input: unknown): Answer {
    const [, type, groups] = /^\/crm\/v3\/properties\/(contacts|notes)(\/groups)?$/.exec(path) ?? [];
    if (!type) return [404, { status: 'error', message: `no object type in ${path}`, category: 'OBJECT_NOT_FOUND' }];
    const objectType = type as ObjectType;
    if (groups && method === 'GET')
      return [200, { results: [...this.groups[objectType]].map((name) => ({ name, label: name, displayOrder: -1, archived: false })) }];
    if (groups && method === 'POST') {
      const group = input as { name: string; label: string };
      if (this.groups[objectType].has(group.name)) return [409, { status: 'error', message: 'group exists', category: 'CONFLICT' }];
      this.groups[objectType].add(group.name);
      return [201, { ...group, displayOrder: -1, archived: false }];
    }
    if (method === 'GET') {
      const all = [
        ...builtIn[objectType].map((name) => ({ name, label: name, type: 'string', fieldType: 'text', groupName: 'hubspot' })),
        ...this.properties[objectType].values(),
      ];
      return [200, { results: all.map((property) => ({ ...property, options: [] })) }];
    }
    const property = input as Property;
    if (builtIn[objectType].includes(property.name) || this.properties[objectType].has(property.name)) {
      return [409, { status: 'error', message: `Property named '${property.name}' already exists.`, category: 'OBJECT_ALREADY_EXISTS' }];
    }
    if (!this.groups[objectType].has(property.groupName))
      return [400, { status: 'error', message: `no group ${property.groupName}`, category: 'VALIDATION_ERROR' }];
    this.properties[objectType].set(property.name, property);
    return [201, { ...property, options: [] }];
  }

  /** The next requests to this route answer 429 with this Retry-After (seconds). */
  rateLimitNext(at: Route, times = 1, retryAfter = '1'): void {
    for (let i = 0; i < times; i++) this.faults[at].push({ kind: 'rateLimit', retryAfter });
  }

  failNext(at: Route, status: number, times = 1): void {
    for (let i = 0; i < times; i++) this.faults[at].push({ kind: 'status', status });
  }

  /** The next request to this route does its work, then the connection drops before the answer. */
  loseNextAnswer(at: Route): void {
    this.faults[at].push({ kind: 'loseAnswer' });
  }

  contact(email: string): Record<string, string> | undefined {
    return this.contacts.get(email.toLowerCase())?.properties;
  }

  notesOn(email: string): FakeNote[] {
    const id = this.contacts.get(email.toLowerCase())?.id;
    return this.notes.filter((note) => id !== undefined && note.contacts.includes(id));
  }

  close(): Promise<void> {
    return this.closeServer?.() ?? Promise.resolve();
  }
}

function lose(res: ServerResponse): void {
  res.socket?.destroy();
}
